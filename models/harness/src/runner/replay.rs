//! Replays: the checker's part of a replay token, and whether a replay found the failure again.
//!
//! A [`CheckerReplay`] is a readable string with two parts, `<path>/<failure>`:
//! - the path finds the failing execution again:
//!   - `loom/pb=<N>/exec=<E>` or `loom/unbounded/exec=<E>`: loom's exploration is
//!     deterministic, so the replay runs the same exploration (same bound) up to execution `E`;
//!   - `shuttle-random/<schedule>` or `shuttle-pct/<schedule>`: the failing execution's
//!     schedule, as shuttle's own serializer encodes it (hex, one line), followed step by step;
//! - the failure is what that execution must show ([`Signature`]):
//!   `use-after-free@67/in=__mmu_notifier_release/at=hlist_del_init_rcu/of=notifier+A`.
//!
//! [`judge`] says what a replay showed: *reproduced* (the same violation — kind, object,
//! function, site and step — where the token says), *not reproduced* (the execution was found
//! again and showed something else), or *diverged* (the execution could not be followed: a
//! scheduled task was not runnable, the schedule ran out or had steps left over, or loom's
//! exploration has no such execution).

use super::hook;
use crate::check::{CheckerKind, MAX_PREEMPTION_BOUND};
use crate::outcome::{Bound, Outcome};
use notifier_core::{Violation, ViolationKind};
use serde::de::IntoDeserializer;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use shuttle_engine::scheduler::serialization::{deserialize_schedule, serialize_schedule};
use shuttle_engine::scheduler::Schedule;
use std::fmt;
use std::str::FromStr;

/// How one checker finds a failing execution again, and what that execution showed.
/// Serialised as its string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckerReplay {
    /// How the checker finds the execution.
    pub path: ReplayPath,
    /// What the execution showed.
    pub failure: Signature,
}

/// How a checker finds one execution again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayPath {
    /// Run loom's exploration again with `preemption_bound` (`None`: unbounded) up to execution
    /// number `execution` (counted from 1).
    Loom {
        /// loom's preemption bound (at most [`MAX_PREEMPTION_BOUND`]).
        preemption_bound: Option<usize>,
        /// The execution's number.
        execution: u64,
    },
    /// Run one shuttle execution that follows `schedule`.
    Shuttle {
        /// The shuttle checker that recorded it (`shuttle-random` or `shuttle-pct`).
        checker: CheckerKind,
        /// The schedule, encoded by shuttle's serializer (lower-case hex, no line breaks).
        schedule: String,
    },
}

/// What identifies a violation: its kind, where it was reported (the violating event's step,
/// the kernel function and the innermost operation) and the object it concerns. Its string is
/// `<kind>[@<step>][/in=<function>][/at=<site>][/of=<object>]`, the names with spaces as `+`
/// and any character but letters, digits, `_`, `.` and `-` percent-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The violation's kind.
    pub kind: ViolationKind,
    /// The violating event's index in the trace (`None`: an access loom stopped before it
    /// was recorded).
    pub step: Option<usize>,
    /// The kernel entry point the violating thread was in.
    pub function: String,
    /// The innermost modelled operation.
    pub site: String,
    /// The object concerned.
    pub object: Option<String>,
}

impl Signature {
    /// The signature of `v`.
    pub fn of(v: &Violation) -> Self {
        Signature {
            kind: v.kind,
            step: v.step,
            function: v.function.clone(),
            site: v.site.clone(),
            object: v.object.clone(),
        }
    }

    /// Whether `v` is this violation.
    pub fn matches(&self, v: &Violation) -> bool {
        *self == Signature::of(v)
    }
}

/// Where a replay stopped following its schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    /// shuttle: the index of the schedule step that could not be followed; loom: the number
    /// of the execution the exploration did not reach.
    pub step: u64,
    /// Why, in words.
    pub reason: String,
}

/// What a replay showed. In JSON, tagged by `kind`: `{"kind": "reproduced"}`,
/// `{"kind": "not-reproduced", "reason": "..."}`,
/// `{"kind": "diverged", "step": 12, "reason": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ReplayVerdict {
    /// The execution was found again and showed the token's violation, at the same step.
    Reproduced,
    /// The execution was found again (its schedule was followed to its end, or loom reached
    /// it) and showed something else.
    NotReproduced {
        /// What it showed instead.
        reason: String,
    },
    /// The execution could not be followed: the token does not fit this model.
    Diverged {
        /// See [`Divergence::step`].
        step: u64,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for ReplayVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayVerdict::Reproduced => f.write_str("reproduced"),
            ReplayVerdict::NotReproduced { reason } => write!(f, "NOT reproduced: {reason}"),
            ReplayVerdict::Diverged { step, reason } => {
                write!(f, "DIVERGED at step {step}: {reason}")
            }
        }
    }
}

/// What the replay of `replay` showed, given its outcome.
pub fn judge(replay: &CheckerReplay, outcome: &Outcome) -> ReplayVerdict {
    if let Some(d) = &outcome.divergence {
        return ReplayVerdict::Diverged {
            step: d.step,
            reason: d.reason.clone(),
        };
    }
    let expected = &replay.failure;
    match &replay.path {
        ReplayPath::Loom { execution, .. } => {
            let Some(v) = &outcome.violation else {
                if outcome.executions < *execution {
                    return ReplayVerdict::Diverged {
                        step: outcome.executions + 1,
                        reason: format!(
                            "the exploration has {} executions and no failure; the token names \
                             execution {execution}",
                            outcome.executions
                        ),
                    };
                }
                return ReplayVerdict::NotReproduced {
                    reason: format!("execution {execution} ran and violated nothing"),
                };
            };
            if outcome.executions != *execution {
                return ReplayVerdict::NotReproduced {
                    reason: format!(
                        "the first failure is at execution {} ({}), the token's is at execution \
                         {execution}",
                        outcome.executions,
                        Signature::of(v).describe()
                    ),
                };
            }
            compare(expected, v)
        }
        ReplayPath::Shuttle { schedule, .. } => {
            let Some(v) = &outcome.violation else {
                return ReplayVerdict::NotReproduced {
                    reason: "the execution followed its schedule to the end and violated \
                             nothing"
                        .to_string(),
                };
            };
            // Followed step by step (no divergence), the recorded schedule is a prefix of the
            // token's: a shorter one stopped with steps of the schedule left over.
            let ran = match outcome.replay.as_ref().map(|r| &r.path) {
                Some(ReplayPath::Shuttle { schedule: ran, .. }) => steps_of(ran),
                _ => 0,
            };
            let token = steps_of(schedule);
            if ran != token {
                return ReplayVerdict::Diverged {
                    step: ran as u64,
                    reason: format!(
                        "the execution failed after {ran} of the schedule's {token} steps, with \
                         {}",
                        Signature::of(v).describe()
                    ),
                };
            }
            compare(expected, v)
        }
    }
}

fn compare(expected: &Signature, v: &Violation) -> ReplayVerdict {
    if expected.matches(v) {
        ReplayVerdict::Reproduced
    } else {
        ReplayVerdict::NotReproduced {
            reason: format!(
                "it failed with {}; the token's failure is {}",
                Signature::of(v).describe(),
                expected.describe()
            ),
        }
    }
}

/// The number of steps of an encoded schedule (0 if it does not decode).
fn steps_of(encoded: &str) -> usize {
    decode_schedule(encoded).map_or(0, |s| s.len())
}

impl CheckerReplay {
    /// The checker this replay runs.
    pub fn checker(&self) -> CheckerKind {
        match &self.path {
            ReplayPath::Loom { .. } => CheckerKind::Loom,
            ReplayPath::Shuttle { checker, .. } => *checker,
        }
    }

    /// The bound of the replay's run.
    pub fn bound(&self) -> Bound {
        match &self.path {
            ReplayPath::Loom {
                preemption_bound,
                execution,
            } => Bound::LoomReplay {
                preemption_bound: *preemption_bound,
                execution: *execution,
            },
            ReplayPath::Shuttle { checker, schedule } => Bound::ScheduleReplay {
                checker: *checker,
                steps: steps_of(schedule),
            },
        }
    }

    /// The decoded shuttle schedule (`None` for loom).
    pub(crate) fn schedule(&self) -> Option<Schedule> {
        match &self.path {
            ReplayPath::Loom { .. } => None,
            // Validated when the token was made or parsed.
            ReplayPath::Shuttle { schedule, .. } => decode_schedule(schedule).ok(),
        }
    }

    /// The replay with a long schedule abbreviated, for headings (not for replaying).
    pub fn short(&self) -> String {
        match &self.path {
            ReplayPath::Shuttle { checker, schedule } => {
                format!("{checker}/{}/{}", abbreviate(schedule), self.failure)
            }
            ReplayPath::Loom { .. } => self.to_string(),
        }
    }
}

impl fmt::Display for ReplayPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayPath::Loom {
                preemption_bound: Some(pb),
                execution,
            } => write!(f, "loom/pb={pb}/exec={execution}"),
            ReplayPath::Loom {
                preemption_bound: None,
                execution,
            } => write!(f, "loom/unbounded/exec={execution}"),
            ReplayPath::Shuttle { checker, schedule } => write!(f, "{checker}/{schedule}"),
        }
    }
}

impl fmt::Display for CheckerReplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.path, self.failure)
    }
}

impl FromStr for CheckerReplay {
    type Err = String;

    /// Parses `loom/pb=N/exec=E/<failure>`, `loom/unbounded/exec=E/<failure>` or
    /// `shuttle-{random,pct}/<schedule>/<failure>`.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.split('/');
        let checker = parts.next().unwrap_or_default();
        let checker = checker.parse::<CheckerKind>()?;
        let path = match checker {
            CheckerKind::Loom => parse_loom(parts.next(), parts.next())?,
            checker => {
                let schedule = parts.next().ok_or_else(|| {
                    format!("'{}' has no schedule after '{checker}/'", abbreviate(s))
                })?;
                decode_schedule(schedule)?;
                ReplayPath::Shuttle {
                    checker,
                    schedule: schedule.to_string(),
                }
            }
        };
        let rest: Vec<&str> = parts.collect();
        if rest.is_empty() {
            return Err(format!(
                "'{}' has no failure part: expected .../<kind>@<step>/in=<function>/...",
                abbreviate(s)
            ));
        }
        let failure = rest.join("/").parse()?;
        Ok(CheckerReplay { path, failure })
    }
}

fn parse_loom(bound: Option<&str>, exec: Option<&str>) -> Result<ReplayPath, String> {
    let usage = "a loom replay is loom/pb=<N>/exec=<E>/... or loom/unbounded/exec=<E>/...";
    let (Some(bound), Some(exec)) = (bound, exec) else {
        return Err(usage.to_string());
    };
    let preemption_bound = match bound {
        "unbounded" => None,
        b => Some(
            b.strip_prefix("pb=")
                .and_then(canonical_number::<usize>)
                .filter(|&pb| pb <= MAX_PREEMPTION_BOUND)
                .ok_or_else(|| {
                    format!(
                        "'{bound}' is not a loom bound (pb=0 to pb={MAX_PREEMPTION_BOUND}): \
                         {usage}"
                    )
                })?,
        ),
    };
    let execution = exec
        .strip_prefix("exec=")
        .and_then(canonical_number::<u64>)
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("'{exec}' is not an execution number: {usage}"))?;
    Ok(ReplayPath::Loom {
        preemption_bound,
        execution,
    })
}

/// A decimal number written as `to_string` writes it (no sign, no leading zeros).
fn canonical_number<N: FromStr + ToString>(s: &str) -> Option<N> {
    s.parse::<N>().ok().filter(|n| n.to_string() == s)
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(step) = self.step {
            write!(f, "@{step}")?;
        }
        if !self.function.is_empty() {
            write!(f, "/in={}", encode(&self.function))?;
        }
        if !self.site.is_empty() {
            write!(f, "/at={}", encode(&self.site))?;
        }
        if let Some(o) = &self.object {
            write!(f, "/of={}", encode(o))?;
        }
        Ok(())
    }
}

impl Signature {
    /// In words: `use-after-free of notifier A in __mmu_notifier_release (hlist_del_init_rcu)
    /// at step 67`.
    pub fn describe(&self) -> String {
        let mut s = self.kind.to_string();
        if let Some(o) = &self.object {
            s.push_str(&format!(" of {o}"));
        }
        if !self.function.is_empty() {
            s.push_str(&format!(" in {}", self.function));
        }
        if !self.site.is_empty() && self.site != self.function {
            s.push_str(&format!(" ({})", self.site));
        }
        match self.step {
            Some(step) => s.push_str(&format!(" at step {step}")),
            None => s.push_str(" (an access not recorded in the trace)"),
        }
        s
    }
}

impl FromStr for Signature {
    type Err = String;

    /// Parses what [`Signature`]'s `Display` writes, and nothing else.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = |why: String| format!("'{s}' is not a failure (<kind>@<step>/in=...): {why}");
        let mut parts = s.split('/');
        let head = parts.next().unwrap_or_default();
        let (kind, step) = match head.split_once('@') {
            Some((kind, step)) => {
                let step = canonical_number::<usize>(step)
                    .ok_or_else(|| bad(format!("'{step}' is not a step number")))?;
                (kind, Some(step))
            }
            None => (head, None),
        };
        let kind = ViolationKind::deserialize(kind.into_deserializer())
            .map_err(|e: serde::de::value::Error| bad(e.to_string()))?;
        let mut signature = Signature {
            kind,
            step,
            function: String::new(),
            site: String::new(),
            object: None,
        };
        // The keys in the order `Display` writes them, each at most once.
        let mut keys = ["in", "at", "of"].into_iter();
        for part in parts {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| bad(format!("'{part}' is not in=, at= or of=")))?;
            if !keys.any(|k| k == key) {
                return Err(bad(format!(
                    "'{key}=' is unknown, repeated or out of order (in=, at=, of=)"
                )));
            }
            let value = decode(value).map_err(&bad)?;
            match key {
                "in" | "at" if value.is_empty() => {
                    return Err(bad(format!("'{key}=' is empty")));
                }
                "in" => signature.function = value,
                "at" => signature.site = value,
                _ => signature.object = Some(value),
            }
        }
        Ok(signature)
    }
}

/// A name as a token writes it: letters, digits, `_`, `.` and `-` as they are, a space as
/// `+`, every other byte as `%XX` (upper-case hex).
fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        match b {
            b' ' => out.push('+'),
            b if b.is_ascii_alphanumeric() || b"_.-".contains(&b) => out.push(char::from(b)),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The name `encode` wrote as `s`; anything `encode` would not have written is refused.
fn decode(s: &str) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut rest = s.bytes();
    while let Some(b) = rest.next() {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex: Vec<u8> = rest.by_ref().take(2).collect();
                let byte = std::str::from_utf8(&hex)
                    .ok()
                    .filter(|h| h.len() == 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("'{s}' has a malformed %-escape"))?;
                bytes.push(byte);
            }
            b => bytes.push(b),
        }
    }
    let name = String::from_utf8(bytes).map_err(|_| format!("'{s}' is not UTF-8"))?;
    if encode(&name) != s {
        return Err(format!("'{s}' is not written as a token writes it"));
    }
    Ok(name)
}

impl Serialize for CheckerReplay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CheckerReplay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Decodes a schedule encoded by shuttle's serializer, rejecting anything it would not have
/// produced. shuttle's decoder panics on some malformed input, so it runs under
/// [`hook::quietly`]; the result is encoded again and must give back the input.
pub(crate) fn decode_schedule(encoded: &str) -> Result<Schedule, String> {
    let bad = |why: &str| format!("'{}' is not a shuttle schedule: {why}", abbreviate(encoded));
    if encoded.is_empty() {
        return Err(bad("it is empty"));
    }
    let hex_bytes = encoded.as_bytes().chunks(2);
    if !hex_bytes.clone().all(|pair| {
        pair.len() == 2
            && pair
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    }) {
        return Err(bad("a schedule is an even number of lower-case hex digits"));
    }
    let schedule = hook::quietly(|| deserialize_schedule(encoded))
        .flatten()
        .ok_or_else(|| bad("it does not decode"))?;
    if encode_schedule(&schedule) != encoded {
        return Err(bad("it has bytes past the end of the schedule"));
    }
    Ok(schedule)
}

/// A schedule as tokens write it: shuttle's serializer, on one line.
pub(crate) fn encode_schedule(schedule: &Schedule) -> String {
    serialize_schedule(schedule).replace('\n', "")
}

/// `s`, or its first characters and its length when it is long (a livelock's schedule runs to
/// thousands of characters). Hidden: the CLI's headings use it.
#[doc(hidden)]
pub fn abbreviate(s: &str) -> String {
    const KEEP: usize = 48;
    match s.char_indices().nth(KEEP) {
        Some((end, _)) => format!("{}… ({} characters)", &s[..end], s.chars().count()),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kinds() -> impl Strategy<Value = ViolationKind> {
        prop::sample::select(vec![
            ViolationKind::UseAfterFree,
            ViolationKind::DoubleFree,
            ViolationKind::Leak,
            ViolationKind::DataRace,
            ViolationKind::GracePeriod,
            ViolationKind::EarlyCallback,
            ViolationKind::EarlyBarrier,
            ViolationKind::Contract,
            ViolationKind::CallAfterUnload,
            ViolationKind::Deadlock,
            ViolationKind::Panic,
        ])
    }

    fn signatures() -> impl Strategy<Value = Signature> {
        (
            kinds(),
            proptest::option::of(any::<usize>()),
            ".*",
            ".*",
            proptest::option::of(".*"),
        )
            .prop_map(|(kind, step, function, site, object)| Signature {
                kind,
                step,
                function,
                site,
                object,
            })
    }

    proptest! {
        /// Replay rejects nothing it produced: every signature, whatever its names, reads back
        /// as itself.
        #[test]
        fn every_signature_round_trips(sig in signatures()) {
            let text = sig.to_string();
            prop_assert_eq!(text.parse::<Signature>(), Ok(sig));
        }

        /// And every loom path with a bound loom accepts.
        #[test]
        fn every_loom_replay_round_trips(
            pb in proptest::option::of(0..=MAX_PREEMPTION_BOUND),
            execution in 1..u64::MAX,
            sig in signatures(),
        ) {
            let r = CheckerReplay {
                path: ReplayPath::Loom { preemption_bound: pb, execution },
                failure: sig,
            };
            prop_assert_eq!(r.to_string().parse::<CheckerReplay>(), Ok(r));
        }
    }

    fn schedules() -> impl Strategy<Value = Schedule> {
        (
            any::<u64>(),
            prop::collection::vec(proptest::option::of(0..8usize), 1..300),
        )
            .prop_map(|(seed, steps)| {
                let mut schedule = Schedule::new(seed);
                for step in steps {
                    match step {
                        Some(task) => schedule.push_task(task.into()),
                        None => schedule.push_random(),
                    }
                }
                schedule
            })
    }

    proptest! {
        /// And every shuttle path the recording wrapper can write.
        #[test]
        fn every_shuttle_replay_round_trips(schedule in schedules(), sig in signatures()) {
            let r = CheckerReplay {
                path: ReplayPath::Shuttle {
                    checker: CheckerKind::ShuttlePct,
                    schedule: encode_schedule(&schedule),
                },
                failure: sig,
            };
            let back = r.to_string().parse::<CheckerReplay>();
            prop_assert_eq!(back.as_ref(), Ok(&r));
            prop_assert_eq!(back.unwrap().schedule().map(|s| s.len()), Some(schedule.len()));
        }
    }

    #[test]
    fn a_signature_reads_as_a_person_would_write_it() {
        let sig = Signature {
            kind: ViolationKind::UseAfterFree,
            step: Some(67),
            function: "__mmu_notifier_release".to_string(),
            site: "hlist_del_init_rcu".to_string(),
            object: Some("notifier A".to_string()),
        };
        assert_eq!(
            sig.to_string(),
            "use-after-free@67/in=__mmu_notifier_release/at=hlist_del_init_rcu/of=notifier+A"
        );
    }

    #[test]
    fn what_a_token_never_holds_is_refused() {
        for bad in [
            "loom/pb=2/exec=7",                // no failure part
            "loom/pb=256/exec=7/leak",         // beyond loom's bound
            "loom/pb=02/exec=7/leak",          // not canonical
            "loom/pb=2/exec=0/leak",           // executions count from 1
            "loom/pb=2/exec=7/leak@x",         // no step number
            "loom/pb=2/exec=7/leakage",        // no such kind
            "loom/pb=2/exec=7/leak/at=x/in=y", // out of order
            "loom/pb=2/exec=7/leak/in=x/in=y", // repeated
            "loom/pb=2/exec=7/leak/in=",       // empty function
            "loom/pb=2/exec=7/leak/of=a%2",    // malformed escape
            "loom/pb=2/exec=7/leak/of=a%20b",  // a space is written '+'
            "loom/pb=2/exec=7/leak/of=a b",    // not encoded
            "shuttle-pct/zz/leak",             // not a schedule
        ] {
            assert!(bad.parse::<CheckerReplay>().is_err(), "{bad} was accepted");
        }
    }
}
