use notifier_harness::prelude::*;

#[test]
fn replacing_the_config_after_a_grace_period_is_safe() {
    notifier_harness::model(|main| {
        let srcu = Arc::new(main.init_srcu_struct());
        let config = Arc::new(RcuPointer::new("config"));
        config.rcu_assign_pointer(main, Some(&main.kmalloc("config A", 1u32)));
        let (s, c) = (srcu.clone(), config.clone());
        let reader = main.spawn("R", move |t| {
            let idx = s.srcu_read_lock(t);
            if let Some(a) = c.srcu_dereference(t, &idx) {
                a.read(t, "value", |v| *v);
            }
            s.srcu_read_unlock(t, idx);
        });
        let old = config.rcu_replace_pointer(main, Some(&main.kmalloc("config B", 2)));
        srcu.synchronize_srcu(main); // without it: a use-after-free of config A by R
        old.unwrap().kfree(main);
        reader.join();
        config.rcu_dereference_protected(main).unwrap().kfree(main);
    });
}
