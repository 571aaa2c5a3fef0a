//! The specification's callback side on the std backend, deterministically: its lists and
//! which CPU queues on which, workers announced but started by the test itself (on its own
//! thread, after `stop_worker`, so that they return once their lists are empty), workers
//! spawned on demand and joined by `stop_worker`, and the routing to another list's worker
//! once the thread limit is reached. The grace periods against concurrent readers are
//! checked under shuttle and loom in `srcu::tests`.

use super::*;
use crate::backend::Std;
use crate::exec::Execution;
use crate::testing::{execution, ops};
use crate::trace::ResolvedOp;
use std::sync::Mutex as StdMutex;

/// Records the calls of the callbacks it makes, in invocation order.
#[derive(Default, Clone)]
struct Ran(Arc<StdMutex<Vec<usize>>>);

impl Ran {
    fn callback(&self, call: usize) -> SrcuCallback {
        let ran = self.clone();
        Box::new(move |_| ran.0.lock().expect("bookkeeping").push(call))
    }

    fn calls(&self) -> Vec<usize> {
        self.0.lock().expect("bookkeeping").clone()
    }
}

/// The callback events from `from` on, as (thread, event).
fn callbacks(exec: &Execution, from: usize) -> Vec<(String, ResolvedOp)> {
    exec.events()[from..]
        .iter()
        .filter(|e| matches!(e.op, Op::CallbackStart { .. } | Op::CallbackDone { .. }))
        .map(|e| (e.thread.clone(), e.op.clone()))
        .collect()
}

fn running(s: &SpecSrcu<Std>, list: usize) -> bool {
    MutexOps::lock(&s.inner.lists[list].state).running
}

#[test]
fn classic_has_one_list_and_tree_one_per_cpu_each_worked_in_order_by_its_worker() {
    let (exec, cur) = execution();
    assert_eq!(
        SpecSrcu::<Std>::new(3, CallbackQueues::Fifo).callback_queues(),
        1
    );
    let s = SpecSrcu::<Std>::new(3, CallbackQueues::PerCpu);
    assert_eq!(s.callback_queues(), 3);
    // Workers announced, not started: entries stay queued, and none is spawned.
    for list in 0..3 {
        s.attach_worker(list);
    }
    let ran = Ran::default();
    for (call, cpu) in [(10, 2), (11, 0), (12, 2)] {
        cur.migrate(cpu);
        s.call_srcu(&cur, call, ran.callback(call));
        assert!(running(&s, cpu), "a queued list is owned by its worker");
    }
    assert!(s
        .inner
        .lists
        .iter()
        .all(|l| l.spawned.lock().unwrap().is_none()));
    assert_eq!(s.lists_with_callbacks(), [0, 2]);
    assert_eq!(ran.calls(), []);
    // Stopped, a worker takes its list's batch, invokes it in order after one grace period
    // (no reader: it waits for nothing), and returns once the list is empty.
    s.stop_worker();
    let from = exec.len();
    cur.migrate(2);
    s.srcu_worker(&cur);
    assert_eq!(ran.calls(), [10, 12]);
    assert_eq!(s.lists_with_callbacks(), [0]);
    assert!(!running(&s, 2), "an emptied list is idle");
    assert!(running(&s, 0));
    let main = || "main".to_string();
    assert_eq!(
        callbacks(&exec, from),
        [
            (main(), Op::CallbackStart { call: 10 }),
            (main(), Op::CallbackDone { call: 10 }),
            (main(), Op::CallbackStart { call: 12 }),
            (main(), Op::CallbackDone { call: 12 }),
        ]
    );
    cur.migrate(0);
    s.srcu_worker(&cur);
    assert_eq!(ran.calls(), [10, 12, 11]);
    assert_eq!(s.lists_with_callbacks(), Vec::<usize>::new());
    assert_eq!(ops(&exec).len(), from + 6);
}

#[test]
fn synchronize_srcu_takes_over_an_idle_list_and_hands_it_back() {
    let (_exec, cur) = execution();
    let s = SpecSrcu::<Std>::new(1, CallbackQueues::Fifo);
    // No worker: a grace period of its own, the list untouched.
    s.synchronize_srcu(&cur);
    assert!(!s.inner.lists[0].attached.load(BOOK));
    // A worker announced, the list idle: taken over for the grace period, then given back.
    s.attach_worker(0);
    s.synchronize_srcu(&cur);
    assert!(!running(&s, 0));
    s.srcu_barrier(&cur);
    assert!(!running(&s, 0));
    assert!(s.lists_with_callbacks().is_empty());
}

#[test]
fn tree_srcu_barrier_entrains_a_marker_behind_each_busy_list_only() {
    let (_exec, cur) = execution();
    let s = SpecSrcu::<Std>::new(2, CallbackQueues::PerCpu);
    // Every list idle: nothing to wait for.
    s.srcu_barrier(&cur);
    assert!(s.lists_with_callbacks().is_empty());
    assert!(!running(&s, 0) && !running(&s, 1));
}

#[test]
fn a_worker_is_spawned_on_demand_on_its_lists_cpu_and_joined_by_stop_worker() {
    for (queues, cpu, name) in [
        (CallbackQueues::Fifo, 1, "G"),
        (CallbackQueues::PerCpu, 0, "G0"),
        (CallbackQueues::PerCpu, 1, "G1"),
    ] {
        let (exec, cur) = execution();
        let s = SpecSrcu::<Std>::new(2, queues);
        let ran = Ran::default();
        cur.migrate(cpu);
        s.call_srcu(&cur, 7, ran.callback(7));
        let list = s.inner.list_of(&cur);
        assert!(list.attached.load(BOOK), "{name}");
        assert!(list.spawned.lock().unwrap().is_some(), "{name}");
        s.stop_worker();
        assert!(list.spawned.lock().unwrap().is_none(), "{name}: joined");
        // Joined, so it returned: it ran the callback, on its own thread.
        assert_eq!(ran.calls(), [7], "{name}");
        assert_eq!(
            callbacks(&exec, 0),
            [
                (name.to_string(), Op::CallbackStart { call: 7 }),
                (name.to_string(), Op::CallbackDone { call: 7 }),
            ],
        );
    }
}

#[test]
fn at_the_thread_limit_a_list_is_worked_by_the_lowest_list_with_a_worker() {
    let (exec, cur) = execution();
    let s = SpecSrcu::<Std>::new(3, CallbackQueues::PerCpu);
    let ran = Ran::default();
    // List 1's worker is spawned on demand (and works its first callback).
    cur.migrate(1);
    s.call_srcu(&cur, 1, ran.callback(1));
    // Threads up to the backend's limit.
    for _ in exec.threads()..Std::MAX_THREADS {
        JoinOps::join(cur.spawn::<Std, _>("T", 0, |_| {}));
    }
    assert_eq!(exec.threads(), Std::MAX_THREADS);
    // No thread left for list 2's or list 0's worker: list 1's works them.
    for (call, cpu) in [(2, 2), (0, 0)] {
        cur.migrate(cpu);
        s.call_srcu(&cur, call, ran.callback(call));
        assert_eq!(s.inner.lists[cpu].routed.get(), Some(&1));
        assert!(s.inner.lists[cpu].spawned.lock().unwrap().is_none());
    }
    s.stop_worker();
    let mut calls = ran.calls();
    calls.sort_unstable();
    assert_eq!(calls, [0, 1, 2]);
    assert!(callbacks(&exec, 0).iter().all(|(t, _)| t == "G1"));
    assert_eq!(exec.threads(), Std::MAX_THREADS);
}

#[test]
fn a_tree_srcu_barrier_marker_alone_in_its_batch_waits_for_no_reader() {
    let (_exec, cur) = execution();
    let s = Arc::new(SpecSrcu::<Std>::new(1, CallbackQueues::PerCpu));
    s.attach_worker(0);
    let barrier = Arc::new(StdMutex::new(None));
    let (sc, bc) = (Arc::clone(&s), Arc::clone(&barrier));
    // The callback, invoked while its worker (main) owns the list: a reader opens a section
    // and keeps it, then another thread's srcu_barrier entrains its marker behind the list.
    let callback: SrcuCallback = Box::new(move |cur: &Task| {
        let sr = Arc::clone(&sc);
        JoinOps::join(cur.spawn::<Std, _>("reader", 0, move |t| {
            sr.read_lock(t);
        }));
        let sb = Arc::clone(&sc);
        *bc.lock().expect("bookkeeping") =
            Some(cur.spawn::<Std, _>("barrier", 0, move |t| sb.srcu_barrier(t)));
        while sc.lists_with_callbacks().is_empty() {
            std::thread::yield_now();
        }
    });
    s.call_srcu(&cur, 1, callback);
    s.stop_worker();
    // The marker is a batch of its own: invoked without a grace period (which would wait for
    // the reader's section forever), as Tree SRCU's entrained callback shares the grace
    // period of the callbacks before it.
    s.srcu_worker(&cur);
    let b = barrier.lock().expect("bookkeeping").take();
    JoinOps::join(b.expect("the barrier's thread"));
    assert!(s.lists_with_callbacks().is_empty());
}
