//! How many of loom's executions are distinct Mazurkiewicz traces.
//!
//! Two executions are the same trace when they consist of the same operations and order every
//! pair of *dependent* operations (same object, at least one of them a write) the same way; an
//! optimal dynamic partial-order reduction explores each trace once. loom's exploration is not
//! optimal, so the number of executions it explores divided by the number of distinct traces
//! among them is the redundancy of its search (`notifier-check bench` reports both).
//!
//! While counting is on (in the thread that runs `loom::model`: loom runs every model thread
//! on it), the loom backend records each operation on one of its objects: atomic loads,
//! stores and read-modify-writes, and mutex acquisitions (a write: acquisitions of one mutex
//! never commute). At the end of an execution the record is reduced to a canonical form and
//! hashed:
//! - an operation is named by its thread and its index among that thread's operations, and
//!   labelled with its kind and the value it read (loads, RMWs) or wrote (stores): under the
//!   C11 model loom explores, two executions with the same order can still differ in the
//!   store a load reads from, and the value stands for that choice;
//! - an object is named by the thread that created it and its index among that thread's
//!   creations;
//! - each object's operations in execution order, with every run of consecutive reads sorted
//!   (reads between the same two writes commute);
//! - the objects in name order.
//!
//! `park` and `unpark` are operations on the parked thread's token (they do not commute: an
//! unpark before the park lets it return at once). What is not an operation here, because
//! loom does not branch on it either: fences (loom orders them by the operations around
//! them), `UnsafeCell` accesses (checked against happens-before, never scheduled),
//! spawn/join and yields. Two writes of the
//! same value by the same thread at the same index are one label, so the count can only be
//! lower than the number of traces, never higher, by such coincidences; 64-bit hashes of up to
//! a few million traces collide with probability below 10⁻⁶.

use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// The kind of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// A load.
    Load,
    /// A store.
    Store,
    /// A read-modify-write.
    Rmw,
    /// A mutex acquisition.
    Lock,
}

impl Kind {
    fn is_write(self) -> bool {
        self != Kind::Load
    }
}

/// One recorded operation: its object, its thread's index for it, and its label.
#[derive(Debug, Clone, Copy)]
struct Recorded {
    object: u64,
    thread: u32,
    index: u32,
    kind: Kind,
    value: u64,
}

/// The record of the current execution.
#[derive(Debug, Default)]
struct Recording {
    /// loom's thread ids, by the order loom numbered them (stable within an execution).
    threads: HashMap<loom::thread::ThreadId, u32>,
    /// Per thread: operations recorded, objects created.
    operations: HashMap<u32, u32>,
    creations: HashMap<u32, u32>,
    log: Vec<Recorded>,
}

/// Counting state of one `loom::model` run.
#[derive(Debug, Default)]
struct Counter {
    distinct: HashSet<u64>,
    current: Recording,
}

thread_local! {
    static COUNTER: RefCell<Option<Counter>> = const { RefCell::new(None) };
}

fn with_counter<R>(f: impl FnOnce(&mut Counter) -> R) -> Option<R> {
    COUNTER.with(|c| c.borrow_mut().as_mut().map(f))
}

/// The number loom gave the current model thread (its `ThreadId`'s public id).
fn current_thread(rec: &mut Recording) -> u32 {
    thread_number(rec, loom::thread::current().id())
}

/// The number loom gave thread `id`.
fn thread_number(rec: &mut Recording, id: loom::thread::ThreadId) -> u32 {
    if let Some(&n) = rec.threads.get(&id) {
        return n;
    }
    // loom prints its ids as `ThreadId(n)`, n counted from 0 (main) in spawn order.
    let text = format!("{id:?}");
    let n = text
        .trim_start_matches("ThreadId(")
        .trim_end_matches(')')
        .parse()
        .unwrap_or(u32::MAX);
    rec.threads.insert(id, n);
    n
}

/// Starts counting distinct traces in this thread (the one that will call `loom::model`).
pub fn start_counting() {
    COUNTER.with(|c| *c.borrow_mut() = Some(Counter::default()));
}

/// Stops counting; returns the number of distinct traces among the executions that ended
/// since [`start_counting`] (`None` if counting was not on).
pub fn stop_counting() -> Option<u64> {
    COUNTER.with(|c| c.borrow_mut().take().map(|c| c.distinct.len() as u64))
}

/// Marks the start of an execution (a no-op unless counting).
pub fn begin_execution() {
    with_counter(|c| c.current = Recording::default());
}

/// Marks the end of an execution that ran to completion: its trace joins the count.
pub fn end_execution() {
    with_counter(|c| {
        let rec = std::mem::take(&mut c.current);
        c.distinct.insert(canonical_hash(rec.log));
    });
}

/// A name for an object the loom backend creates now (0 when not counting).
pub(crate) fn new_object() -> u64 {
    with_counter(|c| {
        let rec = &mut c.current;
        let thread = current_thread(rec);
        let n = rec.creations.entry(thread).or_insert(0);
        *n += 1;
        (u64::from(thread) << 32) | u64::from(*n)
    })
    .unwrap_or(0)
}

/// Records an operation of the current model thread on object `object`.
pub(crate) fn record(object: u64, kind: Kind, value: u64) {
    with_counter(|c| record_in(&mut c.current, object, kind, value));
}

/// The name of thread `id`'s park token (an object of its own: `unpark` sets it, `park`
/// consumes it or blocks until it is set, so the two never commute).
fn token(rec: &mut Recording, id: loom::thread::ThreadId) -> u64 {
    (u64::from(u32::MAX) << 32) | u64::from(thread_number(rec, id))
}

/// Records `park` by the current thread (on its own token).
pub(crate) fn record_park() {
    with_counter(|c| {
        let rec = &mut c.current;
        let me = token(rec, loom::thread::current().id());
        record_in(rec, me, Kind::Rmw, 0);
    });
}

/// Records `unpark` of thread `id` by the current thread.
pub(crate) fn record_unpark(id: loom::thread::ThreadId) {
    with_counter(|c| {
        let rec = &mut c.current;
        let target = token(rec, id);
        record_in(rec, target, Kind::Store, 1);
    });
}

fn record_in(rec: &mut Recording, object: u64, kind: Kind, value: u64) {
    let thread = current_thread(rec);
    let n = rec.operations.entry(thread).or_insert(0);
    *n += 1;
    let index = *n;
    rec.log.push(Recorded {
        object,
        thread,
        index,
        kind,
        value,
    });
}

/// The hash of an execution's canonical form (see the module documentation).
fn canonical_hash(mut log: Vec<Recorded>) -> u64 {
    // Stable: each object's operations stay in execution order.
    log.sort_by_key(|r| r.object);
    let mut h = DefaultHasher::new();
    let mut reads: Vec<(u32, u32, u64)> = Vec::new();
    let flush = |reads: &mut Vec<(u32, u32, u64)>, h: &mut DefaultHasher| {
        reads.sort_unstable();
        for r in reads.drain(..) {
            (0u8, r).hash(h);
        }
    };
    let mut object = None;
    for r in &log {
        if object != Some(r.object) {
            flush(&mut reads, &mut h);
            object = Some(r.object);
            (2u8, r.object).hash(&mut h);
        }
        if r.kind.is_write() {
            flush(&mut reads, &mut h);
            (1u8, r.thread, r.index, r.kind, r.value).hash(&mut h);
        } else {
            reads.push((r.thread, r.index, r.value));
        }
    }
    flush(&mut reads, &mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::{canonical_hash, Kind, Recorded};

    fn op(object: u64, thread: u32, index: u32, kind: Kind) -> Recorded {
        Recorded {
            object,
            thread,
            index,
            kind,
            value: 0,
        }
    }

    #[test]
    fn independent_orders_are_one_trace() {
        // Two threads each touching their own object, in either order.
        let a = vec![op(1, 1, 1, Kind::Store), op(2, 2, 1, Kind::Store)];
        let b = vec![op(2, 2, 1, Kind::Store), op(1, 1, 1, Kind::Store)];
        assert_eq!(canonical_hash(a), canonical_hash(b));
    }

    #[test]
    fn reads_between_writes_commute_but_not_across_a_write() {
        let w = op(1, 0, 1, Kind::Store);
        let r1 = op(1, 1, 1, Kind::Load);
        let r2 = op(1, 2, 1, Kind::Load);
        let same_a = canonical_hash(vec![w, r1, r2]);
        let same_b = canonical_hash(vec![w, r2, r1]);
        assert_eq!(same_a, same_b);
        let other = canonical_hash(vec![r1, w, r2]);
        assert_ne!(same_a, other);
    }

    #[test]
    fn dependent_writes_in_another_order_are_another_trace() {
        let a = op(1, 1, 1, Kind::Lock);
        let b = op(1, 2, 1, Kind::Lock);
        assert_ne!(canonical_hash(vec![a, b]), canonical_hash(vec![b, a]));
    }

    #[test]
    fn a_load_that_reads_another_value_is_another_trace() {
        let read = |value| Recorded {
            value,
            ..op(1, 1, 1, Kind::Load)
        };
        assert_ne!(canonical_hash(vec![read(0)]), canonical_hash(vec![read(1)]));
    }
}
