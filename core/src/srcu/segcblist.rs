//! `struct rcu_segcblist` (`kernel/rcu/rcu_segcblist.c`, v5.4): Tree SRCU's per-CPU callback
//! list, cut into four segments by `tails[]`: `DONE` (ready to invoke), `WAIT` and
//! `NEXT_READY` (each waiting for the grace period in its `gp_seq[]`), `NEXT` (not yet
//! assigned a grace period).
//!
//! The kernel's tail pointers become indices: `tails[i]` is the number of callbacks in
//! segments `0..=i` (`&rsclp->head` is 0; `*tails[i] == NULL` means `tails[i]` is the list's
//! length). Every function keeps the kernel's statement order. It is private data of
//! `sdp->lock`, so its accesses are not scheduling points. The `smp_mb()`s inside
//! `rcu_segcblist_enqueue`/`_entrain` order `->len` for lockless readers (`rcu_barrier`);
//! SRCU reads `->len` only under `sdp->lock`, and both calls sit after the lock's
//! `smp_mb__after_unlock_lock()`, so they add no order and are left out.

use std::collections::VecDeque;

/// `RCU_DONE_TAIL`.
pub(super) const DONE: usize = 0;
/// `RCU_WAIT_TAIL`.
const WAIT: usize = 1;
/// `RCU_NEXT_READY_TAIL`.
const NEXT_READY: usize = 2;
/// `RCU_NEXT_TAIL`.
const NEXT: usize = 3;
/// `RCU_CBLIST_NSEGS`.
const NSEGS: usize = 4;

/// `ULONG_CMP_LT(a, b)`: `a` before `b`, modulo wrap.
pub(super) fn ulong_cmp_lt(a: usize, b: usize) -> bool {
    (a.wrapping_sub(b) as isize) < 0
}

/// `struct rcu_segcblist`.
pub(super) struct Segcblist<T> {
    cbs: VecDeque<T>,
    tails: [usize; NSEGS],
    gp_seq: [usize; NSEGS],
    /// `->len`: callbacks queued and not yet invoked (it drops only after invocation).
    len: isize,
}

impl<T> Segcblist<T> {
    /// `rcu_segcblist_init`.
    pub(super) fn new() -> Self {
        Segcblist {
            cbs: VecDeque::new(),
            tails: [0; NSEGS],
            gp_seq: [0; NSEGS],
            len: 0,
        }
    }

    /// `rcu_segcblist_restempty(rsclp, seg)`: no callback after segment `seg`.
    fn restempty(&self, seg: usize) -> bool {
        self.tails[seg] == self.cbs.len()
    }

    /// `rcu_segcblist_n_cbs`.
    pub(super) fn n_cbs(&self) -> isize {
        self.len
    }

    /// `rcu_segcblist_ready_cbs`: callbacks ready to invoke.
    pub(super) fn ready_cbs(&self) -> bool {
        self.tails[DONE] != 0
    }

    /// `rcu_segcblist_enqueue`: appends to the `NEXT` segment.
    pub(super) fn enqueue(&mut self, rhp: T) {
        self.len += 1;
        self.cbs.push_back(rhp);
        self.tails[NEXT] = self.cbs.len();
    }

    /// `rcu_segcblist_entrain`: appends at the end of the last non-empty segment, so the
    /// callback waits for every callback already queued (not necessarily for a grace
    /// period). Returns false, and changes nothing, if no callback is queued or in flight.
    pub(super) fn entrain(&mut self, rhp: T) -> bool {
        if self.n_cbs() == 0 {
            return false;
        }
        self.len += 1;
        let mut i = NEXT;
        while i > DONE {
            if self.tails[i] != self.tails[i - 1] {
                break;
            }
            i -= 1;
        }
        // Every segment after i is empty: its end is the list's end.
        self.cbs.push_back(rhp);
        for t in &mut self.tails[i..] {
            *t = self.cbs.len();
        }
        true
    }

    /// `rcu_segcblist_advance(rsclp, seq)`: moves the segments whose grace period `seq` has
    /// reached into `DONE`.
    pub(super) fn advance(&mut self, seq: usize) {
        if self.restempty(DONE) {
            return;
        }
        let mut i = WAIT;
        while i < NEXT {
            if ulong_cmp_lt(seq, self.gp_seq[i]) {
                break;
            }
            self.tails[DONE] = self.tails[i];
            i += 1;
        }
        if i == WAIT {
            return;
        }
        for j in WAIT..i {
            self.tails[j] = self.tails[DONE];
        }
        let mut j = WAIT;
        while i < NEXT {
            if self.tails[j] == self.tails[NEXT] {
                break;
            }
            self.tails[j] = self.tails[i];
            self.gp_seq[j] = self.gp_seq[i];
            i += 1;
            j += 1;
        }
    }

    /// `rcu_segcblist_accelerate(rsclp, seq)`: assigns grace period `seq` to the callbacks
    /// that have none earlier. Returns whether some callback now waits for `seq`.
    pub(super) fn accelerate(&mut self, seq: usize) -> bool {
        if self.restempty(DONE) {
            return false;
        }
        let mut i = NEXT_READY;
        while i > DONE {
            if self.tails[i] != self.tails[i - 1] && ulong_cmp_lt(self.gp_seq[i], seq) {
                break;
            }
            i -= 1;
        }
        i += 1;
        if i >= NEXT {
            return false;
        }
        while i < NEXT {
            self.tails[i] = self.tails[NEXT];
            self.gp_seq[i] = seq;
            i += 1;
        }
        true
    }

    /// `rcu_segcblist_extract_done_cbs`: removes the `DONE` segment (its count stays in
    /// `->len` until [`Segcblist::insert_count`]).
    pub(super) fn extract_done_cbs(&mut self) -> VecDeque<T> {
        if !self.ready_cbs() {
            return VecDeque::new();
        }
        let n = self.tails[DONE];
        let done: VecDeque<T> = self.cbs.drain(..n).collect();
        for t in &mut self.tails {
            *t -= n;
        }
        done
    }

    /// `rcu_segcblist_insert_count`: adds `n` (negative: the callbacks just invoked) to
    /// `->len`.
    pub(super) fn insert_count(&mut self, n: isize) {
        self.len += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (`tails`, `gp_seq`, `->len`) of a list.
    fn state(l: &Segcblist<char>) -> ([usize; NSEGS], [usize; NSEGS], isize) {
        (l.tails, l.gp_seq, l.len)
    }

    #[test]
    fn ulong_cmp_lt_compares_modulo_wrap() {
        assert!(ulong_cmp_lt(1, 2));
        assert!(!ulong_cmp_lt(2, 1));
        assert!(!ulong_cmp_lt(2, 2));
        // ULONG_CMP_LT(a, b) is (long)(a - b) < 0: ULONG_MAX comes just before 0.
        assert!(ulong_cmp_lt(usize::MAX, 0));
        assert!(!ulong_cmp_lt(0, usize::MAX));
        assert!(ulong_cmp_lt(usize::MAX - 3, 4));
    }

    #[test]
    fn an_empty_list_neither_advances_nor_accelerates() {
        let mut l = Segcblist::<char>::new();
        assert!(l.restempty(DONE) && l.restempty(NEXT));
        assert_eq!((l.n_cbs(), l.ready_cbs()), (0, false));
        // rcu_segcblist_accelerate: `if (rcu_segcblist_restempty(rsclp, RCU_DONE_TAIL))
        // return false;` no grace period is recorded for nothing.
        assert!(!l.accelerate(4));
        l.advance(4);
        assert_eq!(state(&l), ([0; NSEGS], [0; NSEGS], 0));
        assert_eq!(l.extract_done_cbs(), VecDeque::new());
    }

    #[test]
    fn enqueue_appends_to_next_and_restempty_looks_past_a_segment() {
        let mut l = Segcblist::new();
        l.enqueue('a');
        assert_eq!(state(&l), ([0, 0, 0, 1], [0; NSEGS], 1));
        assert!(!l.restempty(DONE) && !l.restempty(NEXT_READY) && l.restempty(NEXT));
        assert!(!l.ready_cbs());
        l.enqueue('b');
        assert_eq!(state(&l), ([0, 0, 0, 2], [0; NSEGS], 2));
        assert_eq!(l.n_cbs(), 2);
    }

    #[test]
    fn accelerate_gives_next_the_grace_period_or_joins_a_segment_waiting_for_it() {
        let mut l = Segcblist::new();
        l.enqueue('a');
        // Every segment empty but NEXT: WAIT (and NEXT_READY) take it, for seq.
        assert!(l.accelerate(4));
        assert_eq!(state(&l), ([0, 1, 1, 1], [0, 4, 4, 0], 1));
        // b needs the same grace period: it joins WAIT.
        l.enqueue('b');
        assert!(l.accelerate(4));
        assert_eq!(state(&l), ([0, 2, 2, 2], [0, 4, 4, 0], 2));
        // c needs a later one: NEXT_READY.
        l.enqueue('c');
        assert!(l.accelerate(8));
        assert_eq!(state(&l), ([0, 2, 3, 3], [0, 4, 8, 0], 3));
        // d needs a third: no segment left (`if (++i >= RCU_NEXT_TAIL) return false`).
        l.enqueue('d');
        assert!(!l.accelerate(12));
        assert_eq!(state(&l), ([0, 2, 3, 4], [0, 4, 8, 0], 4));
        // Asked again for 8: NEXT_READY's grace period is not before 8, so d joins c there.
        assert!(l.accelerate(8));
        assert_eq!(state(&l), ([0, 2, 4, 4], [0, 4, 8, 0], 4));
    }

    #[test]
    fn advance_moves_the_segments_whose_grace_period_ended_into_done() {
        let mut l = Segcblist::new();
        for (c, seq) in [('a', 4), ('b', 8)] {
            l.enqueue(c);
            assert!(l.accelerate(seq));
        }
        assert_eq!(state(&l), ([0, 1, 2, 2], [0, 4, 8, 0], 2));
        // Before WAIT's grace period: nothing moves.
        l.advance(3);
        assert_eq!(state(&l), ([0, 1, 2, 2], [0, 4, 8, 0], 2));
        // WAIT's ended: a is DONE, NEXT_READY's callbacks (and grace period) move to WAIT.
        l.advance(4);
        assert_eq!(state(&l), ([1, 2, 2, 2], [0, 8, 8, 0], 2));
        assert!(l.ready_cbs());
        // Both ended, with a callback in NEXT that has none yet: it stays in NEXT.
        l.enqueue('c');
        l.advance(8);
        assert_eq!(state(&l), ([2, 2, 2, 3], [0, 8, 8, 0], 3));
        // A sequence number past the wrap still counts as after.
        let mut w = Segcblist::new();
        w.enqueue('x');
        assert!(w.accelerate(usize::MAX));
        w.advance(1);
        assert_eq!(w.tails, [1, 1, 1, 1]);
    }

    #[test]
    fn extract_done_cbs_takes_done_only_and_len_waits_for_insert_count() {
        let mut l = Segcblist::new();
        for (c, seq) in [('a', 4), ('b', 4), ('c', 8)] {
            l.enqueue(c);
            l.accelerate(seq);
        }
        assert_eq!(l.extract_done_cbs(), VecDeque::new(), "nothing ready");
        assert_eq!(state(&l), ([0, 2, 3, 3], [0, 4, 8, 0], 3));
        l.advance(4);
        assert_eq!(l.extract_done_cbs(), VecDeque::from(['a', 'b']));
        assert_eq!(state(&l), ([0, 1, 1, 1], [0, 8, 8, 0], 3));
        assert!(!l.ready_cbs());
        l.insert_count(-2);
        assert_eq!(l.n_cbs(), 1);
    }

    #[test]
    fn entrain_appends_after_the_last_non_empty_segment_keeping_its_grace_period() {
        let mut l = Segcblist::new();
        for (c, seq) in [('a', 4), ('b', 8)] {
            l.enqueue(c);
            l.accelerate(seq);
        }
        // The last non-empty segment is NEXT_READY: x waits with b.
        assert!(l.entrain('x'));
        assert_eq!(state(&l), ([0, 1, 3, 3], [0, 4, 8, 0], 3));
        l.enqueue('c');
        // Now NEXT: y after c.
        assert!(l.entrain('y'));
        assert_eq!(state(&l), ([0, 1, 3, 5], [0, 4, 8, 0], 5));
        l.advance(8);
        assert_eq!(l.extract_done_cbs(), VecDeque::from(['a', 'b', 'x']));
    }

    #[test]
    fn a_callback_waits_for_the_grace_period_it_was_accelerated_to() {
        let mut l = Segcblist::new();
        l.enqueue('a');
        assert!(l.accelerate(4));
        l.advance(1);
        assert!(!l.ready_cbs());
        l.enqueue('b');
        // b needs a later grace period than a's.
        assert!(l.accelerate(8));
        l.advance(4);
        assert!(l.ready_cbs());
        assert_eq!(l.extract_done_cbs(), VecDeque::from(['a']));
        assert_eq!(l.n_cbs(), 2, "->len drops only after invocation");
        l.insert_count(-1);
        l.advance(8);
        assert_eq!(l.extract_done_cbs(), VecDeque::from(['b']));
    }

    #[test]
    fn entrain_joins_the_last_non_empty_segment() {
        let mut l = Segcblist::new();
        assert!(!l.entrain('x'), "nothing queued: nothing to wait for");
        l.enqueue('a');
        l.accelerate(4);
        assert!(l.entrain('x'));
        l.advance(4);
        assert_eq!(l.extract_done_cbs(), VecDeque::from(['a', 'x']));
        // In flight (extracted, not yet counted out): a barrier still entrains, into DONE.
        assert!(l.entrain('y'));
        assert!(l.ready_cbs());
    }
}
