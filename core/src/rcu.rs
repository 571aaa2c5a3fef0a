//! An RCU-protected pointer (`struct foo __rcu *gp`): published with `rcu_assign_pointer`,
//! read with `rcu_dereference` / `srcu_dereference`, for protocols of one's own on top of
//! [`crate::srcu`] (with or without an mmu_notifier).
//!
//! The pointer is one atomic word of the backend, so that every load and store of it is a step
//! of the model that the checkers interleave; what it points at is a kernel object
//! ([`KObject`]: a [`KBox`] with typed data, a bare [`KObj`], or a struct of one's own that
//! embeds one). Memory orders, as in [`crate::hlist`]:
//! - `rcu_assign_pointer` is a release store: the object's initialisation happens before a
//!   reader that loads the pointer can access it;
//! - `rcu_dereference` and `srcu_dereference` are acquire loads. The kernel's are
//!   dependency-ordered loads (`READ_ONCE`, consume), which loom does not have: acquire is
//!   stronger, so a reader that would need more than the address dependency to be ordered is
//!   not caught (errs towards hiding a bug, on weak-memory checks only);
//! - `rcu_dereference_protected` (the updater, under the lock that serialises updates) is a
//!   relaxed load.
//!
//! Every load and store is recorded in the trace ([`Op::RcuAssignPointer`],
//! [`Op::RcuDereference`]) with the object it read or wrote, so a counterexample shows which
//! object each reader found. A dereference does not access the object itself: the reader's
//! accesses that follow do, and those are checked against the object's free.

use crate::backend::{AtomicUsizeOps, Backend, Ordering};
use crate::exec::Task;
use crate::kbox::KBox;
use crate::memory::KObj;
use crate::srcu::SrcuIdx;
use crate::trace::Op;
use std::sync::{Arc, Mutex, MutexGuard};

/// A kernel object an RCU-protected pointer can point at: anything that is, or embeds, an
/// allocation ([`KObj`]).
pub trait KObject<B: Backend>: Send + Sync + 'static {
    /// The allocation.
    fn kobj(&self) -> &KObj<B>;
}

impl<B: Backend> KObject<B> for KObj<B> {
    fn kobj(&self) -> &KObj<B> {
        self
    }
}

impl<B: Backend, T: Send + 'static> KObject<B> for KBox<B, T> {
    fn kobj(&self) -> &KObj<B> {
        self.obj()
    }
}

/// `P __rcu *slot`: a pointer to a `P` (or `NULL`) that readers load under RCU or SRCU while an
/// updater replaces it. Share it between the model's threads in an `Arc` (or in a struct they
/// share).
pub struct RcuPointer<B: Backend, P: KObject<B>> {
    /// The slot's name in the trace (`gp`, `dev->config`).
    name: &'static str,
    /// The pointer: `0` is `NULL`, `k` is `targets[k - 1]`.
    ptr: B::AtomicUsize,
    /// Every object the slot has pointed at, in the order of their first assignment. The
    /// harness's bookkeeping, not kernel memory: its std mutex is held for a push or a clone,
    /// never across a scheduling point.
    targets: Mutex<Vec<Arc<P>>>,
}

impl<B: Backend, P: KObject<B>> std::fmt::Debug for RcuPointer<B, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RcuPointer").field(&self.name).finish()
    }
}

/// `NULL`.
const NULL: usize = 0;

impl<B: Backend, P: KObject<B>> RcuPointer<B, P> {
    /// A pointer named `name` in the trace, initially `NULL` (not a step of the model).
    pub fn new(name: &'static str) -> Self {
        RcuPointer {
            name,
            ptr: B::AtomicUsize::new(NULL),
            targets: Mutex::new(Vec::new()),
        }
    }

    fn targets(&self) -> MutexGuard<'_, Vec<Arc<P>>> {
        self.targets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The word that stands for `p`.
    fn word(&self, p: Option<&Arc<P>>) -> usize {
        let Some(p) = p else {
            return NULL;
        };
        let mut targets = self.targets();
        match targets.iter().position(|t| Arc::ptr_eq(t, p)) {
            Some(i) => i + 1,
            None => {
                targets.push(Arc::clone(p));
                targets.len()
            }
        }
    }

    /// The object the word `w` stands for.
    fn target(&self, w: usize) -> Option<Arc<P>> {
        w.checked_sub(1).map(|i| Arc::clone(&self.targets()[i]))
    }

    /// `rcu_assign_pointer(slot, p)`: publishes `p` (`None`: `NULL`). A release store: what
    /// this thread did to the object before (its initialisation) happens before the accesses
    /// of a reader that loads it. Pairs with the acquire of the dereferences.
    pub fn rcu_assign_pointer(&self, cur: &Task, p: Option<&Arc<P>>) {
        let _f = cur.enter_helper("rcu_assign_pointer");
        let w = self.word(p);
        self.ptr.store(w, Ordering::Release);
        cur.record(Op::RcuAssignPointer {
            slot: self.name,
            obj: p.map(|p| p.kobj().id()),
        });
    }

    /// `rcu_dereference(slot)`: the object the pointer points at, if any, for a reader inside
    /// an RCU read-side section (or one that does not need one: the caller decides). An
    /// acquire load (see the module documentation).
    pub fn rcu_dereference(&self, cur: &Task) -> Option<Arc<P>> {
        self.dereference(cur, "rcu_dereference", Ordering::Acquire)
    }

    /// `srcu_dereference(slot, sp)`: the object the pointer points at, if any, for a reader
    /// inside the SRCU read-side section `section` (what the kernel's lockdep checks, the
    /// borrow makes sure of: the section has not been unlocked). An acquire load. The object
    /// may still be used after the section ends: that use is what the memory oracle and loom
    /// judge against the updater's free.
    pub fn srcu_dereference(&self, cur: &Task, section: &SrcuIdx) -> Option<Arc<P>> {
        let _ = section;
        self.dereference(cur, "srcu_dereference", Ordering::Acquire)
    }

    /// `rcu_dereference_protected(slot, c)`: the object the pointer points at, for the
    /// updater, which holds the lock that serialises updates (the caller's condition `c`): a
    /// relaxed load, ordered by that lock.
    pub fn rcu_dereference_protected(&self, cur: &Task) -> Option<Arc<P>> {
        self.dereference(cur, "rcu_dereference_protected", Ordering::Relaxed)
    }

    /// `rcu_replace_pointer(slot, p, c)`: `rcu_dereference_protected`, then
    /// `rcu_assign_pointer(slot, p)`; returns the object it pointed at, which the updater may
    /// free once no reader can hold it (after `synchronize_srcu`, or from a `call_srcu`
    /// callback).
    pub fn rcu_replace_pointer(&self, cur: &Task, p: Option<&Arc<P>>) -> Option<Arc<P>> {
        let _f = cur.enter_helper("rcu_replace_pointer");
        let old = self.rcu_dereference_protected(cur);
        self.rcu_assign_pointer(cur, p);
        old
    }

    fn dereference(&self, cur: &Task, primitive: &'static str, order: Ordering) -> Option<Arc<P>> {
        let _f = cur.enter_helper(primitive);
        let w = self.ptr.load(order);
        let p = self.target(w);
        cur.record(Op::RcuDereference {
            primitive,
            slot: self.name,
            obj: p.as_ref().map(|p| p.kobj().id()),
        });
        p
    }
}
