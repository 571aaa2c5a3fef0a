//! `struct mm_struct`: the address space, its two reference counts and its notifier list.
//!
//! - `mm_users`: users of the address space; when it drops to 0, `exit_mmap` runs
//!   `__mmu_notifier_release`.
//! - `mm_count`: pins the struct itself (`mmgrab`/`mmdrop`); at 0 the `mm_struct` and its
//!   `mmu_notifier_mm` are freed, so any later access is a use-after-free.
//!
//! Simplification: `mmu_notifier_mm` (a separate allocation in the kernel, created by the first
//! registration and freed with the `mm_struct`) is modelled as part of the `mm_struct`
//! allocation: they are freed together, so their accesses are checked together.
//!
//! Every access goes through [`KObj::access`], so an access to a freed `mm_struct` is caught.

use crate::backend::{AtomicUsizeOps, Backend, Ordering};
use crate::exec::Task;
use crate::hlist::HlistHead;
use crate::memory::KObj;
use crate::rwsem::RwSemaphore;
use crate::spinlock::SpinLock;
use crate::trace::Op;

/// A handle to an `mm_struct` of the kernel model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MmRef(pub(crate) usize);

/// `struct mm_struct` with its `mmu_notifier_mm`.
pub struct MmStruct<B: Backend> {
    pub(crate) obj: KObj<B>,
    mm_users: B::AtomicUsize,
    mm_count: B::AtomicUsize,
    /// `mm->mmu_notifier_mm->list`.
    pub(crate) list: HlistHead<B>,
    /// `mm->mmu_notifier_mm->lock`.
    pub(crate) lock: SpinLock<B>,
    /// `mm->mmap_sem` (taken for write by `mmu_notifier_get`).
    pub(crate) mmap_sem: RwSemaphore<B>,
}

impl<B: Backend> MmStruct<B> {
    /// `mm_alloc`: one user, one pin (held collectively by the users).
    pub(crate) fn new(cur: &Task, name: &str) -> Self {
        MmStruct {
            obj: KObj::kmalloc(cur, name),
            mm_users: B::AtomicUsize::new(1),
            mm_count: B::AtomicUsize::new(1),
            list: HlistHead::default(),
            lock: SpinLock::default(),
            mmap_sem: RwSemaphore::new("mmap_sem"),
        }
    }

    /// The allocation, to check accesses to the `mm_struct` from driver code.
    pub fn obj(&self) -> &KObj<B> {
        &self.obj
    }

    /// `BUG_ON(atomic_read(&mm->mm_users) <= 0)`: see [`MmStruct::bug_on_mm_count`].
    pub(crate) fn bug_on_no_users(&self, cur: &Task) {
        self.obj.touch(cur, "mm_users", false);
    }

    /// `mmget`: another user of the address space.
    pub(crate) fn mmget(&self, cur: &Task) {
        self.obj.access(cur, "mm_users", true, || {
            self.mm_users.fetch_add(1, Ordering::Relaxed)
        });
    }

    /// `atomic_dec_and_test(&mm->mm_users)`; fully ordered, like every value-returning atomic
    /// RMW in the kernel.
    pub(crate) fn mm_users_dec_and_test(&self, cur: &Task) -> bool {
        self.obj.access(cur, "mm_users", true, || {
            self.mm_users.fetch_sub(1, Ordering::AcqRel)
        }) == 1
    }

    /// `BUG_ON(atomic_read(&mm->mm_count) <= 0)`: checked as an access to the `mm_struct`
    /// (a freed mm is a use-after-free), but not modelled as a load. Its value never steers
    /// the algorithm, and loom explores every value a load may return, which multiplies the
    /// executions for nothing; a count that reached zero has freed the mm, which the access
    /// check reports.
    pub(crate) fn bug_on_mm_count(&self, cur: &Task) {
        self.obj.touch(cur, "mm_count", false);
    }

    /// `mmgrab` (`atomic_inc(&mm->mm_count)`): a pin on the struct.
    pub(crate) fn mmgrab(&self, cur: &Task) {
        let old = self.obj.access(cur, "mm_count", true, || {
            self.mm_count.fetch_add(1, Ordering::Relaxed)
        });
        cur.record(Op::MmGrab {
            mm: self.obj.id(),
            count: old + 1,
        });
    }

    /// The decrement of `mmdrop`: returns whether this dropped the last pin. Fully ordered
    /// (`atomic_dec_and_test`), so every access made under any pin happens before the free.
    pub(crate) fn mm_count_dec_and_test(&self, cur: &Task) -> bool {
        let old = self.obj.access(cur, "mm_count", true, || {
            self.mm_count.fetch_sub(1, Ordering::AcqRel)
        });
        let count = old.wrapping_sub(1);
        cur.record(Op::MmDrop {
            mm: self.obj.id(),
            count,
        });
        count == 0
    }
}
