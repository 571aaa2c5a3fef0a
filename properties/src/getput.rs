//! The contracts of the v5.4 get/put scheme (commit 2c7933f53f6b), as an oracle.
//!
//! For every notifier that `mmu_notifier_get` registered, and every notifier that v5.4's
//! `mmu_notifier_register` registered (it sets `users = 1` too, and such a notifier may be
//! ended with `mmu_notifier_put`, as amdkfd does):
//! 1. at most one notifier is linked per (mm, ops) when `get` registers one: it registers a
//!    new one only when none is linked for its ops (`mmu_notifier_register` may link several);
//! 2. `users` equals the gets minus the puts, at every get and put (no update is lost);
//! 3. `free_notifier` runs exactly once, only after the last put, and only after a full
//!    grace period: every SRCU read-side section begun before the last put has ended;
//! 4. after `mmu_notifier_synchronize` returns, no `free_notifier` of a notifier whose last
//!    put came before the call is pending or running. One still running at the return is
//!    reported there; one still pending is reported when it starts (the trace then shows the
//!    late call);
//! 5. a kernel `WARN_ON` (a put without a matching get) is reported at the end of the
//!    execution, located at the warning: the kernel goes on after a warning, and so does the
//!    execution, so that what the kernel does next is judged too.

use notifier_core::{Log, ObjId, Op, Oracle, Violation, ViolationKind};
use std::collections::{BTreeSet, HashMap};

/// What the oracle knows of one notifier from `mmu_notifier_get`.
#[derive(Debug, Clone, Copy)]
struct Tracked {
    mm: ObjId,
    ops: usize,
    gets: usize,
    puts: usize,
    /// Linked on its mm: from registration to the last put or exit's unlink loop.
    linked: bool,
    /// The put that took `users` to 0.
    last_put: Option<usize>,
    /// The return of that put (after its `call_srcu`): `mmu_notifier_synchronize` promises
    /// the completion of frees whose put returned before it was called, not of a put still
    /// running.
    put_returned: Option<usize>,
    /// The `free_notifier` call (its `MethodStart` event).
    free_started: Option<usize>,
    free_done: bool,
    /// A `mmu_notifier_synchronize` that returned while this free was pending: (its call, its
    /// return).
    promised_by: Option<(usize, usize)>,
}

impl Tracked {
    /// A notifier just registered on `mm` for `ops`, with the one user registration gives.
    fn registered(mm: ObjId, ops: usize) -> Self {
        Tracked {
            mm,
            ops,
            gets: 1,
            puts: 0,
            linked: true,
            last_put: None,
            put_returned: None,
            free_started: None,
            free_done: false,
            promised_by: None,
        }
    }
}

/// Judges the get/put contracts (see the module documentation).
#[derive(Debug, Default)]
pub struct GetPutOracle {
    notifiers: HashMap<ObjId, Tracked>,
    open_sections: BTreeSet<usize>,
    first_warn: Option<(usize, Option<ObjId>)>,
}

// A violation ends the execution, so the large `Err` is built at most once per execution (as
// in `notifier_core::Oracle`).
#[allow(clippy::result_large_err)]
impl GetPutOracle {
    /// A new oracle for one execution.
    pub fn new() -> Self {
        Self::default()
    }

    fn contract(log: &Log<'_>, at: usize, obj: ObjId, message: String) -> Violation {
        log.violation_at(at, ViolationKind::Contract, Some(obj), message)
    }

    fn check_users(
        log: &Log<'_>,
        at: usize,
        obj: ObjId,
        t: &Tracked,
        users: usize,
    ) -> Result<(), Violation> {
        let expected = t.gets.wrapping_sub(t.puts);
        if users == expected {
            return Ok(());
        }
        let msg = format!(
            "{} has users = {users} after {} gets and {} puts (expected {expected}): an update \
             of users was lost",
            log.names.object(obj),
            t.gets,
            t.puts
        );
        Err(Self::contract(log, at, obj, msg))
    }

    fn on_get(
        &mut self,
        at: usize,
        log: &Log<'_>,
        (notifier, mm, ops, users, registered): (ObjId, ObjId, usize, usize, bool),
    ) -> Result<(), Violation> {
        if registered {
            let other = self
                .notifiers
                .iter()
                .find(|(&o, t)| o != notifier && t.linked && t.mm == mm && t.ops == ops);
            if let Some((&other, _)) = other {
                let msg = format!(
                    "{} is registered for driver ops #{ops} on {} while {} is still linked for \
                     the same ops: two notifiers for one (mm, ops)",
                    log.names.object(notifier),
                    log.names.object(mm),
                    log.names.object(other)
                );
                return Err(Self::contract(log, at, notifier, msg));
            }
            let mut t = Tracked::registered(mm, ops);
            t.gets = 0;
            self.notifiers.insert(notifier, t);
        }
        let Some(t) = self.notifiers.get_mut(&notifier) else {
            let msg = format!(
                "mmu_notifier_get found {}, which no get registered",
                log.names.object(notifier)
            );
            return Err(Self::contract(log, at, notifier, msg));
        };
        t.gets += 1;
        Self::check_users(log, at, notifier, t, users)
    }

    fn on_put(
        &mut self,
        at: usize,
        log: &Log<'_>,
        notifier: ObjId,
        users: usize,
    ) -> Result<(), Violation> {
        let Some(t) = self.notifiers.get_mut(&notifier) else {
            let msg = format!(
                "mmu_notifier_put of {}, which neither mmu_notifier_get nor v5.4's \
                 mmu_notifier_register returned",
                log.names.object(notifier)
            );
            return Err(Self::contract(log, at, notifier, msg));
        };
        t.puts += 1;
        Self::check_users(log, at, notifier, t, users)?;
        if users == 0 {
            t.linked = false;
            t.last_put = Some(at);
        }
        Ok(())
    }

    fn on_free_start(
        &mut self,
        at: usize,
        log: &Log<'_>,
        notifier: ObjId,
    ) -> Result<(), Violation> {
        let first_open = self.open_sections.first().copied();
        let Some(t) = self.notifiers.get_mut(&notifier) else {
            return Ok(());
        };
        let name = log.names.object(notifier);
        if let Some(first) = t.free_started {
            let msg = format!(
                "free_notifier of {name} runs again (first at {})",
                log.cite(first)
            );
            return Err(Self::contract(log, at, notifier, msg));
        }
        let Some(last_put) = t.last_put else {
            let msg = format!(
                "free_notifier of {name} runs while it still has users ({} gets, {} puts)",
                t.gets, t.puts
            );
            return Err(Self::contract(log, at, notifier, msg));
        };
        if let Some(section) = first_open.filter(|&s| s < last_put) {
            let msg = format!(
                "free_notifier of {name} runs before a full grace period after its last put \
                 ({}): the read-side section begun at {} has not ended",
                log.cite(last_put),
                log.cite(section)
            );
            return Err(Self::contract(log, at, notifier, msg));
        }
        if let Some((call, ret)) = t.promised_by {
            let msg = format!(
                "free_notifier of {name} starts after mmu_notifier_synchronize (called at {}) \
                 returned at {}, although its last put ({}) had returned before that call",
                log.cite(call),
                log.cite(ret),
                log.cite(last_put)
            );
            return Err(Self::contract(log, at, notifier, msg));
        }
        t.free_started = Some(at);
        Ok(())
    }

    fn on_synchronize_done(
        &mut self,
        at: usize,
        log: &Log<'_>,
        start: usize,
    ) -> Result<(), Violation> {
        for (&notifier, t) in self.notifiers.iter_mut() {
            let outstanding = t.put_returned.is_some_and(|p| p < start) && !t.free_done;
            if !outstanding {
                continue;
            }
            if let Some(free) = t.free_started {
                let msg = format!(
                    "mmu_notifier_synchronize (called at {}) returns while free_notifier of {} \
                     (started at {}) is still running",
                    log.cite(start),
                    log.names.object(notifier),
                    log.cite(free)
                );
                return Err(Self::contract(log, at, notifier, msg));
            }
            t.promised_by.get_or_insert((start, at));
        }
        Ok(())
    }
}

impl Oracle for GetPutOracle {
    fn on_event(&mut self, at: usize, log: &Log<'_>) -> Result<(), Violation> {
        match log.events[at].op {
            Op::NotifierGet {
                notifier,
                mm,
                ops,
                users,
                registered,
            } => self.on_get(at, log, (notifier, mm, ops, users, registered))?,
            Op::NotifierPut { notifier, users } => self.on_put(at, log, notifier, users)?,
            Op::NotifierRegistered {
                notifier,
                mm,
                ops,
                users: Some(users),
            } => {
                // v5.4's mmu_notifier_register: one user, no uniqueness rule.
                self.notifiers
                    .insert(notifier, Tracked::registered(mm, ops));
                let t = &self.notifiers[&notifier];
                Self::check_users(log, at, notifier, t, users)?;
            }
            Op::Return {
                function: "__mmu_notifier_release",
                obj: mm,
            } => {
                // Exit's unlink loop emptied the list; no get can run on an mm without users.
                for t in self.notifiers.values_mut().filter(|t| t.mm == mm) {
                    t.linked = false;
                }
            }
            Op::NotifierUnlinked { notifier } => {
                if let Some(t) = self.notifiers.get_mut(&notifier) {
                    t.linked = false;
                }
            }
            Op::SrcuReadLock { .. } => {
                self.open_sections.insert(at);
            }
            Op::SrcuReadUnlock { section, .. } => {
                self.open_sections.remove(&section);
            }
            Op::MethodStart {
                notifier,
                method: "free_notifier",
                ..
            } => self.on_free_start(at, log, notifier)?,
            Op::MethodDone { start } => {
                if let Some(t) = self
                    .notifiers
                    .values_mut()
                    .find(|t| t.free_started == Some(start))
                {
                    t.free_done = true;
                }
            }
            Op::NotifierSynchronizeDone { start } => self.on_synchronize_done(at, log, start)?,
            Op::Return {
                function: "mmu_notifier_put",
                obj,
            } => {
                if let Some(t) = self.notifiers.get_mut(&obj) {
                    t.put_returned = Some(at);
                }
            }
            Op::Warn { obj, .. } => {
                self.first_warn.get_or_insert((at, obj));
            }
            _ => {}
        }
        Ok(())
    }

    fn at_end(&mut self, log: &Log<'_>) -> Result<(), Violation> {
        if let Some((at, obj)) = self.first_warn {
            let text = match &log.events[at].op {
                Op::Warn { text, .. } => text.clone(),
                _ => String::new(),
            };
            return Err(log.violation_at(
                at,
                ViolationKind::Contract,
                obj,
                format!("kernel warning: {text}"),
            ));
        }
        let unfreed = self
            .notifiers
            .iter()
            .find(|(_, t)| t.last_put.is_some() && !t.free_done);
        if let Some((&notifier, t)) = unfreed {
            let at = t.last_put.unwrap_or(0);
            let msg = format!(
                "free_notifier of {} never completed after its last put",
                log.names.object(notifier)
            );
            return Err(Self::contract(log, at, notifier, msg));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notifier_core::{Execution, Task, ViolationPanic};
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// Runs `f` on a fresh execution judged by this oracle (then its end judgement); returns
    /// the violation, if any.
    fn judged(f: impl FnOnce(&Task, ObjId, ObjId, ObjId)) -> Option<Violation> {
        let exec = Execution::new(vec![Box::new(GetPutOracle::new())]);
        let main = exec.main_task();
        let mm = exec.alloc(&main, "mm".into());
        let a = exec.alloc(&main, "notifier A".into());
        let b = exec.alloc(&main, "notifier B".into());
        let r = catch_unwind(AssertUnwindSafe(|| {
            f(&main, mm, a, b);
            exec.finish();
        }));
        if let Err(p) = r {
            assert!(p.is::<ViolationPanic>(), "only violations may stop it");
        }
        exec.violation()
    }

    fn get(t: &Task, mm: ObjId, n: ObjId, users: usize, registered: bool) -> usize {
        t.record(Op::NotifierGet {
            notifier: n,
            mm,
            ops: 0,
            users,
            registered,
        })
    }

    /// A whole put: its event and, for the last one, its return (after its `call_srcu`).
    fn put(t: &Task, n: ObjId, users: usize) -> usize {
        let at = t.record(Op::NotifierPut { notifier: n, users });
        if users == 0 {
            put_returns(t, n);
        }
        at
    }

    fn put_returns(t: &Task, n: ObjId) {
        t.record(Op::Return {
            function: "mmu_notifier_put",
            obj: n,
        });
    }

    fn free(t: &Task, n: ObjId) {
        let s = t.record(Op::MethodStart {
            notifier: n,
            method: "free_notifier",
            ops: 0,
        });
        t.record(Op::MethodDone { start: s });
    }

    #[test]
    fn get_get_put_put_then_one_free_after_the_grace_period_is_clean() {
        let v = judged(|t, mm, a, _| {
            let s = t.record(Op::SrcuReadLock { idx: 0, cpu: 0 });
            get(t, mm, a, 1, true);
            get(t, mm, a, 2, false);
            put(t, a, 1);
            put(t, a, 0);
            t.record(Op::SrcuReadUnlock {
                idx: 0,
                cpu: 0,
                section: s,
            });
            free(t, a);
        });
        assert_eq!(v, None);
    }

    #[test]
    fn a_v5_4_registration_gives_one_user_that_a_put_may_drop() {
        let register = |t: &Task, mm, n| {
            t.record(Op::NotifierRegistered {
                notifier: n,
                mm,
                ops: 0,
                users: Some(1),
            })
        };
        let clean = judged(|t, mm, a, b| {
            register(t, mm, a);
            // mmu_notifier_register may link a second notifier with the same ops.
            register(t, mm, b);
            put(t, a, 0);
            free(t, a);
            put(t, b, 0);
            free(t, b);
        });
        assert_eq!(clean, None);
        let v = judged(|t, mm, a, _| {
            register(t, mm, a);
            put(t, a, 0);
            free(t, a);
            free(t, a);
        })
        .expect("violation");
        assert!(v.message.contains("runs again"), "{}", v.message);
    }

    #[test]
    fn a_second_linked_notifier_for_the_same_ops_is_reported() {
        let v = judged(|t, mm, a, b| {
            get(t, mm, a, 1, true);
            get(t, mm, b, 1, true);
        })
        .expect("violation");
        assert_eq!(v.kind, ViolationKind::Contract);
        assert_eq!(v.object.as_deref(), Some("notifier B"));
        assert!(v.message.contains("two notifiers"), "{}", v.message);
        // Once A's last put unlinked it, a new registration is fine.
        let clean = judged(|t, mm, a, b| {
            get(t, mm, a, 1, true);
            put(t, a, 0);
            free(t, a);
            get(t, mm, b, 1, true);
            put(t, b, 0);
            free(t, b);
        });
        assert_eq!(clean, None);
    }

    /// A notifier unlinked by other means than its last put (`mmu_notifier_unregister`'s
    /// `hlist_del_init_rcu`, or exit emptying its mm's list) no longer blocks a registration
    /// for its ops on its mm; exit of another mm unlinks nothing here.
    #[test]
    fn a_notifier_unlinked_by_unregister_or_exit_is_no_longer_linked() {
        let after_unlink = judged(|t, mm, a, b| {
            get(t, mm, a, 1, true);
            t.record(Op::NotifierUnlinked { notifier: a });
            get(t, mm, b, 1, true);
        });
        assert_eq!(after_unlink.map(|v| v.message), None);
        let after_exit = judged(|t, mm, a, b| {
            get(t, mm, a, 1, true);
            t.record(Op::Return {
                function: "__mmu_notifier_release",
                obj: mm,
            });
            get(t, mm, b, 1, true);
        });
        assert_eq!(after_exit.map(|v| v.message), None);
        let other_exit = judged(|t, mm, a, b| {
            get(t, mm, a, 1, true);
            t.record(Op::Return {
                function: "__mmu_notifier_release",
                obj: b,
            });
            get(t, mm, b, 1, true);
        })
        .expect("violation");
        assert!(
            other_exit.message.contains("still linked"),
            "{}",
            other_exit.message
        );
    }

    #[test]
    fn a_lost_update_of_users_is_reported() {
        let v = judged(|t, mm, a, _| {
            get(t, mm, a, 1, true);
            get(t, mm, a, 1, false);
        })
        .expect("violation");
        assert!(v.message.contains("was lost"), "{}", v.message);
    }

    #[test]
    fn free_notifier_under_a_section_begun_before_the_last_put_is_reported() {
        let v = judged(|t, mm, a, _| {
            get(t, mm, a, 1, true);
            t.record(Op::SrcuReadLock { idx: 0, cpu: 0 });
            put(t, a, 0);
            free(t, a);
        })
        .expect("violation");
        assert!(v.message.contains("full grace period"), "{}", v.message);
    }

    #[test]
    fn free_notifier_twice_or_with_users_left_is_reported() {
        let twice = judged(|t, mm, a, _| {
            get(t, mm, a, 1, true);
            put(t, a, 0);
            free(t, a);
            free(t, a);
        })
        .expect("violation");
        assert!(twice.message.contains("runs again"), "{}", twice.message);
        let early = judged(|t, mm, a, _| {
            get(t, mm, a, 1, true);
            free(t, a);
        })
        .expect("violation");
        assert!(
            early.message.contains("still has users"),
            "{}",
            early.message
        );
    }

    #[test]
    fn a_free_pending_when_synchronize_returns_is_reported_when_it_starts() {
        let v = judged(|t, mm, a, _| {
            get(t, mm, a, 1, true);
            put(t, a, 0);
            let s = t.record(Op::NotifierSynchronize);
            t.record(Op::NotifierSynchronizeDone { start: s });
            free(t, a);
        })
        .expect("violation");
        assert_eq!(v.kind, ViolationKind::Contract);
        assert!(
            v.message.contains("after mmu_notifier_synchronize"),
            "{}",
            v.message
        );
        // A put after the call is not promised.
        let clean = judged(|t, mm, a, _| {
            get(t, mm, a, 1, true);
            let s = t.record(Op::NotifierSynchronize);
            put(t, a, 0);
            t.record(Op::NotifierSynchronizeDone { start: s });
            free(t, a);
        });
        assert_eq!(clean, None);
        // Nor a put that dropped the last user but had not returned (not yet queued its free)
        // when the call began: the fuzzer's `[get A, put A] || [mmu_notifier_synchronize]`.
        let running = judged(|t, mm, a, _| {
            get(t, mm, a, 1, true);
            t.record(Op::NotifierPut {
                notifier: a,
                users: 0,
            });
            let s = t.record(Op::NotifierSynchronize);
            t.record(Op::NotifierSynchronizeDone { start: s });
            put_returns(t, a);
            free(t, a);
        });
        assert_eq!(running, None);
    }

    #[test]
    fn a_free_running_when_synchronize_returns_is_reported_at_the_return() {
        let v = judged(|t, mm, a, _| {
            get(t, mm, a, 1, true);
            put(t, a, 0);
            let s = t.record(Op::NotifierSynchronize);
            t.record(Op::MethodStart {
                notifier: a,
                method: "free_notifier",
                ops: 0,
            });
            let _f = t.enter("mmu_notifier_synchronize");
            t.record(Op::NotifierSynchronizeDone { start: s });
        })
        .expect("violation");
        assert_eq!(v.function, "mmu_notifier_synchronize");
        assert!(v.message.contains("still running"), "{}", v.message);
    }

    #[test]
    fn a_warning_is_reported_at_the_end_located_at_the_warning() {
        let mut warn = 0;
        let v = judged(|t, mm, a, _| {
            get(t, mm, a, 1, true);
            put(t, a, 0);
            let _f = t.enter("mmu_notifier_put");
            warn = t.record(Op::Warn {
                obj: Some(a),
                text: "WARN_ON(!mn->users)".into(),
            });
            drop(_f);
            free(t, a);
        })
        .expect("violation");
        assert_eq!(v.kind, ViolationKind::Contract);
        assert_eq!(v.step, Some(warn));
        assert_eq!(v.function, "mmu_notifier_put");
    }
}
