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

#[cfg(test)]
mod tests {
    //! `include/linux/list.h` and `rculist.h` on one thread: the pointers each operation
    //! leaves, the loads and stores it makes in the kernel's order, and what an RCU walker
    //! sees.

    use super::*;
    use crate::backend::Std;
    use crate::exec::Task;
    use crate::testing::{execution, texts_from};

    /// Nodes 1..=n, each embedded in an object `node k`; the head in `mm`.
    struct Table {
        nodes: Vec<(HlistNode<Std>, KObj<Std>)>,
    }

    impl HlistNodes<Std> for Table {
        fn node(&self, ptr: NodePtr) -> (&HlistNode<Std>, &KObj<Std>) {
            let (node, obj) = &self.nodes[ptr - 1];
            (node, obj)
        }
    }

    struct Fixture {
        head: HlistHead<Std>,
        mm: KObj<Std>,
        table: Table,
    }

    impl Fixture {
        fn new(cur: &Task, n: usize) -> Self {
            Fixture {
                head: HlistHead::default(),
                mm: KObj::kmalloc(cur, "mm"),
                table: Table {
                    nodes: (1..=n)
                        .map(|k| {
                            (
                                HlistNode::default(),
                                KObj::kmalloc(cur, format!("node {k}")),
                            )
                        })
                        .collect(),
                },
            }
        }

        fn list(&self) -> Hlist<'_, Std, Table> {
            Hlist {
                head: &self.head,
                head_obj: &self.mm,
                nodes: &self.table,
            }
        }

        fn first(&self) -> NodePtr {
            self.head.first.load(Ordering::Relaxed)
        }

        /// (next, pprev) of node `k`.
        fn links(&self, k: NodePtr) -> (NodePtr, usize) {
            let node = &self.table.nodes[k - 1].0;
            (
                node.next.load(Ordering::Relaxed),
                node.pprev.load(Ordering::Relaxed),
            )
        }

        fn walk(&self, cur: &Task) -> Vec<NodePtr> {
            let mut seen = Vec::new();
            hlist_for_each_entry_rcu(cur, &self.list(), |n| {
                seen.push(n);
                true
            });
            seen
        }
    }

    #[test]
    fn the_encodings_of_pprev_are_distinct() {
        assert_eq!((PPREV_NULL, PPREV_HEAD, PPREV_NODE0), (0, 1, 1));
        // node 1's next is encoded as 2: never the head's first (1) nor NULL (0).
        assert_eq!(PPREV_NODE0 + 1, 2);
    }

    #[test]
    fn a_new_list_is_empty_and_a_new_node_unhashed() {
        let (exec, cur) = execution();
        let f = Fixture::new(&cur, 1);
        let from = exec.len();
        assert!(hlist_empty(&cur, &f.list()));
        assert!(hlist_unhashed(&cur, &f.list(), 1));
        assert_eq!(hlist_first(&cur, &f.list()), NULL);
        assert_eq!(f.walk(&cur), Vec::<NodePtr>::new());
        assert_eq!(f.links(1), (NULL, PPREV_NULL));
        assert_eq!(
            texts_from(&exec, from),
            [
                "hlist_empty: load mm->notifier list first",
                "hlist_unhashed: load node 1->hlist.pprev",
                "load mm->notifier list first",
                "hlist_for_each_entry_rcu: load mm->notifier list first",
            ]
        );
    }

    #[test]
    fn hlist_add_head_rcu_links_each_node_in_front() {
        let (exec, cur) = execution();
        let f = Fixture::new(&cur, 3);
        let from = exec.len();
        hlist_add_head_rcu(&cur, &f.list(), 1);
        assert_eq!(
            texts_from(&exec, from),
            [
                "hlist_add_head_rcu: load mm->notifier list first",
                "hlist_add_head_rcu: store node 1->hlist.next",
                "hlist_add_head_rcu: store node 1->hlist.pprev",
                "hlist_add_head_rcu: store mm->notifier list first",
            ],
            "no pprev to fix up behind an empty list"
        );
        let from = exec.len();
        hlist_add_head_rcu(&cur, &f.list(), 2);
        assert_eq!(
            texts_from(&exec, from),
            [
                "hlist_add_head_rcu: load mm->notifier list first",
                "hlist_add_head_rcu: store node 2->hlist.next",
                "hlist_add_head_rcu: store node 2->hlist.pprev",
                // rcu_assign_pointer publishes n before first->pprev is updated.
                "hlist_add_head_rcu: store mm->notifier list first",
                "hlist_add_head_rcu: store node 1->hlist.pprev",
            ]
        );
        hlist_add_head_rcu(&cur, &f.list(), 3);
        assert_eq!(f.first(), 3);
        assert_eq!(f.links(3), (2, PPREV_HEAD));
        assert_eq!(f.links(2), (1, PPREV_NODE0 + 3));
        assert_eq!(f.links(1), (NULL, PPREV_NODE0 + 2));
        assert_eq!(f.walk(&cur), [3, 2, 1]);
        assert!(!hlist_empty(&cur, &f.list()));
        assert_eq!(hlist_first(&cur, &f.list()), 3);
        assert!(!hlist_unhashed(&cur, &f.list(), 1));
        assert!(!hlist_unhashed(&cur, &f.list(), 3));
    }

    #[test]
    fn hlist_add_head_stores_first_before_the_new_nodes_pprev() {
        let (exec, cur) = execution();
        let f = Fixture::new(&cur, 2);
        hlist_add_head(&cur, &f.list(), 1);
        let from = exec.len();
        hlist_add_head(&cur, &f.list(), 2);
        assert_eq!(
            texts_from(&exec, from),
            [
                "hlist_add_head: load mm->notifier list first",
                "hlist_add_head: store node 2->hlist.next",
                "hlist_add_head: store node 1->hlist.pprev",
                "hlist_add_head: store mm->notifier list first",
                "hlist_add_head: store node 2->hlist.pprev",
            ]
        );
        assert_eq!(f.first(), 2);
        assert_eq!(f.links(2), (1, PPREV_HEAD));
        assert_eq!(f.links(1), (NULL, PPREV_NODE0 + 2));
        assert_eq!(f.walk(&cur), [2, 1]);
    }

    #[test]
    fn hlist_del_init_rcu_of_a_middle_node_relinks_its_neighbours_and_keeps_its_next() {
        let (exec, cur) = execution();
        let f = Fixture::new(&cur, 3);
        for k in 1..=3 {
            hlist_add_head_rcu(&cur, &f.list(), k);
        }
        let from = exec.len();
        let mut unlinked = 0;
        hlist_del_init_rcu(&cur, &f.list(), 2, || unlinked += 1);
        assert_eq!(unlinked, 1);
        assert_eq!(
            texts_from(&exec, from),
            [
                "hlist_del_init_rcu: load node 2->hlist.pprev",
                "hlist_del_init_rcu: load node 2->hlist.next",
                "hlist_del_init_rcu: store node 3->hlist.next",
                "hlist_del_init_rcu: store node 1->hlist.pprev",
                "hlist_del_init_rcu: store node 2->hlist.pprev",
            ]
        );
        assert_eq!(f.walk(&cur), [3, 1]);
        assert_eq!(f.links(3), (1, PPREV_HEAD));
        assert_eq!(f.links(1), (NULL, PPREV_NODE0 + 3));
        // Unhashed, but next still leads a walker standing on it back into the list.
        assert_eq!(f.links(2), (1, PPREV_NULL));
        assert!(hlist_unhashed(&cur, &f.list(), 2));
    }

    #[test]
    fn hlist_del_init_rcu_of_the_first_and_last_nodes() {
        let (exec, cur) = execution();
        let f = Fixture::new(&cur, 2);
        hlist_add_head_rcu(&cur, &f.list(), 1);
        hlist_add_head_rcu(&cur, &f.list(), 2);
        let from = exec.len();
        hlist_del_init_rcu(&cur, &f.list(), 2, || {});
        assert_eq!(
            texts_from(&exec, from),
            [
                "hlist_del_init_rcu: load node 2->hlist.pprev",
                "hlist_del_init_rcu: load node 2->hlist.next",
                "hlist_del_init_rcu: store mm->notifier list first",
                "hlist_del_init_rcu: store node 1->hlist.pprev",
                "hlist_del_init_rcu: store node 2->hlist.pprev",
            ]
        );
        assert_eq!(f.first(), 1);
        assert_eq!(f.links(1), (NULL, PPREV_HEAD));
        assert_eq!(f.links(2), (1, PPREV_NULL));
        let from = exec.len();
        hlist_del_init_rcu(&cur, &f.list(), 1, || {});
        assert_eq!(
            texts_from(&exec, from),
            [
                "hlist_del_init_rcu: load node 1->hlist.pprev",
                "hlist_del_init_rcu: load node 1->hlist.next",
                "hlist_del_init_rcu: store mm->notifier list first",
                "hlist_del_init_rcu: store node 1->hlist.pprev",
            ],
            "the last node has no successor's pprev to fix"
        );
        assert_eq!(f.first(), NULL);
        assert!(hlist_empty(&cur, &f.list()));
        assert_eq!(f.links(1), (NULL, PPREV_NULL));
    }

    #[test]
    fn a_second_hlist_del_init_rcu_only_reads_pprev() {
        let (exec, cur) = execution();
        let f = Fixture::new(&cur, 2);
        hlist_add_head_rcu(&cur, &f.list(), 1);
        hlist_add_head_rcu(&cur, &f.list(), 2);
        hlist_del_init_rcu(&cur, &f.list(), 1, || {});
        let from = exec.len();
        let mut unlinked = 0;
        hlist_del_init_rcu(&cur, &f.list(), 1, || unlinked += 1);
        assert_eq!(unlinked, 0);
        assert_eq!(
            texts_from(&exec, from),
            ["hlist_del_init_rcu: load node 1->hlist.pprev"]
        );
        assert_eq!(f.walk(&cur), [2]);
        assert_eq!(f.links(2), (NULL, PPREV_HEAD));
    }

    #[test]
    fn the_walk_loads_each_next_with_the_walker_as_site_and_stops_when_asked() {
        let (exec, cur) = execution();
        let f = Fixture::new(&cur, 3);
        for k in 1..=3 {
            hlist_add_head_rcu(&cur, &f.list(), k);
        }
        let from = exec.len();
        assert_eq!(f.walk(&cur), [3, 2, 1]);
        assert_eq!(
            texts_from(&exec, from),
            [
                "hlist_for_each_entry_rcu: load mm->notifier list first",
                "hlist_for_each_entry_rcu: load node 3->hlist.next",
                "hlist_for_each_entry_rcu: load node 2->hlist.next",
                "hlist_for_each_entry_rcu: load node 1->hlist.next",
            ]
        );
        let mut seen = Vec::new();
        hlist_for_each_entry_rcu(&cur, &f.list(), |n| {
            seen.push(n);
            n != 2
        });
        assert_eq!(seen, [3, 2], "the body stopped the walk at node 2");
    }

    #[test]
    fn a_walker_standing_on_a_deleted_node_goes_on_to_its_successor() {
        let (_exec, cur) = execution();
        let f = Fixture::new(&cur, 3);
        for k in 1..=3 {
            hlist_add_head_rcu(&cur, &f.list(), k);
        }
        let mut seen = Vec::new();
        hlist_for_each_entry_rcu(&cur, &f.list(), |n| {
            if n == 3 {
                hlist_del_init_rcu(&cur, &f.list(), 3, || {});
            }
            seen.push(n);
            true
        });
        assert_eq!(seen, [3, 2, 1]);
        assert_eq!(f.walk(&cur), [2, 1]);
    }

    #[test]
    fn an_access_to_a_freed_node_comes_after_its_free_in_the_trace() {
        let (exec, cur) = execution();
        let f = Fixture::new(&cur, 1);
        hlist_add_head_rcu(&cur, &f.list(), 1);
        hlist_del_init_rcu(&cur, &f.list(), 1, || {});
        f.table.nodes[0].1.kfree(&cur);
        let from = exec.len();
        assert!(hlist_unhashed(&cur, &f.list(), 1));
        assert_eq!(
            texts_from(&exec, from - 1),
            ["kfree node 1", "hlist_unhashed: load node 1->hlist.pprev"],
            "the memory oracle sees the load after the kfree: a use-after-free"
        );
    }
}
