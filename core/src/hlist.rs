//! The kernel's RCU hlist (`include/linux/list.h`, `rculist.h`) at the granularity of its loads
//! and stores: each access to a node or to the head is one step a checker may interleave, and
//! each is recorded against the object that holds it (a freed node or head is caught).
//!
//! Pointers are handles: `0` is NULL, `k` is node `k` of the list's [`HlistNodes`] table.
//! `pprev` points either at the head's `first` ([`PPREV_HEAD`]) or at node `k`'s `next`
//! (`PPREV_NODE0 + k`).
//!
//! Memory orders: `rcu_dereference` is an acquire load (loom has no consume ordering),
//! `rcu_assign_pointer` a release store, `READ_ONCE`/`WRITE_ONCE` and plain accesses relaxed.

use crate::backend::{AtomicUsizeOps, Backend, Ordering};
use crate::exec::Task;
use crate::memory::KObj;

/// A pointer to a node (`struct hlist_node *`): 0 is NULL.
pub type NodePtr = usize;
/// The NULL node pointer.
pub const NULL: NodePtr = 0;
/// `pprev == NULL`: the node is unhashed.
pub const PPREV_NULL: usize = 0;
/// `pprev == &head->first`.
pub const PPREV_HEAD: usize = 1;
/// `pprev == &node(k)->next` is encoded as `PPREV_NODE0 + k`. Node handles start at 1, so
/// the encoding is at least 2 and never equals [`PPREV_HEAD`].
pub const PPREV_NODE0: usize = 1;

/// `struct hlist_node`: both fields are read without the lock by someone (`next` by RCU
/// walkers, `pprev` by `hlist_unhashed`), so both are atomics.
pub struct HlistNode<B: Backend> {
    next: B::AtomicUsize,
    pprev: B::AtomicUsize,
}

impl<B: Backend> Default for HlistNode<B> {
    fn default() -> Self {
        HlistNode {
            next: B::AtomicUsize::new(NULL),
            pprev: B::AtomicUsize::new(PPREV_NULL),
        }
    }
}

/// `struct hlist_head`.
pub struct HlistHead<B: Backend> {
    first: B::AtomicUsize,
}

impl<B: Backend> Default for HlistHead<B> {
    fn default() -> Self {
        HlistHead {
            first: B::AtomicUsize::new(NULL),
        }
    }
}

/// The table that resolves node pointers: the objects embedding the nodes.
pub trait HlistNodes<B: Backend> {
    /// The node `ptr` (never NULL) and the kernel object that embeds it.
    fn node(&self, ptr: NodePtr) -> (&HlistNode<B>, &KObj<B>);
}

/// One list: its head, the object the head lives in, and the node table.
pub struct Hlist<'a, B: Backend, T: HlistNodes<B>> {
    /// The head.
    pub head: &'a HlistHead<B>,
    /// The object embedding the head (the `mm_struct`).
    pub head_obj: &'a KObj<B>,
    /// The node table.
    pub nodes: &'a T,
}

impl<B: Backend, T: HlistNodes<B>> Hlist<'_, B, T> {
    fn load_first(&self, cur: &Task, order: Ordering) -> NodePtr {
        self.head_obj.access(cur, "notifier list first", false, || {
            self.head.first.load(order)
        })
    }

    fn store_first(&self, cur: &Task, v: NodePtr, order: Ordering) {
        self.head_obj.access(cur, "notifier list first", true, || {
            self.head.first.store(v, order)
        });
    }

    fn load_next(&self, cur: &Task, n: NodePtr, order: Ordering) -> NodePtr {
        let (node, obj) = self.nodes.node(n);
        obj.access(cur, "hlist.next", false, || node.next.load(order))
    }

    fn store_next(&self, cur: &Task, n: NodePtr, v: NodePtr) {
        let (node, obj) = self.nodes.node(n);
        obj.access(cur, "hlist.next", true, || {
            node.next.store(v, Ordering::Relaxed)
        });
    }

    fn load_pprev(&self, cur: &Task, n: NodePtr) -> usize {
        let (node, obj) = self.nodes.node(n);
        obj.access(cur, "hlist.pprev", false, || {
            node.pprev.load(Ordering::Relaxed)
        })
    }

    fn store_pprev(&self, cur: &Task, n: NodePtr, v: usize) {
        let (node, obj) = self.nodes.node(n);
        obj.access(cur, "hlist.pprev", true, || {
            node.pprev.store(v, Ordering::Relaxed)
        });
    }

    /// `WRITE_ONCE(*pprev, v)`.
    fn store_through_pprev(&self, cur: &Task, pprev: usize, v: NodePtr) {
        if pprev == PPREV_HEAD {
            self.store_first(cur, v, Ordering::Relaxed);
        } else {
            self.store_next(cur, pprev - PPREV_NODE0, v);
        }
    }
}

/// `hlist_add_head(n, h)`: the plain insertion, without release ordering. Registration used it
/// until 2019 (commit 543bdb2d825f): a walker may see `n` before `n`'s initialisation.
pub fn hlist_add_head<B: Backend, T: HlistNodes<B>>(
    cur: &Task,
    list: &Hlist<'_, B, T>,
    n: NodePtr,
) {
    let _f = cur.enter_helper("hlist_add_head");
    let first = list.load_first(cur, Ordering::Relaxed);
    list.store_next(cur, n, first);
    if first != NULL {
        list.store_pprev(cur, first, PPREV_NODE0 + n);
    }
    // WRITE_ONCE(h->first, n): no release, so nothing orders n's initialisation before it.
    list.store_first(cur, n, Ordering::Relaxed);
    list.store_pprev(cur, n, PPREV_HEAD);
}

/// `hlist_add_head_rcu(n, h)`: publishes `n` with a release store, after `n->next` is set.
pub fn hlist_add_head_rcu<B: Backend, T: HlistNodes<B>>(
    cur: &Task,
    list: &Hlist<'_, B, T>,
    n: NodePtr,
) {
    let _f = cur.enter_helper("hlist_add_head_rcu");
    let first = list.load_first(cur, Ordering::Relaxed);
    list.store_next(cur, n, first);
    list.store_pprev(cur, n, PPREV_HEAD);
    // rcu_assign_pointer(hlist_first_rcu(h), n): release. Pairs with the acquire in
    // hlist_first_rcu: a walker that sees n sees n->next and everything written before.
    list.store_first(cur, n, Ordering::Release);
    if first != NULL {
        list.store_pprev(cur, first, PPREV_NODE0 + n);
    }
}

/// `hlist_del_init_rcu(n)`: unlinks `n` if it is hashed and marks it unhashed. `n->next` is
/// left alone so that a walker standing on `n` can continue. A second call is harmless.
/// `unlinking` runs (harness bookkeeping, no step) just before the store that makes `n`
/// unreachable from the head, only when this call unlinks it.
pub fn hlist_del_init_rcu<B: Backend, T: HlistNodes<B>>(
    cur: &Task,
    list: &Hlist<'_, B, T>,
    n: NodePtr,
    unlinking: impl FnOnce(),
) {
    let _f = cur.enter_helper("hlist_del_init_rcu");
    // !hlist_unhashed(n). `__hlist_del` reads n->pprev again; under the lock it cannot have
    // changed, so the model reads it once (the compiler may do the same).
    let pprev = list.load_pprev(cur, n);
    if pprev == PPREV_NULL {
        return;
    }
    // __hlist_del(n)
    let next = list.load_next(cur, n, Ordering::Relaxed);
    unlinking();
    list.store_through_pprev(cur, pprev, next);
    if next != NULL {
        list.store_pprev(cur, next, pprev);
    }
    // WRITE_ONCE(n->pprev, NULL): what hlist_unhashed() sees without the lock.
    list.store_pprev(cur, n, PPREV_NULL);
}

/// `hlist_unhashed(n)`: `!n->pprev`, read without the lock.
pub fn hlist_unhashed<B: Backend, T: HlistNodes<B>>(
    cur: &Task,
    list: &Hlist<'_, B, T>,
    n: NodePtr,
) -> bool {
    let _f = cur.enter_helper("hlist_unhashed");
    list.load_pprev(cur, n) == PPREV_NULL
}

/// `hlist_empty(h)`: `!READ_ONCE(h->first)`.
pub fn hlist_empty<B: Backend, T: HlistNodes<B>>(cur: &Task, list: &Hlist<'_, B, T>) -> bool {
    let _f = cur.enter_helper("hlist_empty");
    list.load_first(cur, Ordering::Relaxed) == NULL
}

/// `hlist_first(h)` read under the lock: `h->first`.
pub fn hlist_first<B: Backend, T: HlistNodes<B>>(cur: &Task, list: &Hlist<'_, B, T>) -> NodePtr {
    list.load_first(cur, Ordering::Relaxed)
}

/// `hlist_for_each_entry_rcu(pos, h)`: `pos = rcu_dereference(h->first)`; while `pos`: body;
/// `pos = rcu_dereference(pos->next)`. The body may stop the walk by returning `false`.
pub fn hlist_for_each_entry_rcu<B: Backend, T: HlistNodes<B>>(
    cur: &Task,
    list: &Hlist<'_, B, T>,
    mut body: impl FnMut(NodePtr) -> bool,
) {
    let mut pos = {
        let _f = cur.enter_helper("hlist_for_each_entry_rcu");
        // rcu_dereference: pairs with the release in hlist_add_head_rcu.
        list.load_first(cur, Ordering::Acquire)
    };
    while pos != NULL {
        if !body(pos) {
            return;
        }
        let _f = cur.enter_helper("hlist_for_each_entry_rcu");
        pos = list.load_next(cur, pos, Ordering::Acquire);
    }
}
