//! The process's panic hook: decides what a panic prints while a check runs.
//!
//! A failing execution panics (an oracle's [`ViolationPanic`], loom's causality or branch-limit
//! report, shuttle's deadlock report). The hook turns that first panic into the check's outcome
//! at once, while the trace still ends at the failing step, and in a child process prints the
//! result line right away: loom often aborts the process on a second panic while it unwinds,
//! and then the line already printed is the check's result. It prints nothing else while a
//! check runs (the outcome carries the message).
//!
//! loom and shuttle run every thread of the model on the OS thread that called them, so the
//! running check is found in an OS-thread-local.

use super::child;
use super::probe::Probe;
use notifier_core::ViolationPanic;
use std::cell::{Cell, RefCell};
use std::panic::{self, PanicHookInfo};
use std::sync::{Arc, Once};

thread_local! {
    static ACTIVE: RefCell<Option<Arc<Probe>>> = const { RefCell::new(None) };
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Makes `probe` the check running on this OS thread until the guard is dropped.
pub(crate) fn activate(probe: Arc<Probe>) -> Active {
    install();
    let previous = ACTIVE.with(|a| a.replace(Some(probe)));
    Active { previous }
}

/// Restores the previously running check (normally none) when dropped.
#[derive(Debug)]
pub(crate) struct Active {
    previous: Option<Arc<Probe>>,
}

impl Drop for Active {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // Thread-local storage may already be gone if this runs during thread exit.
        let _ = ACTIVE.try_with(|a| a.replace(previous));
    }
}

/// Runs `f`, which may panic on bad input, printing nothing for its panics; returns `None` if
/// it panicked. For library functions that panic on malformed data instead of returning an
/// error (shuttle's schedule decoder).
pub(crate) fn quietly<R>(f: impl FnOnce() -> R) -> Option<R> {
    install();
    let was = QUIET.with(|q| q.replace(true));
    let r = panic::catch_unwind(panic::AssertUnwindSafe(f)).ok();
    QUIET.with(|q| q.set(was));
    r
}

/// Installs the hook, once per process.
fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let original = panic::take_hook();
        // shuttle installs its own hook at its first execution (once per process), around
        // whatever hook is set then; it reports every panic with the first run's configuration.
        // Let it install now, around a silent hook, and drop it: our hook decides alone.
        panic::set_hook(Box::new(|_| {}));
        shuttle::Runner::new(
            shuttle::scheduler::RoundRobinScheduler::new(1),
            quiet_config(),
        )
        .run(|| {});
        drop(panic::take_hook());
        panic::set_hook(Box::new(move |info| hook(info, &original)));
    });
}

fn quiet_config() -> shuttle::Config {
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    config.silence_warnings = true;
    config
}

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

fn hook(info: &PanicHookInfo<'_>, original: &Hook) {
    if QUIET.try_with(Cell::get).unwrap_or(false) {
        return;
    }
    let probe = ACTIVE
        .try_with(|a| a.try_borrow().ok().and_then(|p| p.clone()))
        .ok()
        .flatten();
    let payload = info.payload();
    // A failing execution panics with an oracle's `ViolationPanic` or a message (a checker's
    // report, a model's assertion). A payload of another type is a library's own unwinding
    // (a coroutine being cancelled): if it ever escapes, the runner's `catch_unwind` reports it.
    let failure = payload.is::<ViolationPanic>() || payload.is::<String>() || payload.is::<&str>();
    match probe {
        Some(_) if !failure => {}
        Some(probe) => {
            let outcome = probe.fail(payload);
            child::emit(&outcome);
        }
        // A model thread on real threads (the std stress runner): its runner reports it.
        None if payload.is::<ViolationPanic>() => {}
        None => original(info),
    }
}
