//! Runs a list of child-process checks a few at a time, with a progress bar on stderr (shown
//! only to a person: not for `--json`, not into a file or a pipe).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Whether to draw a progress bar: a terminal on stderr, and not `--json`.
pub fn show_bar(json: bool) -> bool {
    !json && std::io::stderr().is_terminal()
}

/// The number of checks to run at once: `jobs`, or the number of CPUs.
pub fn parallelism(jobs: Option<u16>) -> usize {
    jobs.map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `f` of every item, `parallel` at a time, in the items' order; the bar names the items
/// running (`name`).
pub fn map<T: Sync, R: Send>(
    items: &[T],
    parallel: usize,
    show_bar: bool,
    name: impl Fn(&T) -> String + Sync,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let bar = if show_bar {
        ProgressBar::new(items.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} checks, {elapsed}  {msg}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(500));
    let next = AtomicUsize::new(0);
    let running: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let show = |change: &dyn Fn(&mut Vec<String>)| {
        let mut running = running.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut running);
        bar.set_message(running.join(", "));
    };
    let done: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..parallel.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let label = name(item);
                show(&|r| r.push(label.clone()));
                let result = f(item);
                show(&|r| r.retain(|n| *n != label));
                done.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
                bar.inc(1);
            });
        }
    });
    bar.finish_and_clear();
    done.into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}
