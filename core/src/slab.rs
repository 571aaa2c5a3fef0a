//! A fixed-capacity, append-only table of kernel objects, addressed by handles (`1..`).
//!
//! Pointers between kernel objects are handles stored in the backend's atomics, so a pointer
//! load is a step of the model. The table itself is harness bookkeeping: claiming a slot is a
//! std atomic increment, deterministic under loom and shuttle (they run one thread at a time)
//! and never a scheduling point. Objects are never removed: a freed object stays in its slot,
//! poisoned (see [`crate::memory`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// An append-only table of `T`.
pub struct Slab<T> {
    slots: Box<[OnceLock<T>]>,
    len: AtomicUsize,
}

impl<T> std::fmt::Debug for Slab<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slab")
            .field("len", &self.len.load(Ordering::Relaxed))
            .finish()
    }
}

impl<T> Slab<T> {
    /// A table with room for `capacity` objects.
    pub fn with_capacity(capacity: usize) -> Self {
        Slab {
            slots: (0..capacity).map(|_| OnceLock::new()).collect(),
            len: AtomicUsize::new(0),
        }
    }

    /// Stores `v` and returns its handle (never 0).
    pub fn insert(&self, v: T) -> usize {
        let i = self.len.fetch_add(1, Ordering::AcqRel);
        assert!(
            i < self.slots.len(),
            "slab full: raise the model's object capacity"
        );
        if self.slots[i].set(v).is_err() {
            unreachable!("slot {i} claimed twice");
        }
        i + 1
    }

    /// The number of objects stored so far.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire).min(self.slots.len())
    }

    /// Whether nothing was stored yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The object behind `handle`.
    pub fn get(&self, handle: usize) -> &T {
        handle
            .checked_sub(1)
            .and_then(|i| self.slots.get(i))
            .and_then(OnceLock::get)
            .unwrap_or_else(|| panic!("dangling handle {handle}"))
    }
}
