//! The 2019 get/put registration (v5.4, commit 2c7933f53f6b): `mmu_notifier_get_locked`,
//! `mmu_notifier_put`, `mmu_notifier_free_rcu`, and module unload.
//!
//! A driver keys its notifier by its `mmu_notifier_ops`: `get` returns the notifier already
//! linked on the mm for those ops (one more user) or allocates and registers one; the last
//! `put` unlinks it and frees it after a grace period through `call_srcu`, so a walker still
//! standing on it is safe by construction. `users` and the list are serialised by
//! `mm->mmu_notifier_mm->lock`; concurrent gets by `mm->mmap_sem` (held for write).

use super::{Kernel, MnRef, OpsId};
use crate::backend::{Backend, RaceCell};
use crate::exec::Task;
use crate::hlist::hlist_del_init_rcu;
use crate::hlist::hlist_for_each_entry_rcu;
use crate::mm::MmRef;
use crate::rwsem::up_write;
use crate::spinlock::spin_unlock;
use crate::trace::Op;
use std::fmt;
use std::sync::Arc;

/// An error a kernel API returns (`ERR_PTR(-E...)`, or a negative `int`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Errno {
    /// `-EOVERFLOW`: `mmu_notifier_get` found the notifier at its maximum of users.
    Overflow,
    /// `-EAGAIN`: a driver's `->invalidate_range_start` would have to sleep in a
    /// non-blockable range.
    Again,
}

impl Errno {
    /// `-EOVERFLOW`, `-EAGAIN`.
    pub fn name(self) -> &'static str {
        match self {
            Errno::Overflow => "-EOVERFLOW",
            Errno::Again => "-EAGAIN",
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<B: Backend> Kernel<B> {
    /// The name the next notifier allocated gets: "notifier A", "notifier B", ...
    pub fn next_notifier_name(&self) -> String {
        let n = self.notifiers.0.len();
        let letter = char::from(b'A' + u8::try_from(n % 26).unwrap_or(0));
        format!("notifier {letter}")
    }

    /// `mmu_notifier_get(ops, mm)`: `down_write(&mm->mmap_sem)`, [`Kernel::mmu_notifier_get_locked`],
    /// `up_write`. The caller holds a user of `mm` (`mm_users > 0`), as a process in a system
    /// call does for its own mm.
    pub fn mmu_notifier_get(
        self: &Arc<Self>,
        cur: &Task,
        ops: OpsId,
        mm: MmRef,
    ) -> Result<MnRef, Errno> {
        let _f = cur.enter("mmu_notifier_get");
        let m = self.mm(mm);
        let sem = m.mmap_sem.down_write(cur, &m.obj);
        let mn = self.mmu_notifier_get_locked(cur, ops, mm);
        up_write(cur, sem);
        mn
    }

    /// `mmu_notifier_get_locked(ops, mm)` (v5.4 l.382-407), with `mm->mmap_sem` held for
    /// write: the notifier linked on `mm` for `ops` with one more user, or a new one from
    /// `ops->alloc_notifier`, registered with one user. `-EOVERFLOW` when the linked one is at
    /// `users_max`.
    pub fn mmu_notifier_get_locked(
        self: &Arc<Self>,
        cur: &Task,
        ops: OpsId,
        mm: MmRef,
    ) -> Result<MnRef, Errno> {
        let _f = cur.enter("mmu_notifier_get_locked");
        // if (mm->mmu_notifier_mm) { mn = find_get_mmu_notifier(mm, ops); ... } (l.389-393):
        // ordered by mmap_sem with the only store to the pointer.
        if self.mm(mm).mm_has_notifiers(cur) {
            if let Some(found) = self.find_get_mmu_notifier(cur, mm, ops) {
                return found;
            }
        }
        cur.record(Op::DriverCall {
            ops: ops.0,
            method: "alloc_notifier",
        });
        let mn = {
            let _d = cur.enter_helper("alloc_notifier");
            self.ops[ops.0].alloc_notifier(self, cur, ops, mm)
        };
        let _r = cur.enter_helper("__mmu_notifier_register");
        self.register_locked(cur, mn, mm, Some(ops));
        Ok(mn)
    }

    /// `find_get_mmu_notifier(mm, ops)`: under the lock, the first linked notifier whose
    /// `ops` match gets one more user (or `-EOVERFLOW` at the maximum). `None` when there is
    /// none.
    fn find_get_mmu_notifier(
        &self,
        cur: &Task,
        mm: MmRef,
        ops: OpsId,
    ) -> Option<Result<MnRef, Errno>> {
        let _f = cur.enter_helper("find_get_mmu_notifier");
        let m = self.mm(mm);
        let lock = m.lock.spin_lock(cur, &m.obj);
        let mut found = None;
        hlist_for_each_entry_rcu(cur, &self.list(m), |pos| {
            let n = self.notifiers.0.get(pos);
            // if (mn->ops != ops) continue;
            let mn_ops = n.obj.access(cur, "ops", false, || n.ops.with(|o| *o));
            if mn_ops != Some(ops) {
                return true;
            }
            let users = n.obj.access(cur, "users", false, || n.users.with(|u| *u));
            found = Some(if users != self.config.users_max {
                n.obj
                    .access(cur, "users", true, || n.users.with_mut(|u| *u = users + 1));
                cur.record(Op::NotifierGet {
                    notifier: n.obj.id(),
                    mm: m.obj.id(),
                    ops: ops.0,
                    users: users + 1,
                    registered: false,
                });
                Ok(MnRef(pos))
            } else {
                cur.record(Op::Note {
                    text: format!("users = {users} (the maximum): -EOVERFLOW"),
                });
                Err(Errno::Overflow)
            });
            false
        });
        spin_unlock(cur, lock);
        found
    }

    /// `mmu_notifier_put(mn)`: drops a user; the last one unlinks `mn` under the lock and
    /// frees it after a grace period (`call_srcu(mmu_notifier_free_rcu)`). A put without a
    /// matching get (`users == 0`) fires `WARN_ON` and does nothing else, as in the kernel.
    pub fn mmu_notifier_put(self: &Arc<Self>, cur: &Task, mn: MnRef) {
        let _f = cur.enter("mmu_notifier_put");
        let n = self.notifier(mn);
        // struct mm_struct *mm = mn->mm;
        let Some(mm) = n.obj.access(cur, "mm", false, || n.mm.with(|p| *p)) else {
            cur.bug(
                Some(n.obj.id()),
                "mmu_notifier_put of a notifier whose mn->mm was never set (not registered by v5.4)",
            )
        };
        let m = self.mm(mm);
        let lock = m.lock.spin_lock(cur, &m.obj);
        let users = n.obj.access(cur, "users", false, || n.users.with(|u| *u));
        // if (WARN_ON(!mn->users) || --mn->users) goto out_unlock;
        if users == 0 {
            let _w = cur.enter_helper("WARN_ON");
            cur.record(Op::Warn {
                obj: Some(n.obj.id()),
                text: "WARN_ON(!mn->users): mmu_notifier_put without a matching get".to_string(),
            });
            drop(_w);
            spin_unlock(cur, lock);
            return;
        }
        n.obj
            .access(cur, "users", true, || n.users.with_mut(|u| *u = users - 1));
        cur.record(Op::NotifierPut {
            notifier: n.obj.id(),
            users: users - 1,
        });
        if users - 1 != 0 {
            spin_unlock(cur, lock);
            return;
        }
        hlist_del_init_rcu(cur, &self.list(m), mn.0, || self.unlinked(cur, mn));
        spin_unlock(cur, lock);
        let k = Arc::clone(self);
        self.srcu
            .call_srcu(cur, Box::new(move |cur| k.mmu_notifier_free_rcu(cur, mn)));
        // The last put has returned: from here on, mmu_notifier_synchronize promises its free.
        cur.record(Op::Return {
            function: "mmu_notifier_put",
            obj: n.obj.id(),
        });
    }

    /// `mmu_notifier_free_rcu` (the SRCU callback queued by the last put):
    /// `mn->ops->free_notifier(mn)`, then `mmdrop(mm)`, which pairs with registration's
    /// `mmgrab`.
    pub fn mmu_notifier_free_rcu(self: &Arc<Self>, cur: &Task, mn: MnRef) {
        let _f = cur.enter_helper("mmu_notifier_free_rcu");
        let n = self.notifier(mn);
        // struct mm_struct *mm = mn->mm;
        let Some(mm) = n.obj.access(cur, "mm", false, || n.mm.with(|p| *p)) else {
            cur.bug(
                Some(n.obj.id()),
                "deferred free of a notifier never registered",
            )
        };
        self.call_method(cur, mn, "free_notifier", |ops| {
            ops.free_notifier(self, cur, mn)
        });
        self.mmdrop(cur, mm);
    }

    /// The module implementing driver `ops` is unloaded (after its `module_exit`, typically
    /// `mmu_notifier_synchronize()`, returned): its code is gone, and any later call into it
    /// is a violation ([`crate::ViolationKind::CallAfterUnload`]).
    pub fn module_unload(&self, cur: &Task, ops: OpsId) {
        let _f = cur.enter("module_unload");
        cur.record(Op::ModuleUnload { ops: ops.0 });
    }
}
