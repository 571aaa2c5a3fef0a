//! The workqueue on its own: which slot runs an item, the order `take` hands items out in,
//! the sleeper's window for wake-ups (std backend, one thread), and, under shuttle's
//! exhaustive search, that with a kworker every item runs on it while the waiter sleeps.

use super::*;
use crate::backend::{Backend, JoinOps, Shuttle, Std};
use crate::exec::{Execution, ViolationPanic};
use crate::testing::execution;
use crate::trace::ThreadId;
use std::sync::{Arc, Mutex};

#[test]
fn an_item_runs_on_its_homes_kworker_else_on_the_lowest_slot_with_one() {
    let wq = Workqueue::<Std>::new(3, vec![0, 1, 2]);
    let routes = |wq: &Workqueue<Std>| [0, 1, 2].map(|w| wq.route(w));
    assert!(!wq.has_kworkers());
    assert_eq!(routes(&wq), [None; 3]);
    wq.attach(2);
    assert!(wq.has_kworkers());
    assert_eq!(routes(&wq), [Some(2); 3]);
    wq.attach(1);
    assert_eq!(routes(&wq), [Some(1), Some(1), Some(2)]);
}

#[test]
fn take_hands_out_immediate_items_then_delayed_ones_in_queueing_order_never_one_running() {
    let (_exec, cur) = execution();
    let wq = Workqueue::<Std>::new(1, vec![0, 0, 0]);
    assert!(wq.queue(2, true));
    assert!(wq.queue(1, false));
    assert!(wq.queue(0, false));
    assert!(!wq.queue(0, false), "already pending");
    assert_eq!(wq.outstanding.load(BOOK), 3);
    // The oldest immediate item `pick` accepts (item 1 is older but refused).
    let first = wq.take(|w| w != 1);
    assert_eq!(first, Some((0, false)));
    // Item 0's run requeues it with a delay (a poll): pending while it still runs, so no
    // one takes it meanwhile (non-reentrancy).
    wq.run_one(&cur, first.expect("taken"), &|_: &Task, w: usize| {
        assert!(wq.queue(w, true));
        assert_eq!(wq.take(|w| w == 0), None, "item 0 is running");
    });
    assert_eq!(wq.outstanding.load(BOOK), 3);
    // Immediate first, then the delayed ones in queueing order; only the requeued one is a
    // poll.
    assert_eq!(wq.take(|_| true), Some((1, false)));
    assert_eq!(wq.take(|_| true), Some((2, false)));
    assert_eq!(wq.take(|_| true), Some((0, true)));
    assert_eq!(wq.take(|_| true), None);
}

#[test]
fn a_sleeper_is_woken_only_between_prepare_and_the_end_of_its_sleep() {
    let (_exec, cur) = execution();
    let s = Sleeper::<Std>::current();
    assert!(!s.parked.load(BOOK));
    s.prepare();
    assert!(s.parked.load(BOOK));
    // The condition held: a later wake must not unpark a thread that may then be blocked on
    // a mutex (loom panics on that).
    s.cancel();
    assert!(!s.parked.load(BOOK));
    // A wake-up between prepare and sleep is not lost: the sleep returns at once.
    s.prepare();
    s.wake();
    s.sleep(&cur);
    assert!(!s.parked.load(BOOK));
}

/// Shuttle PCT, fixed seed, 200 schedules (DFS cannot be used: shuttle lets a `park` return
/// spuriously, so a sleeper's loop has schedules of every length): one kworker, on slot 1 of 2; `main` queues item 0 (home slot 0,
/// which has no kworker) and waits for it, then item 1 (home slot 1), then stops the
/// kworker and joins it. Asserts in every schedule that both items ran on the kworker, never
/// in the waiter: a waiter sleeps while a kworker exists, and the kworker stays until it is
/// stopped. Returns the schedules explored.
fn every_item_on_the_kworker() -> usize {
    let runner = shuttle::Runner::new(
        shuttle::scheduler::PctScheduler::new_from_seed(0x5eed, 3, 200),
        shuttle::Config::default(),
    );
    runner.run(|| {
        let exec = Execution::new(Vec::new());
        let main = exec.main_task();
        let wq = Arc::new(Workqueue::<Shuttle>::new(2, vec![0, 1]));
        // Bookkeeping of the test: the completion the running item completes, and who ran
        // which item (one model thread runs at a time).
        let waiting: Arc<Mutex<Option<Arc<Completion<Shuttle>>>>> = Arc::default();
        let ran: Arc<Mutex<Vec<(usize, ThreadId)>>> = Arc::default();
        let run = {
            let (waiting, ran) = (Arc::clone(&waiting), Arc::clone(&ran));
            move |cur: &Task, w: usize| {
                ran.lock().expect("bookkeeping").push((w, cur.id()));
                let c = waiting.lock().expect("bookkeeping").take();
                c.expect("an item runs once per queueing").complete();
            }
        };
        wq.attach(1);
        let kworker = {
            let (wq, run) = (Arc::clone(&wq), run.clone());
            main.spawn::<Shuttle, _>("kworker", 1, move |t| {
                wq.kworker(t, run);
                t.id()
            })
        };
        for w in [0, 1] {
            let done = Arc::new(Completion::<Shuttle>::new());
            *waiting.lock().expect("bookkeeping") = Some(Arc::clone(&done));
            assert!(wq.queue(w, false));
            done.wait_for_completion(&main, &wq, &run);
        }
        wq.stop();
        let k = JoinOps::join(kworker);
        assert_eq!(*ran.lock().expect("bookkeeping"), [(0, k), (1, k)]);
        assert!(!wq.has_kworkers(), "a stopped kworker detaches");
    })
}

#[test]
fn with_a_kworker_every_item_runs_on_it_while_the_waiter_sleeps_under_shuttle() {
    assert_eq!(every_item_on_the_kworker(), 200);
}

/// A wait that can never finish ends at the std backend's spin limit with a violation,
/// instead of hanging the test run: no kworker, and the only item requeues itself at every run
/// without completing (a livelock; each spin runs it, so no spin yields and the limit comes
/// in a fraction of a second).
#[test]
fn a_wait_whose_work_requeues_itself_forever_stops_at_the_spin_limit() {
    let (exec, cur) = execution();
    let wq = Workqueue::<Std>::new(1, vec![0]);
    let never = Completion::<Std>::new();
    assert!(wq.queue(0, false));
    let runs = std::cell::Cell::new(0_u64);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        never.wait_for_completion(&cur, &wq, |_: &Task, w: usize| {
            runs.set(runs.get() + 1);
            // A wait that stopped counting its spins would never end: fail instead.
            assert!(
                Some(runs.get()) <= Std::SPIN_LIMIT,
                "the wait passed the limit"
            );
            assert!(wq.queue(w, false));
        })
    }));
    let panic = r.expect_err("the wait stops");
    assert!(panic.is::<ViolationPanic>());
    let v = exec.violation().expect("a violation");
    assert!(format!("{v:?}").contains("SPIN_LIMIT"), "{v:?}");
    // One run per spin, up to the limit (the check comes before the run).
    assert_eq!(Some(runs.get()), Std::SPIN_LIMIT);
}
