//! The v5.4 get/put scheme (commit 2c7933f53f6b): the API's own behaviour on one thread, and
//! the scenarios G1, G2, S6's variants and P1 through the catalogue, every check in a child
//! process of its own (a loom abort cannot hide the other checks).

use notifier_core::{Errno, Execution, Kernel, KernelConfig, OpsId, Std, USERS_MAX_V5_4};
use notifier_models::scenarios::notifier::drivers::HmmMirror;
use std::sync::Arc;

/// On one thread: `get` registers one notifier and then finds it, up to the maximum of users;
/// one more `get` returns `-EOVERFLOW`; the puts free it once, after the worker's grace
/// period; every oracle is satisfied.
#[test]
fn get_counts_users_up_to_the_maximum_then_overflows() {
    let exec = Execution::new(notifier_properties::standard_oracles());
    let main = exec.main_task();
    let k = Kernel::<Std>::new(KernelConfig::v5_4(), vec![Arc::new(HmmMirror)]);
    let mm = k.mm_alloc(&main, "mm");
    let a = k.mmu_notifier_get(&main, OpsId(0), mm).expect("registers");
    for _ in 1..USERS_MAX_V5_4 {
        let again = k.mmu_notifier_get(&main, OpsId(0), mm).expect("finds it");
        assert_eq!(again, a, "one notifier per (mm, ops)");
    }
    assert_eq!(
        k.mmu_notifier_get(&main, OpsId(0), mm),
        Err(Errno::Overflow)
    );
    for _ in 0..USERS_MAX_V5_4 {
        k.mmu_notifier_put(&main, a);
    }
    // The callback worker, run to completion on this thread.
    k.srcu.stop_worker();
    k.srcu.srcu_worker(&main);
    k.mmput(&main, mm);
    exec.finish();
    assert_eq!(exec.violation(), None);
    let trace: Vec<String> = exec.lines().into_iter().map(|l| l.text).collect();
    assert!(trace.iter().any(|l| l.contains("-EOVERFLOW")), "{trace:#?}");
    assert_eq!(
        trace
            .iter()
            .filter(|l| l.contains("->ops->free_notifier"))
            .count(),
        1,
        "{trace:#?}"
    );
}
