//! The API contracts a scenario file must keep (kernel-notes §3 and §5, the v5.4 header), as
//! one table of rules. Breaking one is a mistake in the file, not a kernel bug the checker
//! should report.
//!
//! The table serves both directions:
//! - [`super::validate`] refuses a file at its first [`Breach`], naming the place
//!   (`thread 'D', op 2 (unregister A)`) and the rule;
//! - the proptest generator ([`super::strategy`]) draws a raw file and [`mend`]s it: each
//!   breach carries the [`Repair`] that keeps the file closest to what was drawn (drop the
//!   offending operation, insert the missing `mmu_notifier_synchronize`, ...), applied until
//!   no rule is broken. A new rule is written once, here, with its repair.
//!
//! Rules the generator keeps by construction (names, counts, CPUs, drivers the kernel has)
//! have no repair: a breach of one by a generated file is a bug in the generator.

use super::format::{Driver, OpDecl, ScenarioFile, TeardownKind, ThreadDecl};
use notifier_core::KernelVersion;
use std::fmt;

/// The address spaces a scenario can name.
pub const MMS: [&str; 2] = ["mm0", "mm1"];
/// The CPUs a thread can run on.
pub const CPUS: usize = 2;
/// At most this many threads (besides `main` and the SRCU workers).
pub const MAX_THREADS: usize = 4;
/// At most this many notifiers (the kernel model's slab holds 8).
pub const MAX_NOTIFIERS: usize = 4;
/// At most this many operations per thread.
pub const MAX_OPS: usize = 8;
/// At most this many notifier allocations per execution (the kernel model's slab holds 8):
/// the notifiers of drivers that register, plus one per `get`.
pub const MAX_ALLOCATIONS: usize = 8;
/// Thread names the harness uses itself.
const RESERVED_THREADS: [&str; 4] = ["main", "G", "G0", "G1"];

/// One operation, resolved: mms and notifiers by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// The last `mmput` of mm `.0`.
    Exit(usize),
    /// An rmap walker's range on mm `.0` (start, then end).
    Invalidate(usize),
    /// The OOM reaper's non-blockable range on mm `.0` (v5.4).
    InvalidateNonblock(usize),
    /// `mmu_notifier_register` of notifier `.0`.
    Register(usize),
    /// The notifier's teardown, as written.
    Teardown(usize, TeardownKind),
    /// `mmu_notifier_get` of notifier `.0`'s ops on its mm.
    Get(usize),
    /// `mmu_notifier_put` of this thread's latest get of notifier `.0` not yet put.
    Put(usize),
    /// Notifier `.0`'s driver module is unloaded.
    ModuleUnload(usize),
    /// `mmu_notifier_synchronize()`.
    Synchronize,
    /// `srcu_barrier()`.
    SrcuBarrier,
}

impl Op {
    /// The notifier it names, if any.
    pub fn notifier(self) -> Option<usize> {
        match self {
            Op::Register(n)
            | Op::Teardown(n, _)
            | Op::Get(n)
            | Op::Put(n)
            | Op::ModuleUnload(n) => Some(n),
            _ => None,
        }
    }

    /// The mm it names, if any.
    pub fn mm(self) -> Option<usize> {
        match self {
            Op::Exit(m) | Op::Invalidate(m) | Op::InvalidateNonblock(m) => Some(m),
            _ => None,
        }
    }
}

/// How the generator mends a breach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// None: the generator keeps this rule by construction.
    None,
    /// Remove operation `op` of thread `thread`.
    DropOp {
        /// The thread's index.
        thread: usize,
        /// The operation's index.
        op: usize,
    },
    /// Insert `what` in thread `thread` before its operation `at`.
    InsertOp {
        /// The thread's index.
        thread: usize,
        /// Where.
        at: usize,
        /// The operation to insert.
        what: OpDecl,
    },
    /// Remove thread `.0`.
    DropThread(usize),
    /// Add this thread.
    AddThread(ThreadDecl),
}

/// A broken rule: which, where (in the message), and how the generator mends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// The rule's id (see [`RULES`]).
    pub rule: &'static str,
    /// One line: the place and what is wrong there.
    pub message: String,
    /// How the generator mends it.
    pub repair: Repair,
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// One rule of the table.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// A short id (`exit-once`).
    pub id: &'static str,
    /// The contract, in one sentence.
    pub contract: &'static str,
    check: fn(&Draft<'_>, &'static str) -> Result<(), Breach>,
}

/// A file with its names resolved as far as they resolve, for the rules to read.
pub(crate) struct Draft<'a> {
    pub(crate) file: &'a ScenarioFile,
    pub(crate) kernel: KernelVersion,
    /// Each notifier's mm (an error for an unknown mm).
    pub(crate) mms: Vec<Result<usize, String>>,
    /// Each thread's operations (an error for an unknown mm or notifier).
    pub(crate) ops: Vec<Vec<Result<Op, String>>>,
}

impl<'a> Draft<'a> {
    pub(crate) fn new(file: &'a ScenarioFile, kernel: KernelVersion) -> Self {
        let notifier = |x: &str| {
            file.notifiers
                .iter()
                .position(|n| n.name == x)
                .ok_or_else(|| format!("no notifier '{x}' is declared"))
        };
        let ops = file
            .threads
            .iter()
            .map(|t| {
                t.ops
                    .iter()
                    .map(|op| {
                        Ok(match op {
                            OpDecl::Exit(m) => Op::Exit(mm_index(m)?),
                            OpDecl::Invalidate(m) => Op::Invalidate(mm_index(m)?),
                            OpDecl::InvalidateNonblock(m) => Op::InvalidateNonblock(mm_index(m)?),
                            OpDecl::Register(x) => Op::Register(notifier(x)?),
                            OpDecl::Unregister(x) => {
                                Op::Teardown(notifier(x)?, TeardownKind::Unregister)
                            }
                            OpDecl::UnregisterNoRelease(x) => {
                                Op::Teardown(notifier(x)?, TeardownKind::UnregisterNoRelease)
                            }
                            OpDecl::Get(x) => Op::Get(notifier(x)?),
                            OpDecl::Put(x) => Op::Put(notifier(x)?),
                            OpDecl::ModuleUnload(x) => Op::ModuleUnload(notifier(x)?),
                            OpDecl::Synchronize => Op::Synchronize,
                            OpDecl::SrcuBarrier => Op::SrcuBarrier,
                        })
                    })
                    .collect()
            })
            .collect();
        Draft {
            file,
            kernel,
            mms: file.notifiers.iter().map(|n| mm_index(&n.mm)).collect(),
            ops,
        }
    }

    /// Every resolved operation, in thread order then program order: (thread, op, what).
    fn resolved(&self) -> impl Iterator<Item = (usize, usize, Op)> + '_ {
        self.ops.iter().enumerate().flat_map(|(t, ops)| {
            ops.iter()
                .enumerate()
                .filter_map(move |(o, op)| op.as_ref().ok().map(|op| (t, o, *op)))
        })
    }

    fn driver(&self, n: usize) -> Driver {
        self.file.notifiers[n].driver
    }

    fn thread_name(&self, t: usize) -> &str {
        &self.file.threads[t].name
    }

    /// `thread 'D', op 2 (unregister A)`.
    fn op_place(&self, t: usize, o: usize) -> String {
        format!(
            "thread '{}', op {} ({})",
            self.thread_name(t),
            o + 1,
            self.file.threads[t].ops[o]
        )
    }

    /// `notifier 1 ('A')`.
    fn notifier_place(&self, n: usize) -> String {
        format!("notifier {} ('{}')", n + 1, self.file.notifiers[n].name)
    }

    /// Where thread `t` registers notifier `n`, if it does.
    fn registration(&self, n: usize) -> Option<(usize, usize)> {
        self.resolved()
            .find(|&(_, _, op)| op == Op::Register(n))
            .map(|(t, o, _)| (t, o))
    }
}

fn mm_index(name: &str) -> Result<usize, String> {
    MMS.iter()
        .position(|m| *m == name)
        .ok_or_else(|| format!("unknown mm '{name}' (known: mm0, mm1)"))
}

fn breach(rule: &'static str, message: String, repair: Repair) -> Result<(), Breach> {
    Err(Breach {
        rule,
        message,
        repair,
    })
}

fn one_word(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(char::is_whitespace)
}

fn teardown_verb(k: TeardownKind) -> &'static str {
    match k {
        TeardownKind::Unregister => "unregister",
        TeardownKind::UnregisterNoRelease => "unregister_no_release",
    }
}

// ---- the rules, in the order they are checked ------------------------------------------------

fn notifier_names(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    for (i, n) in d.file.notifiers.iter().enumerate() {
        if !one_word(&n.name) {
            return breach(
                rule,
                format!("{}: a name is one word", d.notifier_place(i)),
                Repair::None,
            );
        }
        if d.file.notifiers[..i].iter().any(|m| m.name == n.name) {
            return breach(
                rule,
                format!("{}: the name is declared twice", d.notifier_place(i)),
                Repair::None,
            );
        }
    }
    Ok(())
}

fn notifier_mms(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    for (i, mm) in d.mms.iter().enumerate() {
        if let Err(e) = mm {
            return breach(rule, format!("{}: {e}", d.notifier_place(i)), Repair::None);
        }
    }
    Ok(())
}

fn drivers_of_the_kernel(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    for (i, n) in d.file.notifiers.iter().enumerate() {
        let here = d.notifier_place(i);
        if d.kernel != KernelVersion::V5_4 && n.driver.v5_4_only() {
            return breach(
                rule,
                format!(
                    "{here}: driver {} uses mmu_notifier_get/mmu_notifier_put, which arrived in \
                     v5.4 (commit 2c7933f53f6b)",
                    n.driver.as_str()
                ),
                Repair::None,
            );
        }
        if d.kernel == KernelVersion::V5_4 && n.driver.uses_2014_api() {
            return breach(
                rule,
                format!(
                    "{here}: driver {} uses mmu_notifier_call_srcu or \
                     mmu_notifier_unregister_no_release, which v5.4 removed (commit \
                     c96245148c1e); on v5.4 use kvm, getput or amdkfd-put",
                    n.driver.as_str()
                ),
                Repair::None,
            );
        }
    }
    Ok(())
}

fn notifier_count(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    let n = d.file.notifiers.len();
    if n > MAX_NOTIFIERS {
        return breach(
            rule,
            format!("{n} notifiers: at most {MAX_NOTIFIERS}"),
            Repair::None,
        );
    }
    Ok(())
}

fn thread_count(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    let n = d.file.threads.len();
    if n == 0 {
        return breach(
            rule,
            "no [[thread]]: a scenario needs at least one thread".to_string(),
            Repair::AddThread(ThreadDecl {
                name: "T1".into(),
                cpu: 0,
                ops: vec![OpDecl::Invalidate(MMS[0].into())],
            }),
        );
    }
    if n > MAX_THREADS {
        return breach(
            rule,
            format!("{n} threads: at most {MAX_THREADS} (besides main and the SRCU worker G)"),
            Repair::None,
        );
    }
    Ok(())
}

fn thread_names(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    for (t, decl) in d.file.threads.iter().enumerate() {
        let name = &decl.name;
        if !one_word(name) {
            return breach(
                rule,
                format!("thread {}: a name is one word", t + 1),
                Repair::None,
            );
        }
        if RESERVED_THREADS.contains(&name.as_str()) {
            return breach(
                rule,
                format!(
                    "thread {} ('{name}'): the name is the harness's (main runs set-up and \
                     teardown, G, G0 and G1 are SRCU callback workers)",
                    t + 1
                ),
                Repair::None,
            );
        }
        if d.file.threads[..t].iter().any(|u| &u.name == name) {
            return breach(
                rule,
                format!("thread {} ('{name}'): the name is used twice", t + 1),
                Repair::None,
            );
        }
    }
    Ok(())
}

fn thread_cpus(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    for decl in &d.file.threads {
        if decl.cpu >= CPUS {
            return breach(
                rule,
                format!(
                    "thread '{}': cpu {} (the model has CPUs 0 to {})",
                    decl.name,
                    decl.cpu,
                    CPUS - 1
                ),
                Repair::None,
            );
        }
    }
    Ok(())
}

fn thread_lengths(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    for (t, decl) in d.file.threads.iter().enumerate() {
        if decl.ops.is_empty() {
            return breach(
                rule,
                format!("thread '{}': it has no operations", decl.name),
                Repair::DropThread(t),
            );
        }
        if decl.ops.len() > MAX_OPS {
            return breach(
                rule,
                format!("thread '{}': at most {MAX_OPS} operations", decl.name),
                Repair::DropOp {
                    thread: t,
                    op: decl.ops.len() - 1,
                },
            );
        }
    }
    Ok(())
}

fn names_resolve(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    for (t, ops) in d.ops.iter().enumerate() {
        for (o, op) in ops.iter().enumerate() {
            if let Err(e) = op {
                return breach(rule, format!("{}: {e}", d.op_place(t, o)), Repair::None);
            }
        }
    }
    Ok(())
}

fn exit_once(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    let mut exits: Vec<Option<(usize, usize)>> = vec![None; MMS.len()];
    for (t, o, op) in d.resolved() {
        let Op::Exit(mm) = op else { continue };
        if let Some((t0, o0)) = exits[mm] {
            return breach(
                rule,
                format!(
                    "{}: {} is already exited by thread '{}', op {} (the last mmput runs once)",
                    d.op_place(t, o),
                    MMS[mm],
                    d.thread_name(t0),
                    o0 + 1
                ),
                Repair::DropOp { thread: t, op: o },
            );
        }
        exits[mm] = Some((t, o));
    }
    Ok(())
}

fn nonblocking_ranges(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    if d.kernel == KernelVersion::V5_4 {
        return Ok(());
    }
    for (t, o, op) in d.resolved() {
        if let Op::InvalidateNonblock(_) = op {
            return breach(
                rule,
                format!(
                    "{}: non-blockable ranges (the OOM reaper's) arrived in v4.19 (commit \
                     93065ac753e4); of the modelled kernels only v5.4 has them",
                    d.op_place(t, o)
                ),
                Repair::DropOp { thread: t, op: o },
            );
        }
    }
    Ok(())
}

fn register_once(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    let mut registered = vec![false; d.file.notifiers.len()];
    for (t, o, op) in d.resolved() {
        let Op::Register(n) = op else { continue };
        let x = &d.file.notifiers[n].name;
        let here = d.op_place(t, o);
        let drop = Repair::DropOp { thread: t, op: o };
        if d.driver(n).uses_get_put() {
            return breach(
                rule,
                format!(
                    "{here}: notifier {x} is a get/put notifier: mmu_notifier_get registers it"
                ),
                drop,
            );
        }
        if registered[n] {
            return breach(
                rule,
                format!("{here}: notifier {x} is registered twice"),
                drop,
            );
        }
        registered[n] = true;
    }
    Ok(())
}

fn teardown_as_the_driver_does(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    let mut torn_down = vec![false; d.file.notifiers.len()];
    for (t, o, op) in d.resolved() {
        let Op::Teardown(n, wanted) = op else {
            continue;
        };
        let x = &d.file.notifiers[n].name;
        let here = d.op_place(t, o);
        let drop = Repair::DropOp { thread: t, op: o };
        let driver = d.driver(n);
        if driver.uses_get_put() {
            return breach(
                rule,
                format!(
                    "{here}: notifier {x} comes from mmu_notifier_get; it must be ended with \
                     put, never with unregister (kernel-notes §5)"
                ),
                drop,
            );
        }
        match driver.teardown() {
            None => {
                return breach(
                    rule,
                    format!(
                        "{here}: driver {} frees notifier {x} in its ->release; it is torn \
                         down by exit only",
                        driver.as_str()
                    ),
                    drop,
                )
            }
            Some(k) if k != wanted => {
                return breach(
                    rule,
                    format!(
                        "{here}: driver {} tears its notifier down with {}",
                        driver.as_str(),
                        teardown_verb(k)
                    ),
                    drop,
                )
            }
            Some(_) => {}
        }
        if torn_down[n] {
            return breach(
                rule,
                format!("{here}: notifier {x} is torn down twice (it is freed after the first)"),
                drop,
            );
        }
        torn_down[n] = true;
    }
    Ok(())
}

fn get_put_discipline(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    let mut unloads: Vec<Option<(usize, usize)>> = vec![None; d.file.notifiers.len()];
    for (t, o, op) in d.resolved() {
        let (Op::Get(n) | Op::Put(n) | Op::ModuleUnload(n)) = op else {
            continue;
        };
        let x = &d.file.notifiers[n].name;
        let here = d.op_place(t, o);
        let drop = Repair::DropOp { thread: t, op: o };
        if !d.driver(n).uses_get_put() {
            return breach(
                rule,
                format!(
                    "{here}: driver {} does not use get/put (its notifier is registered)",
                    d.driver(n).as_str()
                ),
                drop,
            );
        }
        if let Some((ut, uo)) = unloads[n] {
            return breach(
                rule,
                format!(
                    "{here}: the module of notifier {x} is already unloaded by thread '{}', op {}",
                    d.thread_name(ut),
                    uo + 1
                ),
                drop,
            );
        }
        match op {
            Op::Put(_) => {
                let before = d.ops[t][..o].iter().filter_map(|op| op.as_ref().ok());
                let (gets, puts) = before.fold((0, 0), |(g, p), op| match *op {
                    Op::Get(m) if m == n => (g + 1, p),
                    Op::Put(m) if m == n => (g, p + 1),
                    _ => (g, p),
                });
                if puts >= gets {
                    return breach(
                        rule,
                        format!(
                            "{here}: put without get (this thread has no get of {x} left to put)"
                        ),
                        drop,
                    );
                }
            }
            Op::ModuleUnload(_) => unloads[n] = Some((t, o)),
            _ => {}
        }
    }
    Ok(())
}

fn registered_notifier_stays_with_its_thread(
    d: &Draft<'_>,
    rule: &'static str,
) -> Result<(), Breach> {
    for n in 0..d.file.notifiers.len() {
        let Some((rt, ro)) = d.registration(n) else {
            continue;
        };
        let x = &d.file.notifiers[n].name;
        // The generator's repair: `main` registers it instead.
        let drop_register = Repair::DropOp { thread: rt, op: ro };
        // Only that thread uses it, after registering it.
        for (t, o, op) in d.resolved() {
            let uses = matches!(op, Op::Teardown(m, _) if m == n);
            if uses && (t != rt || o < ro) {
                return breach(
                    rule,
                    format!(
                        "{}: notifier {x} is registered by thread '{}', op {}; only that thread \
                         may use it, after registering it",
                        d.op_place(t, o),
                        d.thread_name(rt),
                        ro + 1
                    ),
                    drop_register,
                );
            }
        }
        // It holds a user of the mm while it registers (BUG_ON(mm_users <= 0)): an exit of
        // that mm is in the same thread, later.
        let Ok(mm) = d.mms[n] else { continue };
        let exit = d.resolved().find(|&(_, _, op)| op == Op::Exit(mm));
        if let Some((et, eo, _)) = exit {
            if et != rt || eo < ro {
                return breach(
                    rule,
                    format!(
                        "{}: registration needs a user of {} (mm_users > 0), but thread '{}', \
                         op {} exits it{}; exit it later in the same thread",
                        d.op_place(rt, ro),
                        MMS[mm],
                        d.thread_name(et),
                        eo + 1,
                        if et == rt { " first" } else { " concurrently" }
                    ),
                    drop_register,
                );
            }
        }
    }
    Ok(())
}

fn module_unload_after_its_users(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    for (ut, uo, op) in d.resolved() {
        let Op::ModuleUnload(n) = op else { continue };
        let x = &d.file.notifiers[n].name;
        let here = d.op_place(ut, uo);
        let drop_unload = Repair::DropOp { thread: ut, op: uo };
        let uses = |op: Op| matches!(op, Op::Get(m) | Op::Put(m) if m == n);
        if let Some((t, _, _)) = d.resolved().find(|&(t, _, op)| t != ut && uses(op)) {
            return breach(
                rule,
                format!(
                    "{here}: thread '{}' also uses notifier {x}; a module is unloaded after every \
                     user of its code has finished, so its gets and puts must be in the \
                     unloading thread",
                    d.thread_name(t)
                ),
                drop_unload,
            );
        }
        let before: Vec<Op> = d.ops[ut][..uo]
            .iter()
            .filter_map(|op| op.as_ref().ok().copied())
            .collect();
        let gets = before.iter().filter(|op| **op == Op::Get(n)).count();
        let puts = before.iter().filter(|op| **op == Op::Put(n)).count();
        if gets != puts {
            return breach(
                rule,
                format!(
                    "{here}: {} get(s) of {x} are not put before the module unloads",
                    gets.abs_diff(puts)
                ),
                drop_unload,
            );
        }
        if let Some(last_put) = before.iter().rposition(|op| *op == Op::Put(n)) {
            if !before[last_put..].contains(&Op::Synchronize) {
                return breach(
                    rule,
                    format!(
                        "{here}: the module unloads without mmu_notifier_synchronize after its \
                         last put (op {}): its deferred free may still be queued",
                        last_put + 1
                    ),
                    Repair::InsertOp {
                        thread: ut,
                        at: uo,
                        what: OpDecl::Synchronize,
                    },
                );
            }
        }
    }
    Ok(())
}

fn allocations(d: &Draft<'_>, rule: &'static str) -> Result<(), Breach> {
    let registered = d
        .file
        .notifiers
        .iter()
        .filter(|n| !n.driver.uses_get_put())
        .count();
    let gets: Vec<(usize, usize)> = d
        .resolved()
        .filter(|(_, _, op)| matches!(op, Op::Get(_)))
        .map(|(t, o, _)| (t, o))
        .collect();
    let total = registered + gets.len();
    if total > MAX_ALLOCATIONS {
        // The generator drops the last get (its puts then go as puts without a get).
        let repair = gets
            .last()
            .map_or(Repair::None, |&(thread, op)| Repair::DropOp { thread, op });
        return breach(
            rule,
            format!(
                "{total} notifier allocations (registered notifiers plus gets): the model holds \
                 at most {MAX_ALLOCATIONS}"
            ),
            repair,
        );
    }
    Ok(())
}

/// Every rule, in the order they are checked.
pub const RULES: &[Rule] = &[
    Rule {
        id: "notifier-names",
        contract: "a notifier's name is one word, declared once",
        check: notifier_names,
    },
    Rule {
        id: "notifier-mm",
        contract: "a notifier is registered on mm0 or mm1",
        check: notifier_mms,
    },
    Rule {
        id: "driver-of-the-kernel",
        contract: "a driver uses only the API its kernel has: get/put from v5.4 \
                   (2c7933f53f6b), call_srcu and unregister_no_release until v5.4 \
                   (c96245148c1e)",
        check: drivers_of_the_kernel,
    },
    Rule {
        id: "notifier-count",
        contract: "at most 4 notifiers",
        check: notifier_count,
    },
    Rule {
        id: "thread-count",
        contract: "one to 4 threads besides main and the SRCU workers",
        check: thread_count,
    },
    Rule {
        id: "thread-names",
        contract: "a thread's name is one word, used once, and not the harness's (main, G, G0, G1)",
        check: thread_names,
    },
    Rule {
        id: "thread-cpu",
        contract: "a thread runs on CPU 0 or 1",
        check: thread_cpus,
    },
    Rule {
        id: "thread-ops",
        contract: "a thread has one to 8 operations",
        check: thread_lengths,
    },
    Rule {
        id: "names-resolve",
        contract: "an operation names a declared notifier or mm0/mm1",
        check: names_resolve,
    },
    Rule {
        id: "exit-once",
        contract: "the last mmput of an mm runs once",
        check: exit_once,
    },
    Rule {
        id: "nonblocking-v5.4",
        contract: "non-blockable ranges (the OOM reaper's) exist from v4.19 (93065ac753e4): \
                   of the modelled kernels, v5.4 only",
        check: nonblocking_ranges,
    },
    Rule {
        id: "register-once",
        contract: "mmu_notifier_register registers a notifier once; get/put notifiers are \
                   registered by mmu_notifier_get",
        check: register_once,
    },
    Rule {
        id: "teardown-as-the-driver",
        contract: "a notifier is torn down once, with its driver's teardown; one from \
                   mmu_notifier_get is ended with put, never unregister (kernel-notes §5)",
        check: teardown_as_the_driver_does,
    },
    Rule {
        id: "get-put",
        contract: "get, put and module unload only for get/put drivers; a put ends one of the \
                   thread's own gets; nothing after the module's unload",
        check: get_put_discipline,
    },
    Rule {
        id: "registering-thread",
        contract: "a notifier a thread registers is used only by that thread, after \
                   registering it, and its mm still has a user then (BUG_ON(mm_users <= 0))",
        check: registered_notifier_stays_with_its_thread,
    },
    Rule {
        id: "module-unload",
        contract: "a module unloads after every get of it was put, in the unloading thread, and \
                   after mmu_notifier_synchronize follows the last put",
        check: module_unload_after_its_users,
    },
    Rule {
        id: "allocations",
        contract: "at most 8 notifier allocations (registered notifiers plus gets)",
        check: allocations,
    },
];

/// Checks `file` against every rule for `kernel`: the first breach, in [`RULES`] order.
pub fn check(file: &ScenarioFile, kernel: KernelVersion) -> Result<(), Breach> {
    let draft = Draft::new(file, kernel);
    RULES.iter().try_for_each(|r| (r.check)(&draft, r.id))
}

/// Mends `file` until it keeps every rule for `kernel`, applying each breach's repair; the
/// generator's direction of the table. Errs on a breach the generator should never make
/// (a rule without a repair).
pub fn mend(mut file: ScenarioFile, kernel: KernelVersion) -> Result<ScenarioFile, Breach> {
    loop {
        let Err(b) = check(&file, kernel) else {
            return Ok(file);
        };
        match b.repair.clone() {
            Repair::None => return Err(b),
            Repair::DropOp { thread, op } => {
                file.threads[thread].ops.remove(op);
            }
            Repair::InsertOp { thread, at, what } => file.threads[thread].ops.insert(at, what),
            Repair::DropThread(t) => {
                file.threads.remove(t);
            }
            Repair::AddThread(t) => file.threads.push(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> ScenarioFile {
        ScenarioFile::parse(text).expect("parses")
    }

    #[test]
    fn rule_ids_are_unique() {
        for (i, r) in RULES.iter().enumerate() {
            assert!(RULES[..i].iter().all(|q| q.id != r.id), "{}", r.id);
        }
    }

    /// Each breach is mended by its own repair: the second exit and the put without a get are
    /// dropped, the registration another thread's teardown forbids is dropped (main
    /// registers), and `mmu_notifier_synchronize` goes before the unload after the last put.
    #[test]
    fn mend_applies_each_rules_repair() {
        let raw = file(
            r#"
            [[notifier]]
            name = "A"
            mm = "mm0"
            driver = "kvm"
            [[notifier]]
            name = "B"
            mm = "mm1"
            driver = "getput"
            [[thread]]
            name = "T1"
            ops = ["register A", "exit mm0", "put B", "get B", "put B", "module_unload B"]
            [[thread]]
            name = "T2"
            ops = ["exit mm0", "unregister A"]
            "#,
        );
        let e = check(&raw, KernelVersion::V5_4).expect_err("breaks rules");
        assert_eq!(e.rule, "exit-once");
        let mended = mend(raw, KernelVersion::V5_4).expect("mends");
        let ops: Vec<Vec<String>> = mended
            .threads
            .iter()
            .map(|t| t.ops.iter().map(ToString::to_string).collect())
            .collect();
        assert_eq!(
            ops,
            [
                vec![
                    "exit mm0",
                    "get B",
                    "put B",
                    "mmu_notifier_synchronize",
                    "module_unload B"
                ],
                vec!["unregister A"],
            ]
        );
        assert_eq!(check(&mended, KernelVersion::V5_4), Ok(()));
    }

    /// A breach the generator never makes has no repair: mending stops there.
    #[test]
    fn a_breach_without_repair_is_not_mended() {
        let raw = file("[[thread]]\nname = \"main\"\nops = [\"exit mm0\"]\n");
        let e = mend(raw, KernelVersion::V3_17).expect_err("cannot mend");
        assert_eq!(e.rule, "thread-names");
        assert_eq!(e.repair, Repair::None);
    }
}
