//! What one check observed, as one typed value: the verdict, the violation, the bound it ran
//! under, the failing execution's trace as structured events, and the replay. It is what a
//! child process sends its parent (it round-trips exactly through JSON), and text, JSON and
//! HTML reports are renderings of it.

use crate::check::{CheckSpec, CheckerKind, Verdict};
use crate::runner::replay::{CheckerReplay, Divergence};
use notifier_core::{TraceEvent, Violation};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What one check observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The verdict.
    pub observed: Verdict,
    /// The violation, if one was found.
    pub violation: Option<Violation>,
    /// Executions explored (loom) or iterations run (shuttle), up to and including a failure.
    pub executions: u64,
    /// What the checker was allowed to explore.
    pub bound: Bound,
    /// Wall-clock seconds of the check.
    pub seconds: f64,
    /// The failing execution's trace (empty when safe), every event with its names resolved.
    pub trace: Vec<TraceEvent>,
    /// How to find the failing execution again (`None` when safe, or on real threads).
    pub replay: Option<CheckerReplay>,
    /// A replay only: where the execution stopped following its schedule (the verdict and the
    /// trace then describe the execution up to that point, nothing the token recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub divergence: Option<Divergence>,
    /// loom, when the plan asks ([`crate::Plan::count_traces`]): how many distinct
    /// Mazurkiewicz traces the executions of a safe check were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct_traces: Option<u64>,
}

impl Outcome {
    /// One line: verdict, executions, bound, time and the violation, if any.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} after {} executions ({}, {:.2} s)",
            self.observed, self.executions, self.bound, self.seconds
        );
        if let Some(v) = &self.violation {
            line.push_str(&format!(" {v}"));
        }
        if let Some(d) = &self.divergence {
            line.push_str(&format!(" (diverged at step {}: {})", d.step, d.reason));
        }
        line
    }
}

/// What a checker was allowed to explore: the bound of a "safe". In JSON, tagged by `kind`:
/// `{"kind": "exhaustive"}`, `{"kind": "preemption", "value": 3}`,
/// `{"kind": "iterations", "value": 2000, "seed": 1, "pct_depth": 3}`, ...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Bound {
    /// loom, every interleaving (no preemption bound).
    Exhaustive,
    /// loom, the interleavings with at most `value` preemptions.
    Preemption {
        /// The preemption bound.
        value: usize,
    },
    /// shuttle, `value` random (or PCT, with `pct_depth`) schedules drawn from `seed`.
    Iterations {
        /// The number of executions.
        value: usize,
        /// The seed of the schedules.
        seed: u64,
        /// PCT's depth (`None`: the random scheduler).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pct_depth: Option<usize>,
    },
    /// A loom replay: the exploration at `preemption_bound` (`None`: unbounded), up to
    /// execution `execution`.
    LoomReplay {
        /// loom's preemption bound.
        preemption_bound: Option<usize>,
        /// The execution the replay stops at.
        execution: u64,
    },
    /// A shuttle replay: one execution that follows a schedule of `steps` steps recorded by
    /// `checker`.
    ScheduleReplay {
        /// The checker that recorded the schedule.
        checker: CheckerKind,
        /// The schedule's length.
        steps: usize,
    },
    /// Real threads, `value` runs.
    Runs {
        /// The number of runs.
        value: usize,
    },
}

impl Bound {
    /// The bound of a check run as `spec` says.
    pub fn of(spec: &CheckSpec) -> Bound {
        match (spec.checker, spec.preemption_bound) {
            (CheckerKind::Loom, None) => Bound::Exhaustive,
            (CheckerKind::Loom, Some(value)) => Bound::Preemption { value },
            (checker, _) => Bound::Iterations {
                value: spec.iterations,
                seed: spec.seed,
                pct_depth: (checker == CheckerKind::ShuttlePct).then_some(spec.pct_depth),
            },
        }
    }
}

impl fmt::Display for Bound {
    /// In words: "unbounded, exhaustive", "preemption bound 3", "2000 iterations, seed 1, PCT
    /// depth 3", ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Exhaustive => f.write_str("unbounded, exhaustive"),
            Bound::Preemption { value } => write!(f, "preemption bound {value}"),
            Bound::Iterations {
                value,
                seed,
                pct_depth,
            } => {
                write!(f, "{value} iterations, seed {seed}")?;
                match pct_depth {
                    Some(d) => write!(f, ", PCT depth {d}"),
                    None => Ok(()),
                }
            }
            Bound::LoomReplay {
                preemption_bound,
                execution,
            } => {
                let bound = match preemption_bound {
                    Some(pb) => format!("preemption bound {pb}"),
                    None => "unbounded".to_string(),
                };
                write!(
                    f,
                    "replay of loom's exploration ({bound}) up to execution {execution}"
                )
            }
            Bound::ScheduleReplay { checker, steps } => {
                write!(f, "replay of one {checker} schedule of {steps} steps")
            }
            Bound::Runs { value } => write!(f, "{value} runs on real threads"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notifier_core::violation::Cause;
    use notifier_core::{Op, ViolationKind};

    /// What a child sends its parent comes back exactly, floats included. Without serde_json's
    /// `float_roundtrip`, about one `Duration::as_secs_f64` in 18 came back different (the
    /// second below, 2.7778914820000002 s, came back as 2.777891482), and a test comparing a
    /// child's outcome with the one it printed failed on some runs. The cause, an event's
    /// caller and the sleeping-lock events come back too.
    #[test]
    fn an_outcome_round_trips_exactly_through_json() {
        let trace = vec![
            TraceEvent {
                step: 0,
                thread: "U".to_string(),
                function: "mmdrop".to_string(),
                site: "mmdrop".to_string(),
                caller: "mmu_notifier_unregister".to_string(),
                op: Op::LockAcquired {
                    obj: "driver".to_string(),
                    lock: "lock".to_string(),
                    call: "mutex_lock".to_string(),
                },
            },
            TraceEvent {
                step: 1,
                thread: "E".to_string(),
                function: "__mmu_notifier_release".to_string(),
                site: "hlist_del_init_rcu".to_string(),
                caller: String::new(),
                op: Op::Access {
                    obj: "notifier A".to_string(),
                    field: "hlist.pprev".to_string(),
                    write: true,
                },
            },
        ];
        let violation = Violation {
            kind: ViolationKind::UseAfterFree,
            object: Some("notifier A".to_string()),
            function: "__mmu_notifier_release".to_string(),
            site: "hlist_del_init_rcu".to_string(),
            thread: "E".to_string(),
            step: Some(1),
            message: "an access to a freed object".to_string(),
            cause: Some(Cause {
                what: "kfree notifier A".to_string(),
                thread: "G".to_string(),
                function: "mmdrop".to_string(),
                caller: "mmu_notifier_unregister".to_string(),
                site: "mmdrop".to_string(),
                step: Some(0),
                detail: String::new(),
            }),
        };
        let replay: CheckerReplay = "loom/pb=3/exec=7/use-after-free@1/in=__mmu_notifier_release/at=hlist_del_init_rcu/of=notifier+A"
            .parse()
            .unwrap();
        let timed = |secs, nanos| std::time::Duration::new(secs, nanos).as_secs_f64();
        for seconds in [
            timed(1, 356_709_069),
            timed(2, 777_891_482),
            timed(3, 542_505_810),
            0.1 + 0.2,
            f64::MIN_POSITIVE,
        ] {
            let outcome = Outcome {
                observed: Verdict::Violation,
                violation: Some(violation.clone()),
                executions: 7,
                bound: Bound::Preemption { value: 3 },
                seconds,
                trace: trace.clone(),
                replay: Some(replay.clone()),
                divergence: None,
                distinct_traces: None,
            };
            let json = serde_json::to_string(&outcome).unwrap();
            assert_eq!(
                serde_json::from_str::<Outcome>(&json).unwrap(),
                outcome,
                "{json}"
            );
        }
    }

    #[test]
    fn bounds_are_tagged_values() {
        for (bound, json) in [
            (Bound::Exhaustive, r#"{"kind":"exhaustive"}"#),
            (
                Bound::Preemption { value: 3 },
                r#"{"kind":"preemption","value":3}"#,
            ),
            (
                Bound::Iterations {
                    value: 2000,
                    seed: 1,
                    pct_depth: Some(3),
                },
                r#"{"kind":"iterations","value":2000,"seed":1,"pct_depth":3}"#,
            ),
            (
                Bound::Iterations {
                    value: 300,
                    seed: 5,
                    pct_depth: None,
                },
                r#"{"kind":"iterations","value":300,"seed":5}"#,
            ),
            (
                Bound::LoomReplay {
                    preemption_bound: None,
                    execution: 13,
                },
                r#"{"kind":"loom-replay","preemption_bound":null,"execution":13}"#,
            ),
            (
                Bound::ScheduleReplay {
                    checker: CheckerKind::ShuttlePct,
                    steps: 61,
                },
                r#"{"kind":"schedule-replay","checker":"shuttle-pct","steps":61}"#,
            ),
        ] {
            assert_eq!(serde_json::to_string(&bound).unwrap(), json);
            assert_eq!(serde_json::from_str::<Bound>(json).unwrap(), bound);
        }
    }
}
