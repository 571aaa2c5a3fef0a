//! `notifier-harness`: check your own drivers and kernel protocols against a model of the
//! Linux kernel's mmu_notifier core and SRCU, with loom (every interleaving, up to a
//! preemption bound, under the C11 memory model) and shuttle (random and PCT schedules), from
//! your crate's `#[test]`s — and replay what they find.
//!
//! # Writing a check
//!
//! A check is a closure: the main thread of a small concurrent program over the kernel model.
//! It builds the world (an SRCU, kernel objects, the mmu_notifier core with your driver),
//! spawns threads, and joins them. The checker runs it many times, once per interleaving it
//! explores, and judges every execution (use-after-free, double free and leaks of every kernel
//! object, SRCU's grace-period guarantees, the mmu_notifier contracts).
//!
//! The README's own-check example (models/harness/tests/own_check.rs, which `cargo test` runs):
//!
//! ```
#![doc = include_str!("../tests/own_check.rs")]
//! ```
//!
//!
//! [`model`](fn@model) runs the check with the default settings and panics with the counterexample if
//! an execution fails: the front door's `loom::model`. [`Builder`] chooses the checker, its
//! budget and the kernel version, each with a default that finishes in CI and an environment
//! variable that replaces it ([`env`](mod@env): `NOTIFIER_CHECK_PREEMPTION_BOUND=3` deepens every loom
//! check of a CI job without a code change). [`Builder::check`] returns a [`Report`] to assert
//! on: [`Report::assert_safe`], or for a check that must fail,
//! [`Report::assert_violation`] with the [`Expected`] violation — its kind and, as much as
//! matters, the object, function and thread:
//!
//! ```
//! use notifier_harness::prelude::*;
//!
//! let report = Builder::new()
//!     .checker(CheckerKind::ShuttlePct)
//!     .check(|main| {
//!         let a = main.kmalloc("config A", 1u32);
//!         let reader = {
//!             let a = a.clone();
//!             main.spawn("R", move |t| a.read(t, "value", |v| *v))
//!         };
//!         a.kfree(main); // while R may still read it
//!         reader.join();
//!     });
//! report.assert_violation(
//!     &Expected::new(ViolationKind::UseAfterFree).on("config A").by("R"),
//! );
//! # assert_eq!(report.isolation(), Isolation::Process); // a doctest's `main` runs it again
//! ```
//!
//! The world's pieces ([`prelude`] imports them all):
//! - [`Thread`]: the thread running the closure (the kernel's `current`, which every kernel
//!   function takes), with [`Thread::spawn`], [`Thread::kmalloc`], [`Thread::kernel`] and
//!   [`Thread::init_srcu_struct`]. Name your functions in traces with
//!   [`notifier_core::Task::enter`].
//! - [`world::KBox`]: a kernel object carrying typed data, every read and write of it checked
//!   against its free (and, under loom, against concurrent writes); [`world::KObj`], one
//!   without data.
//! - [`world::RcuPointer`]: an RCU-protected pointer (`rcu_assign_pointer`,
//!   `rcu_dereference`, `srcu_dereference`, `rcu_replace_pointer`).
//! - [`world::Srcu`]: SRCU as the kernel version has it, usable with no mmu_notifier at all.
//! - [`world::Kernel`] and [`Driver`]: `mm/mmu_notifier.c` (register, unregister, the
//!   invalidate walkers, release, `mmu_notifier_call_srcu`, get/put on v5.4) with your
//!   driver's `mmu_notifier_ops` written as closures.
//! - [`world::sync`]: atomics (with compare-and-exchange), mutexes and fences, loom's or
//!   shuttle's as the check runs.
//!
//! A closure sees the same world under every checker: its primitives are those of a backend
//! chosen when the check starts ([`dynamic::Dyn`]), which explores exactly what the generic
//! path ([`Model`], [`Builder::check_model`]) explores, executions and traces alike.
//!
//! # Reading a counterexample
//!
//! A failing assertion panics with the report ([`Report`]'s `Display`): what was found, where
//! the check is and how it ran, the environment variables that shaped it, the failing
//! execution's trace and its replay token.
//!
//! ```text
//! notifier-harness: expected safe, found use-after-free of config A in read_threshold on thread R2 at step 8: config A is freed at step 13 (U: set_threshold, step 13) but the access at step 8 is not ordered before the free (Causality violation: ...)
//!   check: tests/config.rs:40:10, kernel v5.4, in a child process
//!   checker: loom (preemption bound 2): failed at execution 5, 0.00 s
//!   trace (one column per thread):
//!     step  | main                         | R1 | R2                                   | U
//!        0  | kmalloc config A             |    |                                      |
//!        1  | rcu_assign_pointer(dev->config, config A) | | ...
//!        ...
//!        8  |                              |    | read_threshold: load config A->threshold | <== use-after-free here
//!        ...
//!       13  |                              |    |                                      | set_threshold: kfree config A
//!   replay token: v5.4/loom/pb=2/exec=5/use-after-free@8/in=read_threshold/of=config+A
//! ```
//!
//! The trace has one column per thread, one line per modelled kernel operation, in the order
//! the execution ran them; the violating line is marked. Each line names the function the
//! thread was in (`read_threshold: ...`, from [`notifier_core::Task::enter`]) and the operation
//! in kernel words. Under loom, a use-after-free may be an access that ran *before* the free
//! but is not ordered before it by happens-before (the message says so): on a weakly ordered
//! machine the free can overtake it.
//!
//! # Replaying
//!
//! The token finds the failing execution again: loom's exploration is deterministic, so its
//! token is the bound and the execution's number; shuttle's is the whole schedule. Give it to
//! [`replay`] with the same closure; [`Report::assert_reproduced`] holds when the execution
//! showed the same violation at the same step (a replay that cannot follow its schedule says
//! where it diverged):
//!
//! ```no_run
//! # use notifier_harness::prelude::*;
//! # fn check(main: &Thread<'_>) {}
//! let token = "v5.4/loom/pb=2/exec=5/use-after-free@8/in=read_threshold/of=config+A";
//! let report = notifier_harness::replay(token, check);
//! println!("{report}"); // the trace again
//! report.assert_reproduced();
//! ```
//!
//! # What each checker can see
//!
//! | | loom | shuttle (random, PCT) |
//! | --- | --- | --- |
//! | search | every interleaving up to the preemption bound (`None`: all) | sampled schedules: `iterations` from `seed` |
//! | memory model | C11 minus load buffering; `fence(SeqCst)` modelled; SeqCst accesses treated as AcqRel | sequentially consistent; `fence` does nothing |
//! | use-after-free | an access after the free, or not ordered before it | an access after the free, in schedule order |
//! | data races on [`world::KBox`] data and [`world::sync::Cell`]s | yes | no |
//! | limits | at most 5 threads (main included); 7 stores of history per atomic | none of its own |
//!
//! A loom "safe" is relative to its bound; a shuttle "safe" means none of its schedules
//! failed. A missing barrier shows only under loom; a bug needing many preemptions shows
//! sooner under shuttle (PCT). Check under both. loom can also collapse interleavings it
//! should explore (loom#392): cross-check every loom pass with shuttle.
//!
//! # Where a check runs
//!
//! Each check runs in a child process of its own ([`Isolation::Process`], the default): the
//! test binary is run again, as `rusty-fork` does it, up to the check, which runs there and
//! sends its outcome back. A loom abort (a panic while a failing execution unwinds) is then
//! that check's result and the test goes on, and nothing the checkers print reaches the
//! test's output. The closure must therefore reach the check the same way every time it
//! runs, and keep its state in the world it builds (nothing from outside the closure changes
//! between processes but the code itself). A test with several checks runs each once: the
//! child of a later check is given the outcomes of the earlier ones. Outside a test (an
//! example's `main`, a doctest) the program is run again with its own arguments; on a thread
//! with no name the check runs in-process, and its report says so.
//!
//! # The engine
//!
//! - [`Model`]: a program generic over the backend (`run<B>`), as the catalogue's are; check
//!   one with [`Builder::check_model`], or in this process with [`runner::check_in_process`];
//! - [`runner`]: one check of a model under loom, shuttle or real threads
//!   ([`runner::stress_std`]);
//! - [`plan`], [`outcome`]: a check and what it observed, each as one serialisable value (a
//!   child process receives the one and sends back the other);
//! - [`check`]: the checkers and their settings.
//!
//! Items marked hidden in these docs are the engine's, for the catalogue and the
//! `notifier-check` binary (the child protocol of `notifier-check __child`, the run options of
//! `bench`, placement names): public because those crates reach them, not part of the
//! library's interface.

#![warn(missing_docs)]

mod builder;
pub mod check;
mod closure;
pub mod dynamic;
mod isolation;
pub mod model;
pub mod outcome;
pub mod plan;
pub mod prelude;
mod report;
pub mod runner;
mod token;
pub mod world;

pub use builder::{env, model, replay, Builder, EnvSetting, Isolation};
#[doc(hidden)]
pub use check::Checkable;
pub use check::{CheckSpec, CheckerKind, Verdict, MAX_PREEMPTION_BOUND};
pub use model::Model;
pub use outcome::{Bound, Outcome};
pub use plan::{KernelPlan, Placements, Plan, Run, Target};
pub use report::{Expected, Report};
pub use runner::Crash;
pub use token::Token;
pub use world::{Driver, Thread};
