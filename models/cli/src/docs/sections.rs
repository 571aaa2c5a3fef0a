//! Generated sections inside hand-written Markdown: a table the docs generator owns, between
//! two marker comments, with the prose around it left as its authors wrote it.
//!
//! ```markdown
//! <!-- generated section bench-measurements: `notifier-check docs` writes it from the bench JSON; do not edit by hand -->
//! | ... the table ... |
//! <!-- end of generated section bench-measurements -->
//! ```

/// The start of a begin marker, followed by the section's name and a colon.
const BEGIN: &str = "<!-- generated section ";
/// The start of an end marker, followed by the section's name.
const END: &str = "<!-- end of generated section ";

/// One generated section of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Its name (`bench-measurements`).
    pub name: String,
    /// The line of its begin marker (1-based), for messages.
    pub line: usize,
    /// Its body: the text between the markers' lines.
    pub body: String,
}

/// The begin marker of section `name`, whose content comes from the `input` JSON.
pub fn begin(name: &str, input: &str) -> String {
    format!("{BEGIN}{name}: `notifier-check docs` writes it from the {input} JSON; do not edit by hand -->")
}

/// The end marker of section `name`.
pub fn end(name: &str) -> String {
    format!("{END}{name} -->")
}

/// Tells, line by line, whether a line is inside a fenced code block (a marker there is an
/// example, not a section).
#[derive(Debug, Default)]
struct Fences {
    open: bool,
}

impl Fences {
    /// Whether `line` is code: inside a fence, or a fence itself.
    fn code(&mut self, line: &str) -> bool {
        if line.trim_start().starts_with("```") {
            self.open = !self.open;
            return true;
        }
        self.open
    }
}

/// The generated sections of `text`, in order (marker comments inside fenced code blocks are
/// examples, not sections). A begin marker without its end, an end without its begin, or one
/// section inside another is an error naming the line.
pub fn find(text: &str) -> Result<Vec<Section>, String> {
    let mut sections = Vec::new();
    let mut open: Option<(String, usize, String)> = None;
    let mut fences = Fences::default();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if open.is_none() && fences.code(line) {
            continue;
        }
        if let Some(rest) = line.trim_start().strip_prefix(BEGIN) {
            let name = rest.split(':').next().unwrap_or("").trim().to_string();
            if name.is_empty() || name.contains(' ') {
                return Err(format!(
                    "line {n}: a generated-section marker without a name"
                ));
            }
            if let Some((other, at, _)) = &open {
                return Err(format!(
                    "line {n}: section {name} begins inside section {other} (line {at}), \
                     which has no end marker"
                ));
            }
            open = Some((name, n, String::new()));
        } else if let Some(rest) = line.trim_start().strip_prefix(END) {
            let name = rest.trim_end().trim_end_matches("-->").trim();
            match open.take() {
                Some((begun, at, body)) if begun == name => sections.push(Section {
                    name: begun,
                    line: at,
                    body,
                }),
                Some((begun, at, _)) => {
                    return Err(format!(
                        "line {n}: the end of section {name} closes section {begun} (line {at})"
                    ))
                }
                None => return Err(format!("line {n}: the end of section {name}, never begun")),
            }
        } else if let Some((_, _, body)) = &mut open {
            body.push_str(line);
            body.push('\n');
        }
    }
    match open {
        Some((name, at, _)) => Err(format!(
            "line {at}: section {name} has no end marker ({})",
            end(&name)
        )),
        None => Ok(sections),
    }
}

/// `text` with the body of every section named `name` replaced by `body` (which ends with a
/// newline). The markers and everything outside them stay as they are.
pub fn replace(text: &str, name: &str, body: &str) -> String {
    let mut out = String::with_capacity(text.len() + body.len());
    let mut inside = false;
    let mut fences = Fences::default();
    for line in text.split_inclusive('\n') {
        if !inside && fences.code(line) {
            out.push_str(line);
            continue;
        }
        let trimmed = line.trim_start();
        let begins = trimmed
            .strip_prefix(BEGIN)
            .is_some_and(|r| r.split(':').next().map(str::trim) == Some(name));
        let ends = trimmed
            .strip_prefix(END)
            .is_some_and(|r| r.trim_end().trim_end_matches("-->").trim() == name);
        if begins {
            inside = true;
            out.push_str(line);
            out.push_str(body);
        } else if ends {
            inside = false;
            out.push_str(line);
        } else if !inside {
            out.push_str(line);
        }
    }
    out
}

/// Where `committed` and `generated` first differ, as a few `-`/`+` lines (the committed and
/// the generated text), numbered from `first_line`.
pub fn difference(committed: &str, generated: &str, first_line: usize) -> String {
    let old: Vec<&str> = committed.lines().collect();
    let new: Vec<&str> = generated.lines().collect();
    let same_start = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let same_end = old[same_start..]
        .iter()
        .rev()
        .zip(new[same_start..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    const SHOWN: usize = 3;
    let mut s = format!("  at line {}:\n", first_line + same_start);
    let removed = &old[same_start..old.len() - same_end];
    let added = &new[same_start..new.len() - same_end];
    for (mark, lines) in [("-", removed), ("+", added)] {
        for l in lines.iter().take(SHOWN) {
            s.push_str(format!("  {mark} {l}").trim_end());
            s.push('\n');
        }
        if lines.len() > SHOWN {
            s.push_str(&format!(
                "  {mark} ... {} more lines\n",
                lines.len() - SHOWN
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(body: &str) -> String {
        format!(
            "# Title\n\nProse before.\n{}\n{body}{}\nProse after.\n",
            begin("t", "bench"),
            end("t")
        )
    }

    #[test]
    fn a_section_is_found_and_replaced_with_the_prose_kept() {
        let text = doc("| old |\n");
        let found = find(&text).unwrap();
        assert_eq!(
            found,
            [Section {
                name: "t".into(),
                line: 4,
                body: "| old |\n".into()
            }]
        );
        let new = replace(&text, "t", "| new |\n| rows |\n");
        assert_eq!(new, doc("| new |\n| rows |\n"));
        assert_eq!(replace(&text, "other", "x\n"), text);
    }

    #[test]
    fn markers_in_a_code_block_are_an_example() {
        let example = format!("```markdown\n{}\n{}\n```\n", begin("t", "bench"), end("t"));
        let text = format!("{example}{}", doc("| old |\n"));
        let found = find(&text).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 8);
        assert_eq!(
            replace(&text, "t", "| new |\n"),
            format!("{example}{}", doc("| new |\n"))
        );
    }

    #[test]
    fn broken_markers_are_named_by_line() {
        let unterminated = format!("a\n{}\nbody\n", begin("t", "bench"));
        assert_eq!(
            find(&unterminated).unwrap_err(),
            format!("line 2: section t has no end marker ({})", end("t"))
        );
        let stray = format!("a\n{}\n", end("t"));
        assert_eq!(
            find(&stray).unwrap_err(),
            "line 2: the end of section t, never begun"
        );
        let crossed = format!("{}\n{}\n", begin("a", "bench"), end("b"));
        assert_eq!(
            find(&crossed).unwrap_err(),
            "line 2: the end of section b closes section a (line 1)"
        );
    }

    #[test]
    fn a_difference_shows_the_first_changed_lines() {
        let d = difference("a\nb\nc\nd\n", "a\nB\nc\nd\n", 10);
        assert_eq!(d, "  at line 11:\n  - b\n  + B\n");
        let grown = difference("a\n", "a\n1\n2\n3\n4\n5\n", 1);
        assert_eq!(
            grown,
            "  at line 2:\n  + 1\n  + 2\n  + 3\n  + ... 2 more lines\n"
        );
    }
}
