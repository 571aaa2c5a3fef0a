//! A protocol of one's own on SRCU, with no mmu_notifier: a device's configuration, published
//! through an SRCU-protected pointer, read by two readers and replaced by an updater.
//!
//! The updater publishes config B and must not free config A while a reader may still hold it:
//! `synchronize_srcu` before the `kfree` is safe; freeing at once is a use-after-free of config
//! A by a reader, which every checker finds.
//!
//! Run it with `cargo run --release --example srcu_config`; `cargo test` runs it too, with the
//! assertions of the `tests` module below (the example is a test target: models/harness/Cargo.toml).

use notifier_harness::prelude::*;

/// What readers read.
#[derive(Debug)]
pub struct Config {
    /// The setting the readers use.
    pub threshold: u32,
}

/// How the updater retires the configuration it replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retire {
    /// `synchronize_srcu()`, then `kfree()`: no reader can still hold it.
    AfterGracePeriod,
    /// `kfree()` at once: a reader that loaded the pointer before the update may still be
    /// reading it.
    AtOnce,
}

/// The program: main publishes config A; R1 and R2 each read the threshold in one SRCU
/// read-side section; U publishes config B and retires A as `retire` says; at the end main
/// frees B (the module's exit, once every user is gone).
pub fn config_swap(retire: Retire) -> impl Fn(&Thread<'_>) + Send + Sync + Copy + 'static {
    move |main| {
        let srcu = Arc::new(main.init_srcu_struct());
        let config: Arc<RcuPointer<KBox<Config>>> = Arc::new(RcuPointer::new("dev->config"));
        let a = main.kmalloc("config A", Config { threshold: 1 });
        config.rcu_assign_pointer(main, Some(&a));

        let readers: Vec<JoinHandle<Option<u32>>> = ["R1", "R2"]
            .into_iter()
            .map(|name| {
                let (srcu, config) = (srcu.clone(), config.clone());
                main.spawn(name, move |t| {
                    let _f = t.enter("read_threshold");
                    let idx = srcu.srcu_read_lock(t);
                    let threshold = config
                        .srcu_dereference(t, &idx)
                        .map(|c| c.read(t, "threshold", |c| c.threshold));
                    srcu.srcu_read_unlock(t, idx);
                    threshold
                })
            })
            .collect();
        let updater = {
            let (srcu, config) = (srcu.clone(), config.clone());
            main.spawn("U", move |t| {
                let _f = t.enter("set_threshold");
                let b = t.kmalloc("config B", Config { threshold: 2 });
                let old = config.rcu_replace_pointer(t, Some(&b));
                let old = old.expect("config A is published");
                if retire == Retire::AfterGracePeriod {
                    srcu.synchronize_srcu(t);
                }
                old.kfree(t);
            })
        };
        for reader in readers {
            let threshold = reader.join();
            assert!(matches!(threshold, Some(1 | 2)), "{threshold:?}");
        }
        updater.join();
        // The module's exit: every reader and the updater are gone.
        let last = config.rcu_dereference_protected(main);
        last.expect("config B is published").kfree(main);
    }
}

/// Freeing at once: the use-after-free of config A, under `checker`.
pub fn free_at_once(checker: CheckerKind) -> Report {
    Builder::new()
        .checker(checker)
        .check(config_swap(Retire::AtOnce))
}

/// Freeing after a grace period, under `checker`.
pub fn free_after_grace_period(checker: CheckerKind) -> Report {
    Builder::new()
        .checker(checker)
        .check(config_swap(Retire::AfterGracePeriod))
}

pub fn main() {
    for checker in CheckerKind::ALL {
        let report = free_at_once(checker);
        let v = report.assert_violation(&Expected::new(ViolationKind::UseAfterFree).on("config A"));
        println!("free at once, {checker}: {v}");
        // The token finds the same execution again.
        let token = report.token().expect("a failure has a token").to_string();
        replay(&token, config_swap(Retire::AtOnce)).assert_reproduced();

        let report = free_after_grace_period(checker);
        let safe = report.assert_safe();
        println!(
            "free after a grace period, {checker}: safe, {} executions ({})",
            safe.executions, safe.bound
        );
    }
}

/// What `cargo test` checks of this example (each check runs in a child process, as a test's
/// checks do).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_runs() {
        main();
    }

    /// Freeing the replaced config at once is a use-after-free of config A, found under every
    /// checker; under shuttle, where accesses are judged in trace order, at a reader's load of
    /// its threshold after the updater's `kfree`.
    #[test]
    fn freeing_the_old_config_at_once_is_a_use_after_free_of_it_by_a_reader() {
        let uaf = Expected::new(ViolationKind::UseAfterFree).on("config A");
        for checker in [CheckerKind::ShuttleRandom, CheckerKind::ShuttlePct] {
            let report = free_at_once(checker);
            let v = report.assert_violation(&uaf.clone().in_function("read_threshold"));
            assert!(v.thread == "R1" || v.thread == "R2", "{report}");
            assert_eq!(v.site, "read_threshold", "{report}");
        }
        free_at_once(CheckerKind::Loom).assert_violation(&uaf);
    }

    /// With `synchronize_srcu` before the free: safe under loom at preemption bound 2 and
    /// under shuttle's defaults, on the v5.4 kernel's SRCU.
    #[test]
    fn freeing_it_after_a_grace_period_is_safe() {
        for checker in CheckerKind::ALL {
            let report = free_after_grace_period(checker);
            let o = report.assert_safe();
            assert!(o.executions > 1, "{report}");
        }
        // And on the v3.16 kernel's.
        Builder::new()
            .kernel(KernelVersion::V3_16)
            .check(config_swap(Retire::AfterGracePeriod))
            .assert_safe();
    }
}
