//! What the user's tests share.

use notifier_harness::prelude::*;

/// A model whose failure aborts loom: T's assertion fails, and a guard's `Drop` asserts again
/// while T unwinds (a panic while panicking).
pub fn aborting(main: &Thread<'_>) {
    struct Invariant;
    impl Drop for Invariant {
        fn drop(&mut self) {
            assert!(!std::thread::panicking(), "the invariant broke while unwinding");
        }
    }
    let flag = Arc::new(AtomicUsize::new(0));
    let t = {
        let flag = flag.clone();
        main.spawn("T", move |_| {
            let _invariant = Invariant;
            flag.store(1, Ordering::Release);
            assert_eq!(flag.load(Ordering::Acquire), 0, "T reads its own store back");
        })
    };
    t.join();
}
