//! The v5.4 get/put scheme (commit 2c7933f53f6b): the API's own behaviour on one thread, G2's
//! replay, and what loom's pass on P1 explores. The catalogue's checks of G1, G2, S6's fixes,
//! P1 and the misuses, at their campaign budgets, are the campaign's (`campaign.rs`).

use notifier_catalog::child::{check_in_child, replay_in_child};
use notifier_catalog::registry;
use notifier_catalog::scenarios::notifier::drivers::HmmMirror;
use notifier_catalog::scenarios::notifier::publication::publish_while_walking;
use notifier_catalog::ReplayToken;
use notifier_core::KernelVersion;
use notifier_core::{Backend, Errno, Execution, Kernel, KernelConfig, MmuNotifierOps};
use notifier_core::{MmuNotifierRange, MnRef, OpsId, Std, Task, ViolationKind, USERS_MAX_V5_4};
use notifier_harness::runner::{check_in_process, judge, ReplayVerdict};
use notifier_harness::{CheckSpec, CheckerKind, Model, Outcome, Target, Verdict};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::common::cli;
use crate::common::in_child as child;

use child::in_child;
use cli::EXE;

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
    // The SRCU kworker, run to completion on this thread.
    k.srcu.attach_worker(0);
    k.srcu.stop_worker();
    k.srcu.srcu_worker(&main);
    k.mmput(&main, mm);
    exec.finish();
    assert_eq!(exec.violation(), None);
    let trace: Vec<String> = exec.events().iter().map(|e| e.text()).collect();
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

/// hmm's mirror that counts the walks reaching its notifier (a harness counter, not a step of
/// the model).
struct CountingMirror;

static WALKS_REACHING_A: AtomicUsize = AtomicUsize::new(0);

impl<B: Backend> MmuNotifierOps<B> for CountingMirror {
    fn invalidate_range_start(
        &self,
        k: &Arc<Kernel<B>>,
        cur: &Task,
        mn: MnRef,
        _: &MmuNotifierRange,
    ) -> Result<(), Errno> {
        k.notifier(mn).obj().touch(cur, "hmm->mirrors_sem", true);
        WALKS_REACHING_A.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

struct CountedPublication;

impl Model for CountedPublication {
    fn run<B: Backend>(&self, main: &Task) {
        publish_while_walking::<B>(KernelConfig::v5_4(), main, Arc::new(CountingMirror));
    }
}

/// loom can silently collapse its exploration when a spawned thread loads before it stores
/// (loom#392), which `hlist_add_head_rcu` does. P1's pass on v5.4 is not such a collapse: in
/// the same exploration, some executions have the walker reach A (and read `A->ops`) after the
/// release store, and others not.
#[test]
fn p1_v5_4_loom_pass_explores_the_walker_reaching_a() {
    let (o, reached): (Outcome, u64) = in_child(
        module_path!(),
        "p1_v5_4_loom_pass_explores_the_walker_reaching_a",
        || {
            let spec = CheckSpec {
                checker: CheckerKind::Loom,
                preemption_bound: None,
                iterations: 1,
                seed: 1,
                pct_depth: 1,
            };
            let o = check_in_process(Arc::new(CountedPublication), &spec);
            (o, WALKS_REACHING_A.load(Ordering::Relaxed) as u64)
        },
    );
    assert_eq!(o.observed, Verdict::Safe, "{o:#?}");
    eprintln!(
        "P1 v5.4 loom: {} executions, {reached} with the walker on A",
        o.executions
    );
    assert!(reached > 0, "loom never let the walker see A");
    assert!(reached < o.executions, "loom never let the walker miss A");
}

/// G2's counterexample replays to the same call after unload, at the same step, with the same
/// trace, from the command its check printed (loom and shuttle-pct: on Tree SRCU,
/// shuttle-random is blind to G2 within its budget, see `notifier-check list`).
#[test]
fn g2_counterexample_replays_exactly() {
    let scenario = registry::scenario("G2").expect("G2");
    for checker in [CheckerKind::Loom, CheckerKind::ShuttlePct] {
        let spec = registry::default_spec(&scenario, KernelVersion::V5_4, checker);
        let first = check_in_child(Path::new(EXE), "G2", KernelVersion::V5_4, &spec)
            .expect("the check's process reports");
        let v = first.violation.clone().expect("G2 fails on v5.4");
        assert_eq!(v.kind, ViolationKind::CallAfterUnload, "{checker}: {v}");
        assert_eq!(v.function, "srcu_invoke_callbacks", "{checker}: {v}");
        let target = Target::Catalogue("G2".to_string());
        let token = ReplayToken::new(&target, KernelVersion::V5_4, first.replay.clone().unwrap());
        let token: ReplayToken = token.to_string().parse().expect("the token parses");
        let again = replay_in_child(Path::new(EXE), &token).expect("the replay's process reports");
        assert_eq!(judge(&token.checker, &again), ReplayVerdict::Reproduced);
        let w = again.violation.clone().expect("the replay fails too");
        assert_eq!(
            (w.kind, &w.function, &w.site, &w.object, w.step),
            (v.kind, &v.function, &v.site, &v.object, v.step),
            "{checker}"
        );
        assert_eq!(again.trace, first.trace, "{checker}: the same execution");
    }
}

/// A last put that races `mmu_notifier_synchronize` (the fuzzer's find, kept as
/// `models/catalog/scenarios/put-races-synchronize.toml`): the promise covers frees whose put had
/// returned before the call, so loom finds nothing. Counting the put's `users = 0` instead
/// of its return made loom report a contract violation at its tenth execution.
#[test]
fn a_put_still_running_when_synchronize_is_called_is_not_promised() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../catalog/scenarios/put-races-synchronize.toml"
    );
    let o = cli::run(&[
        "check",
        "--scenario-file",
        file,
        "--kernel",
        "v5.4",
        "--checker",
        "loom",
        "--json",
    ]);
    let r = cli::json(&o);
    assert_eq!(r["observed"]["verdict"], "safe", "{r:#}");
    assert!(r["observed"]["executions"].as_u64() >= Some(100), "{r:#}");
    assert_eq!(o.status.code(), Some(0));
}
