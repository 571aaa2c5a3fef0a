//! The panic hook while a check runs: decides what a panic prints, and is gone when no check
//! runs.
//!
//! A failing execution panics (an oracle's [`ViolationPanic`], loom's causality or branch-limit
//! report, shuttle's deadlock report). The hook turns that first panic into the check's outcome
//! at once, while the trace still ends at the failing step (in a child process the probe then
//! prints the result line right away: loom often aborts the process on a second panic while it
//! unwinds, and then the line already printed is the check's result). It prints nothing else
//! for the check's thread (the outcome carries the message), and hands every other panic to the
//! hook that was set before.
//!
//! loom and shuttle run every thread of the model on the OS thread that called them, so the
//! running check is found in an OS-thread-local.
//!
//! **The one process-wide state of the harness** is here, because std's panic hook is
//! process-wide: [`HOOK`] counts the checks running in the process (on any thread), so that
//! the first installs the hook and the last puts back the one that was set before; and it
//! remembers whether shuttle's own hook has been neutralised (shuttle installs one, once per
//! process, at its first execution: see [`install`]).

use super::probe::Probe;
use notifier_core::ViolationPanic;
use std::cell::{Cell, RefCell};
use std::panic::{self, PanicHookInfo};
use std::sync::{Arc, Mutex, MutexGuard};

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// The hook's process-wide bookkeeping (see the module documentation).
struct Installed {
    /// Checks (and quiet sections) running now, on any thread.
    users: usize,
    /// The hook that was set before ours, while ours is set.
    previous: Option<Arc<Hook>>,
    /// Whether shuttle's once-per-process hook has been installed and dropped.
    shuttle_disarmed: bool,
}

static HOOK: Mutex<Installed> = Mutex::new(Installed {
    users: 0,
    previous: None,
    shuttle_disarmed: false,
});

thread_local! {
    static ACTIVE: RefCell<Option<Arc<Probe>>> = const { RefCell::new(None) };
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

fn installed() -> MutexGuard<'static, Installed> {
    HOOK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Makes `probe` the check running on this OS thread until the guard is dropped.
pub(crate) fn activate(probe: Arc<Probe>) -> Active {
    let users = Users::enter();
    let previous = ACTIVE.with(|a| a.replace(Some(probe)));
    Active {
        previous,
        _users: users,
    }
}

/// Restores the previously running check (normally none) when dropped, and the hook set before
/// the first check when no check runs any more.
#[derive(Debug)]
pub(crate) struct Active {
    previous: Option<Arc<Probe>>,
    _users: Users,
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
    let _users = Users::enter();
    let was = QUIET.with(|q| q.replace(true));
    let r = panic::catch_unwind(panic::AssertUnwindSafe(f)).ok();
    QUIET.with(|q| q.set(was));
    r
}

/// One user of the hook: installs it if it is the first, puts the previous hook back when the
/// last one leaves.
#[derive(Debug)]
struct Users;

impl Users {
    fn enter() -> Users {
        let mut state = installed();
        if state.users == 0 {
            install(&mut state);
        }
        state.users += 1;
        Users
    }
}

impl Drop for Users {
    fn drop(&mut self) {
        let mut state = installed();
        state.users -= 1;
        // std refuses to change the hook from a panicking thread: then ours stays (it hands
        // every panic that is not a check's to the previous one) until the next check ends.
        if state.users == 0 && !std::thread::panicking() {
            uninstall(&mut state);
        }
    }
}

/// Sets our hook, keeping the current one to hand other panics to and to put back.
fn install(state: &mut Installed) {
    if state.previous.is_some() {
        // Still set from a check that ended while its thread was panicking.
        return;
    }
    let previous: Arc<Hook> = Arc::new(panic::take_hook());
    if !state.shuttle_disarmed {
        // shuttle installs its own hook at its first execution in the process (once), around
        // whatever hook is set then, and it prints a "failing schedule" report and shuttle's
        // advice for every later panic. Let it install now, around a hook that only forwards,
        // and drop it: while a check runs, ours decides alone.
        let forward = Arc::clone(&previous);
        panic::set_hook(Box::new(move |info| forward(info)));
        shuttle::Runner::new(
            shuttle::scheduler::RoundRobinScheduler::new(1),
            quiet_config(),
        )
        .run(|| {});
        drop(panic::take_hook());
        state.shuttle_disarmed = true;
    }
    let before = Arc::clone(&previous);
    panic::set_hook(Box::new(move |info| hook(info, &before)));
    state.previous = Some(previous);
}

/// Puts back the hook that was set before ours (a hook someone else set while checks ran is
/// replaced by it too: checks own the hook while they run).
fn uninstall(state: &mut Installed) {
    let Some(previous) = state.previous.take() else {
        return;
    };
    // Ours holds the other reference to `previous`: drop it first.
    drop(panic::take_hook());
    match Arc::try_unwrap(previous) {
        Ok(previous) => panic::set_hook(previous),
        Err(shared) => panic::set_hook(Box::new(move |info| shared(info))),
    }
}

fn quiet_config() -> shuttle::Config {
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    config.silence_warnings = true;
    config
}

fn hook(info: &PanicHookInfo<'_>, previous: &Hook) {
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
            probe.fail(payload);
        }
        // A model thread on real threads (the std stress runner): its runner reports it.
        None if payload.is::<ViolationPanic>() => {}
        None => previous(info),
    }
}
