use notifier_models::registry;
use notifier_models::*;

#[test]
fn scratch() {
    let ids = std::env::var("SC").unwrap();
    let cks = std::env::var("CK").unwrap_or("loom,shuttle-random,shuttle-pct".into());
    let kernel = KernelVersion::V3_17;
    for id in ids.split(',') {
        for ck in cks.split(',') {
            let checker: CheckerKind = ck.parse().unwrap();
            let s = registry::scenario(&id).unwrap();
            let mut spec = registry::default_spec(&s, kernel, checker);
            if let Ok(pb) = std::env::var("PB") {
                spec.preemption_bound = pb.parse().ok();
            }
            if let Ok(it) = std::env::var("IT") {
                spec.iterations = it.parse().unwrap();
            }
            if let Ok(d) = std::env::var("D") {
                spec.pct_depth = d.parse().unwrap();
            }
            let seeds: Vec<u64> = std::env::var("SEEDS")
                .map(|s| s.split(',').map(|x| x.parse().unwrap()).collect())
                .unwrap_or(vec![1]);
            for seed in seeds {
                spec.seed = seed;
                let o = registry::check(&id, kernel, &spec).unwrap();
                println!(
                    "{id} {checker}: {} exec={} bound={} {:.2}s expected-match={}",
                    o.observed,
                    o.executions,
                    o.bound,
                    o.seconds,
                    (s.expect)(kernel, checker).matches(&o)
                );
                if let Some(v) = &o.violation {
                    println!("   {v}");
                }
                if std::env::var("TR").is_ok() {
                    println!(
                        "{}",
                        notifier_core::trace::render_columns(
                            &o.trace,
                            o.violation
                                .as_ref()
                                .and_then(|v| v.step)
                                .map(|s| (s, "here"))
                        )
                    );
                }
            }
        }
    }
}
