//! `struct mm_struct`: the address space, its two reference counts and its notifier list.
//!
//! - `mm_users`: users of the address space; when it drops to 0, `exit_mmap` runs
//!   `__mmu_notifier_release`.
//! - `mm_count`: pins the struct itself (`mmgrab`/`mmdrop`); at 0 the `mm_struct` and its
//!   `mmu_notifier_mm` are freed, so any later access is a use-after-free.
//!
//! `mm->mmu_notifier_mm` is modelled as the kernel has it: a pointer, NULL until the first
//! registration allocates the struct (`kmalloc`, `INIT_HLIST_HEAD`, `spin_lock_init`) and
//! publishes it with a plain store; walkers test it without a lock (`mm_has_notifiers`).
//!
//! Simplification: the struct it points to (the notifier list and its lock) lives in the
//! `mm_struct` allocation. In the kernel it is its own allocation, but it is created once and
//! freed with the `mm_struct` (`__mmdrop` → `mmu_notifier_mm_destroy`), so its lifetime is the
//! mm's and its accesses are checked as accesses to the mm. Its initialisation is one plain
//! write (`MmStruct::mmu_notifier_mm_alloc`) that every unlocked reader is checked against
//! (loom reports a read not ordered after it); v3.x's `kmalloc` of a struct that turns out to
//! be unneeded (the mm already had one), freed before anyone can see it, is not modelled.
//!
//! Every access goes through [`KObj::access`], so an access to a freed `mm_struct` is caught.

use crate::backend::{AtomicUsizeOps, Backend, Ordering, RaceCell};
use crate::exec::Task;
use crate::hlist::HlistHead;
use crate::memory::KObj;
use crate::rwsem::{up_write, RwSemWriteGuard, RwSemaphore};
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
    /// `mm->mmu_notifier_mm`: the pointer (0: NULL). Written once, by the first registration,
    /// with a plain store; read without a lock by `mm_has_notifiers`.
    mmu_notifier_mm: B::AtomicUsize,
    /// The contents of `*mm->mmu_notifier_mm` as `INIT_HLIST_HEAD` and `spin_lock_init` leave
    /// them: a plain cell written when the struct is allocated, read by every unlocked reader
    /// of the list (loom reports a read not ordered after the write).
    mmu_notifier_mm_init: B::Cell<()>,
    /// `mm->mmu_notifier_mm->list`.
    pub(crate) list: HlistHead<B>,
    /// `mm->mmu_notifier_mm->lock`.
    pub(crate) lock: SpinLock<B>,
    /// `mm->mmap_sem`: held for write by registration (`mmu_notifier_register`,
    /// `mmu_notifier_get`); for read by walkers such as the OOM reaper.
    pub(crate) mmap_sem: RwSemaphore<B>,
    /// The rmap locks of the mm's vmas (every `anon_vma` lock and `i_mmap_rwsem`), which
    /// `mm_take_all_locks` takes for write and rmap walkers (`try_to_unmap`) hold for read
    /// around their invalidate walks: one lock stands for all of them (see
    /// [`MmStruct::mm_take_all_locks`]).
    pub(crate) rmap_locks: RwSemaphore<B>,
}

impl<B: Backend> MmStruct<B> {
    /// `mm_alloc`: one user, one pin (held collectively by the users).
    pub(crate) fn new(cur: &Task, name: &str) -> Self {
        MmStruct {
            obj: KObj::kmalloc(cur, name),
            mm_users: B::AtomicUsize::new(1),
            mm_count: B::AtomicUsize::new(1),
            mmu_notifier_mm: B::AtomicUsize::new(0),
            mmu_notifier_mm_init: B::Cell::new(()),
            list: HlistHead::default(),
            lock: SpinLock::default(),
            mmap_sem: RwSemaphore::new("mmap_sem"),
            rmap_locks: RwSemaphore::new("rmap locks"),
        }
    }

    /// `mm_take_all_locks(mm)` (`mm/mmap.c`): takes, for write, every `anon_vma` lock and
    /// every `i_mmap_rwsem` of the mm's vmas, so that no rmap walker of this mm runs until
    /// `mm_drop_all_locks`. The caller holds `mmap_sem` for write, which excludes the walkers
    /// that hold `mmap_sem` for read.
    ///
    /// Simplification: one reader-writer lock ([`MmStruct::rmap_locks`]) stands for all of
    /// those locks. A walker holds one of them for read; registration holds them all for write,
    /// so it excludes every such walker, whichever lock it holds, exactly as the kernel does.
    /// Where the model differs it is weaker (more interleavings, possible false alarms, no
    /// hidden bug): walkers that would hold the same `i_mmap_rwsem` for write (truncate) run
    /// concurrently with each other here, and the kernel's `mm_take_all_locks` fails with
    /// `-EINTR` on a fatal signal, which is not modelled (registration then fails before
    /// publishing anything).
    pub(crate) fn mm_take_all_locks<'a>(&'a self, cur: &Task) -> RwSemWriteGuard<'a, B> {
        let _f = cur.enter_helper("mm_take_all_locks");
        self.rmap_locks.down_write(cur, &self.obj)
    }

    /// `mm_drop_all_locks(mm)`.
    pub(crate) fn mm_drop_all_locks(&self, cur: &Task, locks: RwSemWriteGuard<'_, B>) {
        let _f = cur.enter_helper("mm_drop_all_locks");
        up_write(cur, locks);
    }

    /// `mm_has_notifiers(mm)`: `unlikely(mm->mmu_notifier_mm)`, a plain load (relaxed: it
    /// orders nothing), made without a lock by walkers.
    pub(crate) fn mm_has_notifiers(&self, cur: &Task) -> bool {
        let _f = cur.enter_helper("mm_has_notifiers");
        self.obj.access(cur, "mmu_notifier_mm", false, || {
            self.mmu_notifier_mm.load(Ordering::Relaxed)
        }) != 0
    }

    /// `kmalloc(sizeof(struct mmu_notifier_mm))`, `INIT_HLIST_HEAD(&p->list)`,
    /// `spin_lock_init(&p->lock)`: the struct's initialisation, one plain write (nobody can
    /// see the struct yet).
    pub(crate) fn mmu_notifier_mm_alloc(&self, cur: &Task) {
        cur.record(Op::Note {
            text: "kmalloc mmu_notifier_mm; INIT_HLIST_HEAD, spin_lock_init".to_string(),
        });
        self.obj
            .access_plain(cur, "mmu_notifier_mm->list (initialisation)", true, || {
                self.mmu_notifier_mm_init.with_mut(|_| ())
            });
    }

    /// `mm->mmu_notifier_mm = mmu_notifier_mm`: the plain store that publishes the struct
    /// (v3.16 l.213, v5.4 l.298). Nothing orders the struct's initialisation before it for a
    /// reader that holds none of the locks registration holds.
    pub(crate) fn publish_mmu_notifier_mm(&self, cur: &Task) {
        self.obj.access(cur, "mmu_notifier_mm", true, || {
            self.mmu_notifier_mm.store(1, Ordering::Relaxed)
        });
    }

    /// A reader's first look inside `*mm->mmu_notifier_mm` (the list head): checked against
    /// the struct's initialisation.
    pub(crate) fn read_mmu_notifier_mm(&self, cur: &Task) {
        self.obj
            .access_plain(cur, "mmu_notifier_mm->list (initialisation)", false, || {
                self.mmu_notifier_mm_init.with(|_| ())
            });
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
