//! A scenario file checked against the API's contracts ([`super::rules`]) and resolved, ready
//! to run on one kernel version.

use super::format::{Driver, ScenarioFile};
use super::rules::{check, Draft};
pub use super::rules::{Op, CPUS, MAX_ALLOCATIONS, MAX_NOTIFIERS, MAX_OPS, MAX_THREADS, MMS};
use notifier_core::KernelVersion;

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
    /// Checks `file` against the API's contracts for `kernel` (every rule of
    /// [`super::rules::RULES`]); an error is one line naming the place and the rule.
    pub fn validate(file: ScenarioFile, kernel: KernelVersion) -> Result<Self, String> {
        check(&file, kernel).map_err(|b| b.to_string())?;
        let draft = Draft::new(&file, kernel);
        let ops: Vec<Vec<Op>> = draft
            .ops
            .iter()
            .map(|ops| {
                ops.iter()
                    .filter_map(|op| op.as_ref().ok().copied())
                    .collect()
            })
            .collect();
        let any = |wanted: &dyn Fn(Op) -> bool| ops.iter().flatten().any(|op| wanted(*op));
        let notifiers = file
            .notifiers
            .iter()
            .zip(&draft.mms)
            .enumerate()
            .map(|(n, (decl, mm))| Notifier {
                name: format!("notifier {}", decl.name),
                mm: *mm.as_ref().unwrap_or(&0),
                driver: decl.driver,
                registered_by_op: any(&|op| op == Op::Register(n)),
                torn_down_by_op: any(&|op| matches!(op, Op::Teardown(m, _) if m == n)),
            })
            .collect::<Vec<_>>();
        let threads = file
            .threads
            .iter()
            .zip(ops)
            .map(|(decl, ops)| Thread {
                name: decl.name.clone(),
                cpu: decl.cpu,
                ops,
            })
            .collect::<Vec<_>>();
        let used = |mm: usize| {
            notifiers.iter().any(|n| n.mm == mm)
                || threads
                    .iter()
                    .flat_map(|t| &t.ops)
                    .any(|op| op.mm() == Some(mm))
        };
        let mms = if used(1) { 2 } else { 1 };
        drop(draft);
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
