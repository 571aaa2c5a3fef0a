//! The API contracts of kernel-notes §3 and §5 that a scenario file must keep, checked before
//! anything runs: breaking one is a mistake in the file, not a kernel bug the checker should
//! report. Each error names its place (`thread 'D', op 2 (unregister A)`) and the rule.

use super::format::{Driver, OpDecl, ScenarioFile, TeardownKind};
use notifier_core::KernelVersion;

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

/// One operation, resolved: mms and notifiers by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// The last `mmput` of mm `.0`.
    Exit(usize),
    /// `__mmu_notifier_invalidate_range_start` on mm `.0`.
    Invalidate(usize),
    /// `mmu_notifier_register` of notifier `.0`.
    Register(usize),
    /// The notifier's teardown (its driver says which).
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

/// A notifier, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notifier {
    /// Its name in the trace (`notifier A`).
    pub name: String,
    /// The mm it is registered on.
    pub mm: usize,
    /// Its driver.
    pub driver: Driver,
    /// Whether a thread registers it (otherwise `main` does, before the threads start; a
    /// get/put notifier is registered by its first `get`).
    pub registered_by_op: bool,
    /// Whether a thread tears it down (otherwise `main` does after joining them, if its
    /// driver has a teardown).
    pub torn_down_by_op: bool,
}

/// A thread, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    /// Its name.
    pub name: String,
    /// Its CPU.
    pub cpu: usize,
    /// Its operations.
    pub ops: Vec<Op>,
}

/// A scenario that keeps every API contract, ready to run on one kernel version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The file it came from (printed with failures, saved by `fuzz`).
    pub file: ScenarioFile,
    /// The kernel version it was validated for.
    pub kernel: KernelVersion,
    /// How many mms it uses (`mm0` only, or both).
    pub mms: usize,
    /// Its notifiers.
    pub notifiers: Vec<Notifier>,
    /// Its threads.
    pub threads: Vec<Thread>,
}

impl Scenario {
    /// Checks `file` against the API's contracts for `kernel`.
    pub fn validate(file: ScenarioFile, kernel: KernelVersion) -> Result<Self, String> {
        let mut notifiers = Vec::new();
        for (i, n) in file.notifiers.iter().enumerate() {
            let here = format!("notifier {} ('{}')", i + 1, n.name);
            if n.name.is_empty() || n.name.chars().any(|c| c.is_whitespace()) {
                return Err(format!("{here}: a name is one word"));
            }
            if file.notifiers[..i].iter().any(|m| m.name == n.name) {
                return Err(format!("{here}: the name is declared twice"));
            }
            let mm = mm_index(&n.mm).map_err(|e| format!("{here}: {e}"))?;
            if kernel != KernelVersion::V5_4 && n.driver.uses_get_put() {
                return Err(format!(
                    "{here}: driver {} uses mmu_notifier_get/mmu_notifier_put, which arrived in \
                     v5.4 (commit 2c7933f53f6b)",
                    n.driver.as_str()
                ));
            }
            if kernel == KernelVersion::V5_4 && n.driver.uses_2014_api() {
                return Err(format!(
                    "{here}: driver {} uses mmu_notifier_call_srcu or \
                     mmu_notifier_unregister_no_release, which v5.4 removed (commit \
                     c96245148c1e); on v5.4 use kvm",
                    n.driver.as_str()
                ));
            }
            notifiers.push(Notifier {
                name: format!("notifier {}", n.name),
                mm,
                driver: n.driver,
                registered_by_op: false,
                torn_down_by_op: false,
            });
        }
        if notifiers.len() > MAX_NOTIFIERS {
            return Err(format!(
                "{} notifiers: at most {MAX_NOTIFIERS}",
                notifiers.len()
            ));
        }
        if file.threads.is_empty() {
            return Err("no [[thread]]: a scenario needs at least one thread".to_string());
        }
        if file.threads.len() > MAX_THREADS {
            return Err(format!(
                "{} threads: at most {MAX_THREADS} (besides main and the SRCU worker G)",
                file.threads.len()
            ));
        }
        // Where each mm is exited and each notifier registered: (thread, op).
        let mut exits: Vec<Option<(usize, usize)>> = vec![None; MMS.len()];
        let mut registers: Vec<Option<(usize, usize)>> = vec![None; notifiers.len()];
        // Where each notifier's module is unloaded: (thread, op).
        let mut unloads: Vec<Option<(usize, usize)>> = vec![None; notifiers.len()];
        let mut threads = Vec::new();
        for (t, decl) in file.threads.iter().enumerate() {
            let name = &decl.name;
            if name.is_empty() || name.chars().any(|c| c.is_whitespace()) {
                return Err(format!("thread {}: a name is one word", t + 1));
            }
            if ["main", "G", "G0", "G1"].contains(&name.as_str()) {
                return Err(format!(
                    "thread {} ('{name}'): the name is the harness's (main runs set-up and \
                     teardown, G, G0 and G1 are SRCU callback workers)",
                    t + 1
                ));
            }
            if decl.cpu >= CPUS {
                return Err(format!(
                    "thread '{name}': cpu {} (the model has CPUs 0 to {})",
                    decl.cpu,
                    CPUS - 1
                ));
            }
            if file.threads[..t].iter().any(|u| &u.name == name) {
                return Err(format!(
                    "thread {} ('{name}'): the name is used twice",
                    t + 1
                ));
            }
            if decl.ops.is_empty() {
                return Err(format!("thread '{name}': it has no operations"));
            }
            if decl.ops.len() > MAX_OPS {
                return Err(format!("thread '{name}': at most {MAX_OPS} operations"));
            }
            let mut ops = Vec::new();
            for (o, op) in decl.ops.iter().enumerate() {
                let here = format!("thread '{name}', op {} ({op})", o + 1);
                let notifier = |x: &str| {
                    file.notifiers
                        .iter()
                        .position(|n| n.name == x)
                        .ok_or_else(|| format!("{here}: no notifier '{x}' is declared"))
                };
                let resolved = match op {
                    OpDecl::Exit(m) => {
                        let mm = mm_index(m).map_err(|e| format!("{here}: {e}"))?;
                        if let Some((t0, o0)) = exits[mm] {
                            return Err(format!(
                                "{here}: {m} is already exited by thread '{}', op {} (the last \
                                 mmput runs once)",
                                file.threads[t0].name,
                                o0 + 1
                            ));
                        }
                        exits[mm] = Some((t, o));
                        Op::Exit(mm)
                    }
                    OpDecl::Invalidate(m) => {
                        Op::Invalidate(mm_index(m).map_err(|e| format!("{here}: {e}"))?)
                    }
                    OpDecl::Register(x) => {
                        let n = notifier(x)?;
                        if notifiers[n].driver.uses_get_put() {
                            return Err(format!(
                                "{here}: notifier {x} is a get/put notifier: mmu_notifier_get \
                                 registers it"
                            ));
                        }
                        if registers[n].is_some() {
                            return Err(format!("{here}: notifier {x} is registered twice"));
                        }
                        registers[n] = Some((t, o));
                        notifiers[n].registered_by_op = true;
                        Op::Register(n)
                    }
                    OpDecl::Unregister(x) | OpDecl::UnregisterNoRelease(x) => {
                        let n = notifier(x)?;
                        let wanted = if matches!(op, OpDecl::Unregister(_)) {
                            TeardownKind::Unregister
                        } else {
                            TeardownKind::UnregisterNoRelease
                        };
                        let driver = notifiers[n].driver;
                        if driver.uses_get_put() {
                            return Err(format!(
                                "{here}: notifier {x} comes from mmu_notifier_get; it must be \
                                 ended with put, never with unregister (kernel-notes §5)"
                            ));
                        }
                        match driver.teardown() {
                            None => {
                                return Err(format!(
                                    "{here}: driver {} frees notifier {x} in its ->release; \
                                     it is torn down by exit only",
                                    driver.as_str()
                                ))
                            }
                            Some(k) if k != wanted => {
                                return Err(format!(
                                    "{here}: driver {} tears its notifier down with {}",
                                    driver.as_str(),
                                    teardown_verb(k)
                                ))
                            }
                            Some(_) => {}
                        }
                        if notifiers[n].torn_down_by_op {
                            return Err(format!(
                                "{here}: notifier {x} is torn down twice (it is freed after \
                                 the first)"
                            ));
                        }
                        notifiers[n].torn_down_by_op = true;
                        Op::Teardown(n, wanted)
                    }
                    OpDecl::Get(x) | OpDecl::Put(x) | OpDecl::ModuleUnload(x) => {
                        let n = notifier(x)?;
                        if !notifiers[n].driver.uses_get_put() {
                            return Err(format!(
                                "{here}: driver {} does not use get/put (its notifier is \
                                 registered)",
                                notifiers[n].driver.as_str()
                            ));
                        }
                        if let Some((ut, uo)) = unloads[n] {
                            return Err(format!(
                                "{here}: the module of notifier {x} is already unloaded by \
                                 thread '{}', op {}",
                                file.threads[ut].name,
                                uo + 1
                            ));
                        }
                        match op {
                            OpDecl::Get(_) => Op::Get(n),
                            OpDecl::Put(_) => {
                                let gets = ops.iter().filter(|o| **o == Op::Get(n)).count();
                                let puts = ops.iter().filter(|o| **o == Op::Put(n)).count();
                                if puts >= gets {
                                    return Err(format!(
                                        "{here}: put without get (this thread has no get of \
                                         {x} left to put)"
                                    ));
                                }
                                Op::Put(n)
                            }
                            _ => {
                                unloads[n] = Some((t, o));
                                Op::ModuleUnload(n)
                            }
                        }
                    }
                    OpDecl::Synchronize => Op::Synchronize,
                    OpDecl::SrcuBarrier => Op::SrcuBarrier,
                };
                ops.push(resolved);
            }
            threads.push(Thread {
                name: name.clone(),
                cpu: decl.cpu,
                ops,
            });
        }
        // A notifier a thread registers: only that thread uses it, after registering it, and
        // it holds a user of the mm while it registers (mmu_notifier_register's
        // BUG_ON(mm_users <= 0)): an exit of that mm is in the same thread, later.
        for (n, reg) in registers.iter().enumerate() {
            let Some((rt, ro)) = *reg else { continue };
            let x = &file.notifiers[n].name;
            for (t, thread) in threads.iter().enumerate() {
                for (o, op) in thread.ops.iter().enumerate() {
                    let uses = matches!(op, Op::Teardown(m, _) if *m == n);
                    if uses && (t != rt || o < ro) {
                        return Err(format!(
                            "thread '{}', op {} ({}): notifier {x} is registered by thread \
                             '{}', op {}; only that thread may use it, after registering it",
                            thread.name,
                            o + 1,
                            file.threads[t].ops[o],
                            threads[rt].name,
                            ro + 1
                        ));
                    }
                }
            }
            let mm = notifiers[n].mm;
            if let Some((et, eo)) = exits[mm] {
                if et != rt || eo < ro {
                    return Err(format!(
                        "thread '{}', op {} (register {x}): registration needs a user of {} \
                         (mm_users > 0), but thread '{}', op {} exits it{}; exit it later in \
                         the same thread",
                        threads[rt].name,
                        ro + 1,
                        MMS[mm],
                        threads[et].name,
                        eo + 1,
                        if et == rt { " first" } else { " concurrently" }
                    ));
                }
            }
        }
        // A module unload ends its driver (module_exit): every get and put of the notifier is
        // in the unloading thread, before it, all put, and mmu_notifier_synchronize follows
        // the last put (the deferred free runs the module's free_notifier).
        for (n, unload) in unloads.iter().enumerate() {
            let Some((ut, uo)) = *unload else { continue };
            let x = &file.notifiers[n].name;
            let here = format!(
                "thread '{}', op {} (module_unload {x})",
                threads[ut].name,
                uo + 1
            );
            for (t, thread) in threads.iter().enumerate() {
                if t != ut
                    && thread
                        .ops
                        .iter()
                        .any(|op| matches!(op, Op::Get(m) | Op::Put(m) if *m == n))
                {
                    return Err(format!(
                        "{here}: thread '{}' also uses notifier {x}; a module is unloaded after \
                         every user of its code has finished, so its gets and puts must be in \
                         the unloading thread",
                        thread.name
                    ));
                }
            }
            let before = &threads[ut].ops[..uo];
            let gets = before.iter().filter(|op| **op == Op::Get(n)).count();
            let puts = before.iter().filter(|op| **op == Op::Put(n)).count();
            if gets != puts {
                return Err(format!(
                    "{here}: {} get(s) of {x} are not put before the module unloads",
                    gets - puts
                ));
            }
            if let Some(last_put) = before.iter().rposition(|op| *op == Op::Put(n)) {
                if !before[last_put..].contains(&Op::Synchronize) {
                    return Err(format!(
                        "{here}: the module unloads without mmu_notifier_synchronize after its \
                         last put (op {}): its deferred free may still be queued",
                        last_put + 1
                    ));
                }
            }
        }
        let allocations = notifiers
            .iter()
            .filter(|n| !n.driver.uses_get_put())
            .count()
            + threads
                .iter()
                .flat_map(|t| &t.ops)
                .filter(|op| matches!(op, Op::Get(_)))
                .count();
        if allocations > MAX_ALLOCATIONS {
            return Err(format!(
                "{allocations} notifier allocations (registered notifiers plus gets): the \
                 model holds at most {MAX_ALLOCATIONS}"
            ));
        }
        let used = |mm: usize| {
            notifiers.iter().any(|n| n.mm == mm)
                || threads
                    .iter()
                    .flat_map(|t| &t.ops)
                    .any(|op| matches!(op, Op::Exit(m) | Op::Invalidate(m) if *m == mm))
        };
        let mms = if used(1) { 2 } else { 1 };
        Ok(Scenario {
            file,
            kernel,
            mms,
            notifiers,
            threads,
        })
    }

    /// The mms thread `t` gets notifiers on, each with the index of its last `get` there: the
    /// thread holds a user of that mm (`mm_users`) until then, as a process in a system call
    /// does for its own mm.
    pub fn users_held(&self, t: usize) -> Vec<(usize, usize)> {
        let mut held: Vec<(usize, usize)> = Vec::new();
        for (o, op) in self.threads[t].ops.iter().enumerate() {
            if let Op::Get(n) = op {
                let mm = self.notifiers[*n].mm;
                match held.iter_mut().find(|h| h.0 == mm) {
                    Some(h) => h.1 = o,
                    None => held.push((mm, o)),
                }
            }
        }
        held
    }

    /// The CPU slots SRCU needs: one more than the highest CPU a thread runs on.
    pub fn cpus(&self) -> usize {
        self.threads.iter().map(|t| t.cpu + 1).max().unwrap_or(1)
    }

    /// Whether any thread exits `mm` (otherwise `main` does, after joining the threads).
    pub fn exited_by_op(&self, mm: usize) -> bool {
        self.threads
            .iter()
            .flat_map(|t| &t.ops)
            .any(|op| *op == Op::Exit(mm))
    }
}

fn teardown_verb(k: TeardownKind) -> &'static str {
    match k {
        TeardownKind::Unregister => "unregister",
        TeardownKind::UnregisterNoRelease => "unregister_no_release",
    }
}

fn mm_index(name: &str) -> Result<usize, String> {
    MMS.iter()
        .position(|m| *m == name)
        .ok_or_else(|| format!("unknown mm '{name}' (known: mm0, mm1)"))
}
