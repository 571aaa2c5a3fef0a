//! `--junit FILE`: the checks as JUnit XML, for CI systems that show test results (GitHub,
//! GitLab, Jenkins). It follows the Apache Ant JUnit schema (`JUnit.xsd`): a `<testsuites>`
//! root, one `<testsuite>` per scenario (with its `id`, `package`, `name`, `timestamp`,
//! `hostname`, `tests`, `failures`, `errors`, `time`, then `<properties>`, the test cases,
//! `<system-out>` and `<system-err>`), and one `<testcase>` per check (`name`, `classname`,
//! `time`). A check that did not observe what it expected is a `<failure>` whose text carries
//! the expectation, the violation, the trace and the replay command; a check whose process
//! crashed is an `<error>`. An expected counterexample is a passing test case; its trace and
//! replay command go to its suite's `<system-out>` (the schema has no output per test case).

use crate::report::Report;
use std::time::{SystemTime, UNIX_EPOCH};

/// The JUnit XML of `reports`, in the order given, one suite per scenario (kernel and
/// checker name the test case: `v3.16 loom`), stamped with `timestamp`
/// (`YYYY-MM-DDTHH:MM:SS`, UTC).
pub fn render(reports: &[Report], timestamp: &str) -> String {
    let mut suites: Vec<(&str, Vec<&Report>)> = Vec::new();
    for r in reports {
        match suites.iter_mut().find(|(s, _)| *s == r.scenario) {
            Some((_, list)) => list.push(r),
            None => suites.push((&r.scenario, vec![r])),
        }
    }
    let host = hostname();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (id, (scenario, checks)) in suites.iter().enumerate() {
        let failures = checks.iter().filter(|r| r.mismatched()).count();
        let errors = checks.iter().filter(|r| r.crashed()).count();
        let time: f64 = checks.iter().map(|r| r.observed.seconds).sum();
        x.push_str(&format!(
            "  <testsuite id=\"{id}\" package=\"notifier-check\" name=\"{}\" \
             timestamp=\"{timestamp}\" hostname=\"{}\" tests=\"{}\" failures=\"{failures}\" \
             errors=\"{errors}\" time=\"{time:.3}\">\n",
            attr(scenario),
            attr(&host),
            checks.len()
        ));
        x.push_str("    <properties>\n");
        x.push_str(&format!(
            "      <property name=\"schema_version\" value=\"{}\"/>\n",
            crate::record::SCHEMA_VERSION
        ));
        x.push_str("    </properties>\n");
        let mut out = String::new();
        for r in checks {
            x.push_str(&testcase(r));
            if r.matches && r.violation().is_some() {
                out.push_str(&format!(
                    "── {} (as expected)\n{}{}\n",
                    r.heading(),
                    r.explored(),
                    r.failure_details()
                ));
            }
        }
        x.push_str(&format!(
            "    <system-out>{}</system-out>\n    <system-err></system-err>\n",
            text(&out)
        ));
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// One `<testcase>`.
fn testcase(r: &Report) -> String {
    let mut name = format!("{} {}", r.kernel, r.checker);
    if let Some(p) = r.placements.release {
        name.push_str(&format!(" release={}", p.name()));
    }
    if let Some(p) = r.placements.unregister {
        name.push_str(&format!(" unregister={}", p.name()));
    }
    // Like the check's id: the SRCU only when it replaced the version's own (`srcu=spec`), so
    // a test case keeps its name from run to run (the SRCU each check ran on is in the
    // report's records and its "explored" line).
    if let Some(srcu) = r.chosen_srcu() {
        name.push_str(&format!(" srcu={srcu}"));
    }
    let open = format!(
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
        attr(&name),
        attr(&format!("notifier-check.{}", r.scenario)),
        r.observed.seconds
    );
    if r.matches {
        return format!("{open}/>\n");
    }
    let (element, kind, message) = if r.crashed() {
        (
            "error",
            "crashed",
            format!(
                "the check's process crashed: {}",
                r.observed
                    .crash
                    .as_ref()
                    .map_or(String::new(), |c| c.to_string())
            ),
        )
    } else {
        (
            "failure",
            "mismatch",
            format!(
                "expected {}, observed {}",
                r.expected_text(),
                r.violation()
                    .map_or(r.observed.verdict.to_string(), |v| v.to_string())
            ),
        )
    };
    // The expectation, what was explored, the violation, the trace and the replay command.
    let body = r.human();
    format!(
        "{open}>\n      <{element} type=\"{kind}\" message=\"{}\">{}</{element}>\n    </testcase>\n",
        attr(&message),
        text(&body)
    )
}

/// The current time as the schema's timestamp: `YYYY-MM-DDTHH:MM:SS` (UTC).
pub fn now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    timestamp(secs)
}

/// `secs` since the epoch as `YYYY-MM-DDTHH:MM:SS` (UTC).
fn timestamp(secs: u64) -> String {
    let days = secs / 86_400;
    let rest = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// The machine's name, or `localhost` (as the schema asks) when it is unknown.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// Escapes an attribute value.
fn attr(s: &str) -> String {
    text(s).replace('"', "&quot;").replace('\n', "&#10;")
}

/// Escapes text content; characters XML 1.0 cannot hold become `?`.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_the_schemas_pattern() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00");
        assert_eq!(timestamp(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(timestamp(1_767_225_599), "2025-12-31T23:59:59");
        assert_eq!(now().len(), 19);
    }

    #[test]
    fn text_and_attributes_are_escaped() {
        assert_eq!(attr("a<b & \"c\"\n"), "a&lt;b &amp; &quot;c&quot;&#10;");
        assert_eq!(text("x\u{1}y"), "x?y");
    }
}
