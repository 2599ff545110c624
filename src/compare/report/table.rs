//! The text layout every report shares: an aligned plain-text table or a Markdown one, and
//! headings in either form.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;

use crate::text::sanitize;

/// A report's title: a Markdown `##` heading, or the plain line.
pub(super) fn heading(md: bool, s: &str) -> String {
    if md {
        format!("## {s}\n")
    } else {
        s.to_string()
    }
}

/// A section's title: a Markdown `###` heading, or a ruled line.
pub(super) fn subheading(md: bool, s: &str) -> String {
    if md {
        format!("### {s}\n")
    } else {
        format!("── {s} ──")
    }
}

/// An aligned plain-text table, or a Markdown one. Cells are sanitized and kept on one line.
pub fn table(head: &[String], rows: &[Vec<String>], md: bool) -> String {
    let clean = |s: &str| {
        let s = sanitize(s).replace(['\n', '\t'], " ");
        if md {
            s.replace('|', "\\|")
        } else {
            s
        }
    };
    let head: Vec<String> = head.iter().map(|h| clean(h)).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| clean(c)).collect())
        .collect();
    let mut out = String::new();
    if md {
        let _ = writeln!(out, "| {} |", head.join(" | "));
        let _ = writeln!(
            out,
            "|{}",
            head.iter()
                .enumerate()
                .map(|(i, _)| if i == 0 { "---|" } else { "---:|" })
                .collect::<String>()
        );
        for r in &rows {
            let _ = writeln!(out, "| {} |", r.join(" | "));
        }
        return out;
    }
    let widths: Vec<usize> = (0..head.len())
        .map(|c| {
            std::iter::once(&head)
                .chain(&rows)
                .filter_map(|r| r.get(c))
                .map(|s| s.width())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in std::iter::once(&head).chain(&rows) {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, s)| {
                let pad = " ".repeat(widths[c].saturating_sub(s.width()));
                // Numbers read best right-aligned; the first column is a name.
                if c == 0 {
                    format!("{s}{pad}")
                } else {
                    format!("{pad}{s}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}
