//! Runs a list of child-process checks a few at a time, and shows progress on stderr: a bar
//! on a terminal; elsewhere (a CI log, a file) one line at the start, one every `interval`, and
//! one at the end, so that a long run shows life.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nothing.
    Silent,
    /// A live bar (stderr is a terminal).
    Bar,
    /// One line at the start, every interval, and at the end.
    Lines(Duration),
}

/// The default interval between progress lines.
pub const DEFAULT_INTERVAL_SECONDS: u64 = 10;

impl Progress {
    /// A bar on a terminal (unless `json` asks for machine output only); elsewhere lines every
    /// `interval_seconds` (0: none).
    pub fn detect(json: bool, interval_seconds: u64) -> Self {
        if std::io::stderr().is_terminal() {
            if json {
                Progress::Silent
            } else {
                Progress::Bar
            }
        } else if interval_seconds == 0 {
            Progress::Silent
        } else {
            Progress::Lines(Duration::from_secs(interval_seconds))
        }
    }
}

/// The number of checks to run at once: `jobs`, or the number of CPUs.
pub fn parallelism(jobs: Option<u16>) -> usize {
    jobs.map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// What the progress line counts.
struct Tally {
    done: usize,
    bad: usize,
    running: Vec<String>,
    finished: bool,
}

/// `f` of every item, `parallel` at a time, in the items' order. `name` labels an item in the
/// progress; `bad` says whether a result did not go as expected (counted in the progress).
pub fn map<T: Sync, R: Send>(
    items: &[T],
    parallel: usize,
    progress: Progress,
    name: impl Fn(&T) -> String + Sync,
    bad: impl Fn(&R) -> bool + Sync,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let bar = if progress == Progress::Bar {
        ProgressBar::new(items.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} checks, {elapsed}  {msg}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(500));
    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let tally = Mutex::new(Tally {
        done: 0,
        bad: 0,
        running: Vec::new(),
        finished: false,
    });
    let changed = Condvar::new();
    let line = |t: &Tally, seconds: f64| {
        let mut l = format!(
            "notifier-check: progress {}/{} checks, {} not as expected, {seconds:.0} s",
            t.done,
            items.len(),
            t.bad,
        );
        if !t.running.is_empty() {
            l.push_str(&format!("; running: {}", t.running.join(", ")));
        }
        l
    };
    let update = |change: &dyn Fn(&mut Tally)| {
        let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut t);
        bar.set_message(t.running.join(", "));
    };
    let done: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    if let Progress::Lines(_) = progress {
        // The first line before any check starts: the same on every run.
        eprintln!(
            "{}",
            line(&tally.lock().unwrap_or_else(|e| e.into_inner()), 0.0)
        );
    }
    std::thread::scope(|scope| {
        if let Progress::Lines(interval) = progress {
            let (tally, changed, line) = (&tally, &changed, &line);
            scope.spawn(move || {
                let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    // Woken early only by the end of the run (never spuriously).
                    t = changed
                        .wait_timeout_while(t, interval, |t| !t.finished)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                    eprintln!("{}", line(&t, start.elapsed().as_secs_f64()));
                    if t.finished {
                        break;
                    }
                }
            });
        }
        let workers: Vec<_> = (0..parallel.clamp(1, items.len().max(1)))
            .map(|_| {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let label = name(item);
                    update(&|t| t.running.push(label.clone()));
                    let result = f(item);
                    let failed = bad(&result);
                    update(&|t| {
                        t.running.retain(|n| *n != label);
                        t.done += 1;
                        t.bad += usize::from(failed);
                    });
                    done.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
                    bar.inc(1);
                })
            })
            .collect();
        let panicked = workers.into_iter().find_map(|w| w.join().err());
        // The progress line's thread ends before a worker's panic goes on.
        tally.lock().unwrap_or_else(|e| e.into_inner()).finished = true;
        changed.notify_all();
        if let Some(panic) = panicked {
            std::panic::resume_unwind(panic);
        }
    });
    bar.finish_and_clear();
    done.into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}
