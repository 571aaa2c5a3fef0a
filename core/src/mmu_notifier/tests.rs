//! `mm/mmu_notifier.c` on one thread (std backend, no kworker: a thread that waits for SRCU
//! runs the queued work itself): registration, exit's `__mmu_notifier_release`,
//! `mmu_notifier_unregister` and `_no_release`, `call_srcu`/`synchronize`, the invalidate
//! walkers and v5.4's get/put, per kernel version. Each test asserts the kernel's sequence of
//! calls, locks, SRCU sections, unlinks and `mm_count` pins (the trace without its plain
//! loads and stores and SRCU's internal steps), the list left behind, and what fired.

use super::*;
use crate::backend::Std;
use crate::exec::{Execution, ViolationPanic};
use crate::testing::execution;
use crate::violation::ViolationKind;

/// A driver with no behaviour of its own (every method the default).
struct Quiet;

impl MmuNotifierOps<Std> for Quiet {}

/// A driver whose `->invalidate_range_start` fails with `-EAGAIN` (it would have to sleep).
struct Busy;

impl MmuNotifierOps<Std> for Busy {
    fn invalidate_range_start(
        &self,
        _k: &Arc<Kernel<Std>>,
        _cur: &Task,
        _mn: MnRef,
        _range: &MmuNotifierRange,
    ) -> Result<(), Errno> {
        Err(Errno::Again)
    }
}

const QUIET: OpsId = OpsId(0);
const BUSY: OpsId = OpsId(1);

fn kernel(config: KernelConfig) -> Arc<Kernel<Std>> {
    Kernel::new(config, vec![Arc::new(Quiet), Arc::new(Busy)])
}

/// The events from `from` on that say what the kernel did, as `function: text`: every event
/// but the plain loads and stores and SRCU's own steps (flips, scans, waits).
fn milestones(exec: &Execution, from: usize) -> Vec<String> {
    exec.events()[from..]
        .iter()
        .filter(|e| {
            !matches!(
                e.op,
                Op::Access { .. }
                    | Op::SrcuFlip { .. }
                    | Op::SrcuReadersGone { .. }
                    | Op::WaitStart { .. }
                    | Op::WaitDone { .. }
            )
        })
        .map(|e| {
            let who = if e.caller.is_empty() {
                e.function.clone()
            } else {
                format!("{} > {}", e.caller, e.function)
            };
            let text = e.text();
            let text = text
                .strip_prefix(&format!("{}: ", e.function))
                .unwrap_or(&text);
            format!("{who}: {text}")
        })
        .collect()
}

/// The notifiers linked on `mm`, first to last (an RCU walk: it records its loads).
fn linked(k: &Kernel<Std>, cur: &Task, mm: MmRef) -> Vec<MnRef> {
    let mut seen = Vec::new();
    hlist_for_each_entry_rcu(cur, &k.list(k.mm(mm)), |pos| {
        seen.push(MnRef(pos));
        true
    });
    seen
}

/// The SRCU read-side lines a one-thread `synchronize_srcu` records inside itself: none on
/// classic SRCU; on Tree SRCU the section `__call_srcu` opens to queue its wake-up callback
/// (`srcutree.c` v5.4 l.834-880: `idx = srcu_read_lock(ssp)`), on index `idx`.
fn inner_sections(config: &KernelConfig, who: &str, idx: usize) -> Vec<String> {
    match config.srcu {
        SrcuImpl::Tree => vec![
            format!("{who}: srcu_read_lock -> idx {idx} (cpu 0)"),
            format!("{who}: srcu_read_unlock(idx {idx}) (cpu 0)"),
        ],
        _ => Vec::new(),
    }
}

fn strings(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|l| (*l).to_string()).collect()
}

/// `main`'s own events of one call, with the SRCU grace period of `who` (which begins at the
/// line `... synchronize_srcu: begin`) expanded as `config`'s SRCU records it.
fn with_gp(config: &KernelConfig, lines: &[&str], idx: usize) -> Vec<String> {
    let mut out = Vec::new();
    for l in lines {
        out.push((*l).to_string());
        if let Some(who) = l.strip_suffix(": synchronize_srcu: begin") {
            out.extend(inner_sections(config, who, idx));
        }
    }
    out
}

/// An mm with notifiers A then B registered by `mmu_notifier_register` (so B is first on
/// the list: `hlist_add_head`).
struct Setup {
    exec: Arc<Execution>,
    cur: Task,
    k: Arc<Kernel<Std>>,
    mm: MmRef,
    a: MnRef,
    b: MnRef,
}

fn two_notifiers(config: KernelConfig, b_ops: OpsId) -> Setup {
    let (exec, cur) = execution();
    let k = kernel(config);
    let mm = k.mm_alloc(&cur, "mm");
    let a = k.alloc_notifier(&cur, "notifier A", QUIET);
    let b = k.alloc_notifier(&cur, "notifier B", b_ops);
    k.mmu_notifier_register(&cur, a, mm);
    k.mmu_notifier_register(&cur, b, mm);
    Setup {
        exec,
        cur,
        k,
        mm,
        a,
        b,
    }
}

/// A kernel version's name and configuration.
type Version = (&'static str, fn() -> KernelConfig);

const VERSIONS: [Version; 3] = [
    ("v3.16", KernelConfig::v3_16),
    ("v3.17", KernelConfig::v3_17),
    ("v5.4", KernelConfig::v5_4),
];

#[test]
fn each_kernel_version_is_the_knobs_the_review_checked() {
    let v3_16 = KernelConfig {
        release_unlock: ReleaseUnlock::AfterReleaseLoop,
        unregister_unlock: UnregisterUnlock::AfterRelease,
        publish: Publish::Plain,
        srcu: SrcuImpl::Classic,
        srcu_cpus: 1,
        srcu_variant: SrcuVariant::Kernel,
        callback_queues: CallbackQueues::Fifo,
        synchronize: Synchronize::SrcuBarrier,
        users_max: USERS_MAX_V5_4,
        registration: Registration::DoRegister,
        failed_start: FailedStart::ReturnError,
    };
    assert_eq!(USERS_MAX_V5_4, 2);
    assert_eq!(KernelConfig::v3_16(), v3_16);
    // b972216e27d1: exit's srcu_read_unlock moved after the unlink loop.
    let v3_17 = KernelConfig {
        release_unlock: ReleaseUnlock::AfterSpinUnlock,
        ..v3_16
    };
    assert_eq!(KernelConfig::v3_17(), v3_17);
    let v5_4 = KernelConfig {
        publish: Publish::Rcu,
        registration: Registration::SetsUsers,
        srcu: SrcuImpl::Tree,
        callback_queues: CallbackQueues::PerCpu,
        synchronize: Synchronize::SynchronizeSrcu,
        ..v3_17
    };
    assert_eq!(KernelConfig::v5_4(), v5_4);
    // A real SRCU brings its callback structure; the specification keeps the replaced one's.
    assert_eq!(
        v5_4.with_srcu(SrcuImpl::Classic),
        KernelConfig {
            srcu: SrcuImpl::Classic,
            callback_queues: CallbackQueues::Fifo,
            ..v5_4
        }
    );
    assert_eq!(
        v3_16.with_srcu(SrcuImpl::Tree),
        KernelConfig {
            srcu: SrcuImpl::Tree,
            callback_queues: CallbackQueues::PerCpu,
            ..v3_16
        }
    );
    assert_eq!(
        v5_4.with_srcu(SrcuImpl::Spec),
        KernelConfig {
            srcu: SrcuImpl::Spec,
            ..v5_4
        }
    );
}

#[test]
fn init_srcu_struct_builds_the_configured_srcu() {
    let built = |c: KernelConfig| {
        let s = c.init_srcu_struct::<Std>();
        (s.implementation(), s.kworker_slots())
    };
    let two_cpus = |c: KernelConfig| KernelConfig { srcu_cpus: 2, ..c };
    assert_eq!(built(KernelConfig::v3_16()), (SrcuImpl::Classic, 1));
    assert_eq!(built(two_cpus(KernelConfig::v5_4())), (SrcuImpl::Tree, 2));
    assert_eq!(
        built(KernelConfig::v5_4().with_srcu(SrcuImpl::Spec)),
        (SrcuImpl::Spec, 0)
    );
    let k = kernel(two_cpus(KernelConfig::v5_4()));
    assert_eq!(k.srcu.kworker_slots(), 2);
    assert_eq!(*k.config(), two_cpus(KernelConfig::v5_4()));
    let debug = format!("{k:?}");
    assert!(
        debug.starts_with("Kernel { config: KernelConfig { release_unlock: AfterSpinUnlock")
            && debug.ends_with(", .. }"),
        "{debug}"
    );
}

#[test]
#[should_panic(expected = "the SRCU specification has no broken variants")]
fn the_specification_with_a_broken_variant_is_refused() {
    let c = KernelConfig {
        srcu_variant: SrcuVariant::NoFlip,
        ..KernelConfig::v3_16().with_srcu(SrcuImpl::Spec)
    };
    let _ = c.init_srcu_struct::<Std>();
}

#[test]
#[should_panic(expected = "classic SRCU has its own callback structure")]
fn a_real_srcu_with_another_callback_structure_is_refused() {
    let c = KernelConfig {
        callback_queues: CallbackQueues::PerCpu,
        ..KernelConfig::v3_16()
    };
    let _ = c.init_srcu_struct::<Std>();
}

#[test]
fn knobs_and_walkers_have_their_names() {
    assert_eq!(
        ReleaseUnlock::ALL.map(ReleaseUnlock::name),
        [
            "after-release-loop",
            "after-spin-lock",
            "after-unlink-loop",
            "after-spin-unlock",
            "after-synchronize-srcu"
        ]
    );
    assert_eq!(
        UnregisterUnlock::ALL.map(UnregisterUnlock::name),
        [
            "after-release",
            "after-spin-lock",
            "after-unlink",
            "after-spin-unlock",
            "after-synchronize-srcu"
        ]
    );
    let walker = |lock, blockable| Invalidator {
        lock,
        blockable,
        range_end: true,
    };
    assert_eq!(
        [
            Invalidator::RMAP,
            Invalidator::OOM_REAPER,
            walker(WalkerLock::MmapSem, true),
            walker(WalkerLock::Unlocked, true),
            walker(WalkerLock::Rmap, false),
        ]
        .map(Invalidator::caller),
        [
            "try_to_unmap_one",
            "__oom_reap_task_mm",
            "zap_page_range",
            "unlocked invalidate",
            "__oom_reap_task_mm"
        ]
    );
}

#[test]
fn v3_registration_publishes_the_mmu_notifier_mm_once_pins_the_mm_and_links_at_the_head() {
    for (name, config) in &VERSIONS[..2] {
        let (exec, cur) = execution();
        let k = kernel(config());
        let mm = k.mm_alloc(&cur, "mm");
        let a = k.alloc_notifier(&cur, "notifier A", QUIET);
        let b = k.alloc_notifier(&cur, "notifier B", BUSY);
        let from = exec.len();
        k.mmu_notifier_register(&cur, a, mm);
        let reg = "mmu_notifier_register";
        // do_mmu_notifier_register(mn, mm, 1), v3.16 l.183-238.
        assert_eq!(
            milestones(&exec, from),
            [
                format!("{reg}: down_write(mm->mmap_sem)"),
                format!("{reg}: mm_take_all_locks: down_write(mm->rmap locks)"),
                format!("{reg}: kmalloc mmu_notifier_mm; INIT_HLIST_HEAD, spin_lock_init"),
                format!("{reg}: mmgrab(mm) -> mm_count 2"),
                format!("{reg}: spin_lock(mm)"),
                format!("{reg}: registered notifier A"),
                format!("{reg}: spin_unlock(mm)"),
                format!("{reg}: mm_drop_all_locks: up_write(mm->rmap locks)"),
                format!("{reg}: up_write(mm->mmap_sem)"),
            ],
            "{name}"
        );
        // The caller holds mmap_sem: do_mmu_notifier_register(mn, mm, 0), and the
        // mmu_notifier_mm is already there.
        let sem = k.mm(mm).mmap_sem.down_write(&cur, &k.mm(mm).obj);
        let from = exec.len();
        k.__mmu_notifier_register(&cur, b, mm);
        let reg = "__mmu_notifier_register";
        assert_eq!(
            milestones(&exec, from),
            [
                format!("{reg}: mm_take_all_locks: down_write(mm->rmap locks)"),
                format!("{reg}: mmgrab(mm) -> mm_count 3"),
                format!("{reg}: spin_lock(mm)"),
                format!("{reg}: registered notifier B"),
                format!("{reg}: spin_unlock(mm)"),
                format!("{reg}: mm_drop_all_locks: up_write(mm->rmap locks)"),
            ],
            "{name}"
        );
        up_write(&cur, sem);
        let registered: Vec<crate::trace::ResolvedOp> = crate::testing::ops(&exec)
            .into_iter()
            .filter(|o| matches!(o, Op::NotifierRegistered { .. }))
            .collect();
        assert_eq!(
            registered,
            [("notifier A", 0), ("notifier B", 1)].map(|(n, ops)| Op::NotifierRegistered {
                notifier: n.to_string(),
                mm: "mm".to_string(),
                ops,
                users: None,
            }),
            "{name}"
        );
        assert_eq!(linked(&k, &cur, mm), [b, a], "{name}");
        // v3.x has neither mn->mm nor mn->users.
        let n = k.notifier(a);
        assert_eq!(n.mm.with(|p| *p), None);
        assert_eq!(n.users.with(|u| *u), 0);
        assert!(exec.violation().is_none());
    }
}

#[test]
fn v5_4_registration_sets_mm_and_users_and_allocates_before_taking_the_locks() {
    let (exec, cur) = execution();
    let k = kernel(KernelConfig::v5_4());
    let mm = k.mm_alloc(&cur, "mm");
    let a = k.alloc_notifier(&cur, "notifier A", QUIET);
    let b = k.alloc_notifier(&cur, "notifier B", QUIET);
    let from = exec.len();
    k.mmu_notifier_register(&cur, a, mm);
    let reg = "mmu_notifier_register";
    // v5.4 l.249-311: kmalloc outside mm_take_all_locks, publication after mmgrab.
    assert_eq!(
        milestones(&exec, from),
        [
            format!("{reg}: down_write(mm->mmap_sem)"),
            format!("{reg}: kmalloc mmu_notifier_mm; INIT_HLIST_HEAD, spin_lock_init"),
            format!("{reg}: mm_take_all_locks: down_write(mm->rmap locks)"),
            format!("{reg}: mmgrab(mm) -> mm_count 2"),
            format!("{reg}: spin_lock(mm)"),
            format!("{reg}: registered notifier A: users = 1"),
            format!("{reg}: spin_unlock(mm)"),
            format!("{reg}: mm_drop_all_locks: up_write(mm->rmap locks)"),
            format!("{reg}: up_write(mm->mmap_sem)"),
        ]
    );
    let texts = crate::testing::texts_from(&exec, from);
    let at = |t: &str| {
        texts
            .iter()
            .position(|x| x == t || x.ends_with(&format!(": {t}")))
    };
    // BUG_ON(mm_users), then mn->mm and mn->users, then the allocation; the pointer is
    // published after mmgrab, before the link.
    let users = at("load mm->mm_users").expect("BUG_ON");
    let mn_mm = at("store notifier A->mm").expect("mn->mm = mm");
    let mn_users = at("store notifier A->users").expect("mn->users = 1");
    let alloc = at("kmalloc mmu_notifier_mm; INIT_HLIST_HEAD, spin_lock_init");
    assert!(
        users < mn_mm && mn_mm + 1 == mn_users && Some(mn_users) < alloc,
        "{texts:#?}"
    );
    let publish = at("store mm->mmu_notifier_mm").expect("published");
    assert!(at("mmgrab(mm) -> mm_count 2") < Some(publish));
    assert!(Some(publish) < at("spin_lock(mm)"));
    let sem = k.mm(mm).mmap_sem.down_write(&cur, &k.mm(mm).obj);
    let from = exec.len();
    k.__mmu_notifier_register(&cur, b, mm);
    let reg = "__mmu_notifier_register";
    assert_eq!(
        milestones(&exec, from),
        [
            format!("{reg}: mm_take_all_locks: down_write(mm->rmap locks)"),
            format!("{reg}: mmgrab(mm) -> mm_count 3"),
            format!("{reg}: spin_lock(mm)"),
            format!("{reg}: registered notifier B: users = 1"),
            format!("{reg}: spin_unlock(mm)"),
            format!("{reg}: mm_drop_all_locks: up_write(mm->rmap locks)"),
        ]
    );
    up_write(&cur, sem);
    assert!(
        !crate::testing::texts_from(&exec, from).contains(&"store mm->mmu_notifier_mm".to_string())
    );
    assert_eq!(linked(&k, &cur, mm), [b, a]);
    for mn in [a, b] {
        let n = k.notifier(mn);
        assert_eq!(n.mm.with(|p| *p), Some(mm));
        assert_eq!(n.users.with(|u| *u), 1);
    }
    assert!(exec.violation().is_none());
}

#[test]
fn exit_releases_every_notifier_then_unlinks_them_with_the_versions_unlock() {
    for (name, config) in VERSIONS {
        let config = config();
        let Setup {
            exec,
            cur,
            k,
            mm,
            a,
            b,
        } = two_notifiers(config, QUIET);
        // Another user: its mmput runs no exit_mmap.
        k.mmget(&cur, mm);
        let from = exec.len();
        k.mmput(&cur, mm);
        assert_eq!(milestones(&exec, from), Vec::<String>::new(), "{name}");
        let from = exec.len();
        k.mmput(&cur, mm);
        let rel = "mmput > __mmu_notifier_release";
        let mut want = strings(&[
            "mmput > __mmu_notifier_release: srcu_read_lock -> idx 0 (cpu 0)",
            "mmput > __mmu_notifier_release: notifier B->ops->release(notifier B)",
            "mmput > __mmu_notifier_release: method returns",
            "mmput > __mmu_notifier_release: notifier A->ops->release(notifier A)",
            "mmput > __mmu_notifier_release: method returns",
            "mmput > __mmu_notifier_release: spin_lock(mm)",
            "mmput > __mmu_notifier_release: hlist_del_init_rcu: unlinked notifier B",
            "mmput > __mmu_notifier_release: hlist_del_init_rcu: unlinked notifier A",
            "mmput > __mmu_notifier_release: spin_unlock(mm)",
        ]);
        let unlock = format!("{rel}: srcu_read_unlock(idx 0) (cpu 0)");
        match name {
            // v3.16 l.56: right after the ->release loop (Hazard A).
            "v3.16" => want.insert(5, unlock),
            // v3.17 l.90, v5.4 l.76: after spin_unlock.
            _ => want.push(unlock),
        }
        want.push(format!("{rel}: synchronize_srcu: begin"));
        want.extend(inner_sections(&config, rel, 0));
        want.extend(strings(&[
            "mmput > __mmu_notifier_release: synchronize_srcu: return",
            "mmput > __mmu_notifier_release: __mmu_notifier_release(mm) returns",
            "mmput > mmdrop: mmdrop(mm) -> mm_count 2",
        ]));
        assert_eq!(milestones(&exec, from), want, "{name}");
        assert_eq!(linked(&k, &cur, mm), [], "{name}");
        // Unregister after exit: ->release already ran, only the wait and the pin are left.
        let from = exec.len();
        k.mmu_notifier_unregister(&cur, a, mm);
        k.mmu_notifier_unregister(&cur, b, mm);
        let idx = usize::from(config.srcu == SrcuImpl::Tree);
        let mut want = with_gp(
            &config,
            &[
                "mmu_notifier_unregister: synchronize_srcu: begin",
                "mmu_notifier_unregister: synchronize_srcu: return",
                "mmu_notifier_unregister: mmu_notifier_unregister(notifier A) returns",
                "mmu_notifier_unregister > mmdrop: mmdrop(mm) -> mm_count 1",
            ],
            idx,
        );
        want.extend(with_gp(
            &config,
            &[
                "mmu_notifier_unregister: synchronize_srcu: begin",
                "mmu_notifier_unregister: synchronize_srcu: return",
                "mmu_notifier_unregister: mmu_notifier_unregister(notifier B) returns",
                "mmu_notifier_unregister > mmdrop: mmdrop(mm) -> mm_count 0",
                "mmu_notifier_unregister > mmdrop: kfree mm",
            ],
            1 - idx,
        ));
        assert_eq!(milestones(&exec, from), want, "{name}");
        assert!(exec.violation().is_none(), "{name}");
    }
}

#[test]
fn exit_without_notifiers_frees_the_mm() {
    let (exec, cur) = execution();
    let k = kernel(KernelConfig::v3_17());
    let mm = k.mm_alloc(&cur, "mm");
    let from = exec.len();
    k.mmput(&cur, mm);
    assert_eq!(
        milestones(&exec, from),
        [
            "mmput > mmdrop: mmdrop(mm) -> mm_count 0",
            "mmput > mmdrop: kfree mm"
        ]
    );
    // mmgrab and mmdrop by hand.
    let mm = k.mm_alloc(&cur, "mm2");
    k.mmgrab(&cur, mm);
    k.mmdrop(&cur, mm);
    let from = exec.len();
    k.mmdrop(&cur, mm);
    assert_eq!(
        milestones(&exec, from),
        ["mmdrop: mmdrop(mm2) -> mm_count 0", "mmdrop: kfree mm2"]
    );
}

#[test]
fn exits_srcu_read_unlock_goes_where_the_knob_says() {
    let order = [
        "spin_lock(mm)",
        "hlist_del_init_rcu: unlinked notifier A",
        "spin_unlock(mm)",
        "synchronize_srcu: begin",
    ];
    // Where the unlock goes, as an index into `order` (the line it precedes).
    for (placement, before) in [
        (ReleaseUnlock::AfterReleaseLoop, 0),
        (ReleaseUnlock::AfterSpinLock, 1),
        (ReleaseUnlock::AfterUnlinkLoop, 2),
        (ReleaseUnlock::AfterSpinUnlock, 3),
    ] {
        let (exec, cur) = execution();
        let k = kernel(KernelConfig {
            release_unlock: placement,
            ..KernelConfig::v3_16()
        });
        let mm = k.mm_alloc(&cur, "mm");
        let a = k.alloc_notifier(&cur, "notifier A", QUIET);
        k.mmu_notifier_register(&cur, a, mm);
        let from = exec.len();
        k.mmput(&cur, mm);
        let lines: Vec<String> = milestones(&exec, from)
            .into_iter()
            .map(|l| {
                l.trim_start_matches("mmput > __mmu_notifier_release: ")
                    .to_string()
            })
            .collect();
        let mut want = strings(&[
            "srcu_read_lock -> idx 0 (cpu 0)",
            "notifier A->ops->release(notifier A)",
            "method returns",
        ]);
        for (i, l) in order.iter().enumerate() {
            if i == before {
                want.push("srcu_read_unlock(idx 0) (cpu 0)".to_string());
            }
            want.push((*l).to_string());
        }
        assert_eq!(lines[..want.len()], want[..], "{}", placement.name());
    }
}

#[test]
fn unregister_calls_release_once_unlinks_waits_and_drops_the_registrations_pin() {
    for (name, config) in VERSIONS {
        let config = config();
        let Setup {
            exec,
            cur,
            k,
            mm,
            a,
            b,
        } = two_notifiers(config, QUIET);
        let from = exec.len();
        k.mmu_notifier_unregister(&cur, a, mm);
        // v3.16 l.287-, v3.17 l.306-344, v5.4 l.428-466: the same text.
        let want = with_gp(
            &config,
            &[
                "mmu_notifier_unregister: srcu_read_lock -> idx 0 (cpu 0)",
                "mmu_notifier_unregister: notifier A->ops->release(notifier A)",
                "mmu_notifier_unregister: method returns",
                "mmu_notifier_unregister: srcu_read_unlock(idx 0) (cpu 0)",
                "mmu_notifier_unregister: spin_lock(mm)",
                "mmu_notifier_unregister: hlist_del_init_rcu: unlinked notifier A",
                "mmu_notifier_unregister: spin_unlock(mm)",
                "mmu_notifier_unregister: synchronize_srcu: begin",
                "mmu_notifier_unregister: synchronize_srcu: return",
                "mmu_notifier_unregister: mmu_notifier_unregister(notifier A) returns",
                "mmu_notifier_unregister > mmdrop: mmdrop(mm) -> mm_count 2",
            ],
            0,
        );
        assert_eq!(milestones(&exec, from), want, "{name}");
        assert_eq!(linked(&k, &cur, mm), [b], "{name}");
        assert!(hlist_unhashed(&cur, &k.list(k.mm(mm)), a.0), "{name}");
        assert!(!hlist_unhashed(&cur, &k.list(k.mm(mm)), b.0), "{name}");
        // Exit then releases only B, and the mm stays pinned by B's registration.
        let from = exec.len();
        k.mmput(&cur, mm);
        let released: Vec<String> = milestones(&exec, from)
            .into_iter()
            .filter(|l| l.contains("->ops->") || l.contains("mmdrop"))
            .collect();
        assert_eq!(
            released,
            [
                "mmput > __mmu_notifier_release: notifier B->ops->release(notifier B)",
                "mmput > mmdrop: mmdrop(mm) -> mm_count 1",
            ],
            "{name}"
        );
        assert!(exec.violation().is_none(), "{name}");
    }
}

#[test]
fn unregisters_srcu_read_unlock_goes_where_the_knob_says() {
    let order = [
        "spin_lock(mm)",
        "hlist_del_init_rcu: unlinked notifier A",
        "spin_unlock(mm)",
        "synchronize_srcu: begin",
    ];
    for (placement, before) in [
        (UnregisterUnlock::AfterRelease, 0),
        (UnregisterUnlock::AfterSpinLock, 1),
        (UnregisterUnlock::AfterUnlink, 2),
        (UnregisterUnlock::AfterSpinUnlock, 3),
    ] {
        let (exec, cur) = execution();
        let k = kernel(KernelConfig {
            unregister_unlock: placement,
            ..KernelConfig::v3_17()
        });
        let mm = k.mm_alloc(&cur, "mm");
        let a = k.alloc_notifier(&cur, "notifier A", QUIET);
        k.mmu_notifier_register(&cur, a, mm);
        let from = exec.len();
        k.mmu_notifier_unregister(&cur, a, mm);
        let lines: Vec<String> = milestones(&exec, from)
            .into_iter()
            .map(|l| {
                l.trim_start_matches("mmu_notifier_unregister: ")
                    .to_string()
            })
            .collect();
        let mut want = strings(&[
            "srcu_read_lock -> idx 0 (cpu 0)",
            "notifier A->ops->release(notifier A)",
            "method returns",
        ]);
        for (i, l) in order.iter().enumerate() {
            if i == before {
                want.push("srcu_read_unlock(idx 0) (cpu 0)".to_string());
            }
            want.push((*l).to_string());
        }
        assert_eq!(lines[..want.len()], want[..], "{}", placement.name());
    }
}

#[test]
fn unregister_no_release_unlinks_and_drops_the_pin_without_release_or_wait() {
    let Setup {
        exec,
        cur,
        k,
        mm,
        a,
        b,
    } = two_notifiers(KernelConfig::v3_17(), QUIET);
    let from = exec.len();
    k.mmu_notifier_unregister_no_release(&cur, a, mm);
    // v3.17 l.350-363.
    assert_eq!(
        milestones(&exec, from),
        [
            "mmu_notifier_unregister_no_release: spin_lock(mm)",
            "mmu_notifier_unregister_no_release: hlist_del_init_rcu: unlinked notifier A",
            "mmu_notifier_unregister_no_release: spin_unlock(mm)",
            "mmu_notifier_unregister_no_release > mmdrop: mmdrop(mm) -> mm_count 2",
        ]
    );
    assert_eq!(linked(&k, &cur, mm), [b]);
    assert!(exec.violation().is_none());
}

#[test]
fn freeing_an_mm_with_a_notifier_still_linked_is_a_kernel_bug() {
    let Setup {
        exec, cur, k, mm, ..
    } = two_notifiers(KernelConfig::v3_17(), QUIET);
    k.mmdrop(&cur, mm);
    k.mmdrop(&cur, mm);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| k.mmdrop(&cur, mm)));
    assert!(r.expect_err("BUG_ON").is::<ViolationPanic>());
    let v = exec.violation().expect("a violation");
    assert_eq!(v.kind, ViolationKind::Contract);
    assert_eq!(v.object.as_deref(), Some("mm"));
    assert_eq!(v.function, "mmdrop");
    assert_eq!(
        v.message,
        "kernel BUG: mm_struct freed with a notifier still registered"
    );
    assert!(!milestones(&exec, 0).contains(&"mmdrop: kfree mm".to_string()));
}

#[test]
fn call_srcu_callbacks_run_before_v3_17s_synchronize_returns() {
    let (exec, cur) = execution();
    let k = kernel(KernelConfig::v3_17());
    let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let r = Arc::clone(&ran);
    let from = exec.len();
    k.mmu_notifier_call_srcu(
        &cur,
        Box::new(move |_| {
            r.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }),
    );
    assert_eq!(
        ran.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "never run by call_srcu"
    );
    k.mmu_notifier_synchronize(&cur);
    assert_eq!(ran.load(std::sync::atomic::Ordering::Relaxed), 1);
    let lines = milestones(&exec, from);
    let at = |t: &str| {
        lines
            .iter()
            .position(|l| l == t)
            .unwrap_or_else(|| panic!("{t}: {lines:#?}"))
    };
    assert_eq!(at("mmu_notifier_call_srcu: call_srcu: queue callback"), 0);
    assert_eq!(
        at("mmu_notifier_call_srcu: call_srcu: queued callback #0"),
        1
    );
    let begin = at("mmu_notifier_synchronize: begin");
    let barrier = at("mmu_notifier_synchronize: srcu_barrier: begin");
    let invoke = at("mmu_notifier_synchronize: process_srcu: invoke callback #0");
    let done = at("mmu_notifier_synchronize: srcu_barrier: return");
    let end = at("mmu_notifier_synchronize: return");
    assert!(
        begin < barrier && barrier < invoke && invoke < done && done < end,
        "{lines:#?}"
    );
}

#[test]
fn v5_4s_synchronize_is_synchronize_srcu() {
    let (exec, cur) = execution();
    let k = kernel(KernelConfig::v5_4());
    let from = exec.len();
    k.mmu_notifier_synchronize(&cur);
    let lines = milestones(&exec, from);
    assert_eq!(
        lines.first().map(String::as_str),
        Some("mmu_notifier_synchronize: begin")
    );
    assert_eq!(
        lines.get(1).map(String::as_str),
        Some("mmu_notifier_synchronize: synchronize_srcu: begin")
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("mmu_notifier_synchronize: return")
    );
    assert!(
        !lines.iter().any(|l| l.contains("srcu_barrier")),
        "{lines:#?}"
    );
}

/// One `invalidate_range` by `walker` on `config`'s mm with notifiers A (quiet) and B
/// (`b_ops`), B first on the list: what it returned and the milestones it recorded.
fn walk(
    config: KernelConfig,
    b_ops: OpsId,
    walker: Invalidator,
) -> (Result<(), Errno>, Vec<String>, Arc<Execution>) {
    let Setup {
        exec, cur, k, mm, ..
    } = two_notifiers(config, b_ops);
    let from = exec.len();
    let r = k.invalidate_range(&cur, mm, walker);
    (r, milestones(&exec, from), exec)
}

#[test]
fn a_walker_on_an_mm_without_notifiers_takes_no_srcu_section() {
    let (exec, cur) = execution();
    let k = kernel(KernelConfig::v3_16());
    let mm = k.mm_alloc(&cur, "mm");
    let from = exec.len();
    assert_eq!(k.invalidate_range(&cur, mm, Invalidator::RMAP), Ok(()));
    assert_eq!(
        milestones(&exec, from),
        [
            "try_to_unmap_one: down_read(mm->rmap locks)",
            "try_to_unmap_one: mmu_notifier_range_init(mm)",
            "try_to_unmap_one: range done",
            "try_to_unmap_one: up_read(mm->rmap locks)",
        ]
    );
    let texts = crate::testing::texts_from(&exec, from);
    // mm_has_notifiers, once for the start and once for the end.
    assert_eq!(
        texts
            .iter()
            .filter(|t| *t == "mm_has_notifiers: load mm->mmu_notifier_mm")
            .count(),
        2,
        "{texts:#?}"
    );
}

#[test]
fn an_rmap_walker_calls_every_start_then_every_end_each_walk_in_its_own_section() {
    for (name, config) in VERSIONS {
        let (r, lines, exec) = walk(config(), QUIET, Invalidator::RMAP);
        assert_eq!(r, Ok(()), "{name}");
        let start = "mmu_notifier_invalidate_range_start > __mmu_notifier_invalidate_range_start";
        let end = "mmu_notifier_invalidate_range_end > __mmu_notifier_invalidate_range_end";
        assert_eq!(
            lines,
            [
                "try_to_unmap_one: down_read(mm->rmap locks)".to_string(),
                "try_to_unmap_one: mmu_notifier_range_init(mm)".to_string(),
                format!("{start}: srcu_read_lock -> idx 0 (cpu 0)"),
                format!("{start}: notifier B->ops->invalidate_range_start(notifier B)"),
                format!("{start}: method returns"),
                format!("{start}: notifier A->ops->invalidate_range_start(notifier A)"),
                format!("{start}: method returns"),
                format!("{start}: srcu_read_unlock(idx 0) (cpu 0)"),
                format!("{end}: srcu_read_lock -> idx 0 (cpu 0)"),
                format!("{end}: notifier B->ops->invalidate_range_end(notifier B)"),
                format!("{end}: method returns"),
                format!("{end}: notifier A->ops->invalidate_range_end(notifier A)"),
                format!("{end}: method returns"),
                format!("{end}: srcu_read_unlock(idx 0) (cpu 0)"),
                "try_to_unmap_one: range done".to_string(),
                "try_to_unmap_one: up_read(mm->rmap locks)".to_string(),
            ],
            "{name}"
        );
        // Each walk reads the list head inside its section.
        let texts = crate::testing::texts_from(&exec, 0);
        let head_reads = texts
            .iter()
            .filter(|t| t.ends_with("load mm->mmu_notifier_mm->list (initialisation)"))
            .count();
        assert_eq!(head_reads, 2, "{name}");
        // The range's end names the range its init opened.
        let ops = crate::testing::ops(&exec);
        let init = ops
            .iter()
            .position(|o| {
                matches!(
                    o,
                    Op::RangeInit {
                        blockable: true,
                        ..
                    }
                )
            })
            .expect("range init");
        assert!(ops.contains(&Op::RangeDone {
            range: init,
            ended: true
        }));
    }
}

#[test]
fn the_oom_reaper_skips_the_end_after_a_failed_start_without_a_warning() {
    let (r, lines, exec) = walk(KernelConfig::v5_4(), BUSY, Invalidator::OOM_REAPER);
    assert_eq!(r, Err(Errno::Again));
    let start = "mmu_notifier_invalidate_range_start > __mmu_notifier_invalidate_range_start";
    // v5.4 l.162-194: every start is called, the error returned; __oom_reap_task_mm skips
    // the end.
    assert_eq!(
        lines,
        [
            "__oom_reap_task_mm: down_read(mm->mmap_sem)".to_string(),
            "__oom_reap_task_mm: mmu_notifier_range_init(mm, non-blockable)".to_string(),
            format!("{start}: srcu_read_lock -> idx 0 (cpu 0)"),
            format!("{start}: notifier B->ops->invalidate_range_start(notifier B)"),
            format!("{start}: method returns"),
            format!("{start}: method returns -EAGAIN"),
            format!("{start}: notifier A->ops->invalidate_range_start(notifier A)"),
            format!("{start}: method returns"),
            format!("{start}: srcu_read_unlock(idx 0) (cpu 0)"),
            "__oom_reap_task_mm: range done without invalidate_range_end".to_string(),
            "__oom_reap_task_mm: up_read(mm->mmap_sem)".to_string(),
        ]
    );
    let ops = crate::testing::ops(&exec);
    let b_start = ops
        .iter()
        .position(|o| {
            matches!(o, Op::MethodStart { notifier, method, ops: 1 }
                if notifier == "notifier B" && method == "invalidate_range_start")
        })
        .expect("B's start");
    assert!(ops.contains(&Op::MethodError {
        start: b_start,
        errno: "-EAGAIN".to_string()
    }));
}

#[test]
fn after_c2655835fd8c_a_failed_start_calls_every_end_inside_the_start_walk() {
    let config = KernelConfig {
        failed_start: FailedStart::EndAll,
        ..KernelConfig::v5_4()
    };
    let (r, lines, _) = walk(config, BUSY, Invalidator::OOM_REAPER);
    assert_eq!(r, Err(Errno::Again));
    let start = "mmu_notifier_invalidate_range_start > __mmu_notifier_invalidate_range_start";
    let want: Vec<String> = [
        "srcu_read_lock -> idx 0 (cpu 0)",
        "notifier B->ops->invalidate_range_start(notifier B)",
        "method returns",
        "method returns -EAGAIN",
        "notifier A->ops->invalidate_range_start(notifier A)",
        "method returns",
        "notifier B->ops->invalidate_range_end(notifier B)",
        "method returns",
        "notifier A->ops->invalidate_range_end(notifier A)",
        "method returns",
        "srcu_read_unlock(idx 0) (cpu 0)",
    ]
    .iter()
    .map(|l| format!("{start}: {l}"))
    .collect();
    assert_eq!(lines[2..lines.len() - 2], want[..]);
    assert_eq!(
        lines[lines.len() - 2],
        "__oom_reap_task_mm: range done without invalidate_range_end"
    );
    // A successful start calls no end itself.
    let (r, lines, _) = walk(config, QUIET, Invalidator::OOM_REAPER);
    assert_eq!(r, Ok(()));
    let in_start: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with(start) && l.contains("invalidate_range_end"))
        .collect();
    assert_eq!(in_start, Vec::<&String>::new());
    assert_eq!(lines[lines.len() - 2], "__oom_reap_task_mm: range done");
}

#[test]
fn a_failed_start_in_a_blockable_range_warns_and_the_range_still_ends() {
    let walker = Invalidator {
        lock: WalkerLock::MmapSem,
        blockable: true,
        range_end: true,
    };
    let (r, lines, _) = walk(KernelConfig::v5_4(), BUSY, walker);
    assert_eq!(r, Err(Errno::Again));
    let start = "mmu_notifier_invalidate_range_start > __mmu_notifier_invalidate_range_start";
    assert_eq!(lines[0], "zap_page_range: down_read(mm->mmap_sem)");
    assert_eq!(lines[1], "zap_page_range: mmu_notifier_range_init(mm)");
    assert_eq!(
        lines[5..8],
        [
            format!("{start}: method returns -EAGAIN"),
            format!(
                "{start}: WARN_ON: WARNING: ->invalidate_range_start failed with -EAGAIN in a \
                 blockable range (notifier B)"
            ),
            format!("{start}: notifier A->ops->invalidate_range_start(notifier A)"),
        ]
    );
    assert!(lines.contains(
        &"mmu_notifier_invalidate_range_end > __mmu_notifier_invalidate_range_end: notifier B->ops->invalidate_range_end(notifier B)"
            .to_string()
    ));
    assert_eq!(lines[lines.len() - 2], "zap_page_range: range done");
    assert_eq!(
        lines[lines.len() - 1],
        "zap_page_range: up_read(mm->mmap_sem)"
    );
}

#[test]
fn an_unlocked_start_only_walker_takes_no_lock_and_opens_no_range() {
    let walker = Invalidator {
        lock: WalkerLock::Unlocked,
        blockable: true,
        range_end: false,
    };
    let (r, lines, _) = walk(KernelConfig::v3_16(), QUIET, walker);
    assert_eq!(r, Ok(()));
    let start = "mmu_notifier_invalidate_range_start > __mmu_notifier_invalidate_range_start";
    assert_eq!(
        lines,
        [
            format!("{start}: srcu_read_lock -> idx 0 (cpu 0)"),
            format!("{start}: notifier B->ops->invalidate_range_start(notifier B)"),
            format!("{start}: method returns"),
            format!("{start}: notifier A->ops->invalidate_range_start(notifier A)"),
            format!("{start}: method returns"),
            format!("{start}: srcu_read_unlock(idx 0) (cpu 0)"),
        ]
    );
}

#[test]
fn v5_4_get_and_put_count_users_and_the_last_put_frees_after_a_grace_period() {
    let (exec, cur) = execution();
    let k = kernel(KernelConfig::v5_4());
    let mm = k.mm_alloc(&cur, "mm");
    let get = "mmu_notifier_get > mmu_notifier_get_locked";
    let from = exec.len();
    // v5.4 l.382-407: no mmu_notifier_mm yet, so ->alloc_notifier and registration.
    let a = k.mmu_notifier_get(&cur, QUIET, mm).expect("a new notifier");
    assert_eq!(
        milestones(&exec, from),
        [
            "mmu_notifier_get: down_write(mm->mmap_sem)".to_string(),
            format!("{get}: driver ops #0: ->alloc_notifier"),
            format!("{get}: alloc_notifier: kmalloc notifier A"),
            format!(
                "{get}: __mmu_notifier_register: kmalloc mmu_notifier_mm; INIT_HLIST_HEAD, \
                 spin_lock_init"
            ),
            format!("{get}: mm_take_all_locks: down_write(mm->rmap locks)"),
            format!("{get}: __mmu_notifier_register: mmgrab(mm) -> mm_count 2"),
            format!("{get}: __mmu_notifier_register: spin_lock(mm)"),
            format!("{get}: __mmu_notifier_register: registered notifier A: users = 1"),
            format!("{get}: __mmu_notifier_register: spin_unlock(mm)"),
            format!("{get}: mm_drop_all_locks: up_write(mm->rmap locks)"),
            "mmu_notifier_get: up_write(mm->mmap_sem)".to_string(),
        ]
    );
    // find_get_mmu_notifier: the same ops, one more user; at the maximum, -EOVERFLOW.
    let from = exec.len();
    assert_eq!(k.mmu_notifier_get(&cur, QUIET, mm), Ok(a));
    assert_eq!(k.mmu_notifier_get(&cur, QUIET, mm), Err(Errno::Overflow));
    let find = format!("{get}: find_get_mmu_notifier");
    let lines = milestones(&exec, from);
    assert_eq!(
        lines[1..4],
        [
            format!("{find}: spin_lock(mm)"),
            format!("{find}: found notifier A: users = 2"),
            format!("{find}: spin_unlock(mm)"),
        ]
    );
    assert_eq!(
        lines[7],
        format!("{find}: users = 2 (the maximum): -EOVERFLOW")
    );
    assert_eq!(lines.len(), 10, "{lines:#?}");
    assert_eq!(k.notifier(a).users.with(|u| *u), 2);
    // Other ops: the linked notifier is skipped and a new one registered.
    let b = k
        .mmu_notifier_get(&cur, BUSY, mm)
        .expect("another notifier");
    assert_ne!(a, b);
    assert_eq!(linked(&k, &cur, mm), [b, a]);
    // Puts: the last one unlinks and queues the free; a put without a get only warns.
    let from = exec.len();
    k.mmu_notifier_put(&cur, a);
    k.mmu_notifier_put(&cur, a);
    let call = exec.events()[from..]
        .iter()
        .position(|e| e.op == Op::CallSrcu)
        .expect("call_srcu")
        + from;
    k.mmu_notifier_put(&cur, a);
    let put = "mmu_notifier_put";
    assert_eq!(
        milestones(&exec, from),
        [
            format!("{put}: spin_lock(mm)"),
            format!("{put}: notifier A: users = 1"),
            format!("{put}: spin_unlock(mm)"),
            format!("{put}: spin_lock(mm)"),
            format!("{put}: notifier A: users = 0"),
            format!("{put}: hlist_del_init_rcu: unlinked notifier A"),
            format!("{put}: spin_unlock(mm)"),
            format!("{put}: call_srcu: queue callback"),
            // Tree SRCU's __call_srcu queues inside a section of its own.
            format!("{put}: srcu_read_lock -> idx 0 (cpu 0)"),
            format!("{put}: srcu_read_unlock(idx 0) (cpu 0)"),
            format!("{put}: call_srcu: queued callback #{call}"),
            format!("{put}: mmu_notifier_put(notifier A) returns"),
            format!("{put}: spin_lock(mm)"),
            format!(
                "{put}: WARN_ON: WARNING: WARN_ON(!mn->users): mmu_notifier_put without a \
                 matching get (notifier A)"
            ),
            format!("{put}: spin_unlock(mm)"),
        ]
    );
    assert_eq!(linked(&k, &cur, mm), [b]);
    // mmu_notifier_free_rcu, after a grace period: ->free_notifier, then mmdrop.
    let from = exec.len();
    k.srcu.srcu_barrier(&cur);
    let lines = milestones(&exec, from);
    assert_eq!(
        lines[1..6],
        [
            format!("srcu_barrier: srcu_invoke_callbacks: invoke callback #{call}"),
            "srcu_barrier: mmu_notifier_free_rcu: notifier A->ops->free_notifier(notifier A)"
                .to_string(),
            "srcu_barrier: free_notifier: kfree notifier A".to_string(),
            "srcu_barrier: mmu_notifier_free_rcu: method returns".to_string(),
            "mmu_notifier_free_rcu > mmdrop: mmdrop(mm) -> mm_count 2".to_string(),
        ],
        "{lines:#?}"
    );
    assert!(exec.violation().is_none());
}

#[test]
fn a_notifier_from_register_may_be_ended_with_put_on_v5_4() {
    // v5.4 doc l.327: mmu_notifier_unregister() or mmu_notifier_put() (amdkfd does the latter).
    let Setup {
        exec,
        cur,
        k,
        mm,
        a,
        b,
    } = two_notifiers(KernelConfig::v5_4(), QUIET);
    let from = exec.len();
    k.mmu_notifier_put(&cur, a);
    assert!(
        milestones(&exec, from).contains(&"mmu_notifier_put: notifier A: users = 0".to_string())
    );
    assert_eq!(linked(&k, &cur, mm), [b]);
    k.srcu.srcu_barrier(&cur);
    assert!(milestones(&exec, from)
        .contains(&"mmu_notifier_free_rcu > mmdrop: mmdrop(mm) -> mm_count 2".to_string()));
    assert!(exec.violation().is_none());
}

#[test]
fn new_notifiers_are_named_by_their_order_of_allocation() {
    let (exec, cur) = execution();
    let k = kernel(KernelConfig::v5_4());
    let mm = k.mm_alloc(&cur, "mm");
    k.mmu_notifier_get(&cur, QUIET, mm).expect("a new notifier");
    // The default ->alloc_notifier names the second one "notifier B".
    let from = exec.len();
    k.mmu_notifier_get(&cur, BUSY, mm)
        .expect("another notifier");
    let lines = milestones(&exec, from);
    let kmalloc = "mmu_notifier_get > mmu_notifier_get_locked: alloc_notifier: kmalloc notifier B";
    assert!(lines.iter().any(|l| l == kmalloc), "{lines:#?}");
    // Up to the model's capacity of notifiers (8; the letters would wrap after Z).
    for letter in 'C'..='H' {
        let name = k.next_notifier_name();
        assert_eq!(name, format!("notifier {letter}"));
        k.alloc_notifier(&cur, &name, QUIET);
    }
}

#[test]
fn errnos_print_as_the_kernels_negative_constants() {
    assert_eq!(Errno::Overflow.to_string(), "-EOVERFLOW");
    assert_eq!(Errno::Again.to_string(), "-EAGAIN");
}

#[test]
fn a_module_unload_is_recorded_for_the_unload_oracle() {
    let (exec, cur) = execution();
    let k = kernel(KernelConfig::v5_4());
    let from = exec.len();
    k.module_unload(&cur, BUSY);
    assert_eq!(
        milestones(&exec, from),
        ["module_unload: module of driver ops #1 unloaded"]
    );
    assert_eq!(exec.events()[from].op, Op::ModuleUnload { ops: 1 });
}
