//! Counting distinct Mazurkiewicz traces among loom's executions, on models whose traces can
//! be counted by hand.

use notifier_core::backend::{AtomicUsizeOps, JoinOps, MutexOps, Ordering};
use notifier_core::{Backend, Oracle, Task};
use notifier_harness::runner::{run_in_process, RunOptions};
use notifier_harness::{CheckSpec, CheckerKind, Model, Run, Verdict};
use std::sync::Arc;

/// `threads` threads; thread `i` makes one `fetch_add` on a shared counter when `shared`, or a
/// store to an atomic of its own otherwise.
struct Counters {
    threads: usize,
    shared: bool,
}

impl Model for Counters {
    fn run<B: Backend>(&self, main: &Task) {
        let shared = Arc::new(B::AtomicUsize::new(0));
        let handles: Vec<_> = (0..self.threads)
            .map(|i| {
                let shared = Arc::clone(&shared);
                let own = self.shared;
                main.spawn::<B, _>(&format!("T{i}"), 0, move |_| {
                    if own {
                        shared.fetch_add(1, Ordering::Relaxed);
                    } else {
                        B::AtomicUsize::new(0).store(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join();
        }
    }

    fn oracles(&self) -> Vec<Box<dyn Oracle>> {
        Vec::new()
    }
}

/// Two threads take one mutex twice each.
struct TwoLockers;

impl Model for TwoLockers {
    fn run<B: Backend>(&self, main: &Task) {
        let m = Arc::new(B::Mutex::new(0usize));
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let m = Arc::clone(&m);
                main.spawn::<B, _>(&format!("T{i}"), 0, move |_| {
                    for _ in 0..2 {
                        *m.lock() += 1;
                    }
                })
            })
            .collect();
        for h in handles {
            h.join();
        }
    }

    fn oracles(&self) -> Vec<Box<dyn Oracle>> {
        Vec::new()
    }
}

fn exhaustive() -> CheckSpec {
    CheckSpec {
        checker: CheckerKind::Loom,
        preemption_bound: None,
        iterations: 1,
        seed: 0,
        pct_depth: 1,
    }
}

fn distinct(model: impl Model) -> (u64, u64) {
    let mut options = RunOptions::default();
    options.count_traces = true;
    let o = run_in_process(Arc::new(model), &Run::Check(exhaustive()), &options);
    assert_eq!(o.observed, Verdict::Safe);
    (o.executions, o.distinct_traces.expect("loom counted"))
}

#[test]
fn independent_threads_are_one_trace() {
    let (executions, traces) = distinct(Counters {
        threads: 3,
        shared: false,
    });
    assert_eq!(traces, 1, "{executions} executions");
}

#[test]
fn rmws_on_one_counter_are_one_trace_per_order() {
    for (threads, orders) in [(2, 2), (3, 6)] {
        let (executions, traces) = distinct(Counters {
            threads,
            shared: true,
        });
        assert_eq!(traces, orders, "{threads} threads, {executions} executions");
    }
}

#[test]
fn acquisitions_of_one_mutex_are_one_trace_per_order() {
    // Four acquisitions, two per thread, each thread's in program order: C(4, 2) orders.
    let (executions, traces) = distinct(TwoLockers);
    assert_eq!(traces, 6, "{executions} executions");
}
