//! What every generated table shares: numbers as the docs write them, text that can stand in
//! a Markdown table cell.

use notifier_core::Violation;

/// A violation in words: `use-after-free of notifier A in `mmu_notifier_unregister`
/// (`kfree`), thread U` (kind, object, function, site where it differs, thread).
pub fn violation_text(v: &Violation) -> String {
    let mut o = format!("{}", v.kind);
    if let Some(obj) = &v.object {
        o.push_str(&format!(" of {obj}"));
    }
    o.push_str(&format!(" in `{}`", v.function));
    if !v.site.is_empty() && v.site != v.function {
        o.push_str(&format!(" (`{}`)", v.site));
    }
    if !v.thread.is_empty() {
        o.push_str(&format!(", thread {}", v.thread));
    }
    o
}

/// Text that can stand in a Markdown table cell: `|` escaped, lines joined.
pub fn cell_text(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// `14985` as `14,985`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A Markdown table: the header, its alignment row (`---:` for the columns in `numeric`), the
/// rows; every cell made safe with [`cell_text`].
pub fn table(header: &[&str], numeric: &[usize], rows: &[Vec<String>]) -> String {
    let mut s = format!("| {} |\n|", header.join(" | "));
    for i in 0..header.len() {
        s.push_str(if numeric.contains(&i) {
            " ---: |"
        } else {
            " --- |"
        });
    }
    s.push('\n');
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| cell_text(c)).collect();
        s.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(6508), "6,508");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn a_table_escapes_its_cells() {
        assert_eq!(
            table(&["a", "n"], &[1], &[vec!["x|y".into(), "1,240".into()]]),
            "| a | n |\n| --- | ---: |\n| x\\|y | 1,240 |\n"
        );
    }
}
