//! The text (or Markdown) report of `compare`: one input through every variant, a row per
//! variant with its prediction or stop reason, label probabilities and speed, then each reply.

use std::fmt::Write as _;

use super::table::{heading, subheading, table};
use super::Meta;
use crate::compare::single::CompareResult;
use crate::text::sanitize;

pub(super) fn compare_text(r: &CompareResult, meta: &Meta, md: bool) -> String {
    let mut out = String::new();
    let input = r
        .vars
        .iter()
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect::<Vec<_>>()
        .join(" ");
    let _ = writeln!(
        out,
        "{}",
        heading(md, &format!("{} · {} · {}", r.template, meta.model, input))
    );
    // Label columns only when some variant was scored (a classify template).
    let label_names: &[String] = if r.variants.iter().any(|v| v.labels.is_some()) {
        &r.labels
    } else {
        &[]
    };
    let classify = !r.labels.is_empty();
    let mut head = vec!["variant".to_string()];
    if classify {
        head.push("predicted".to_string());
    } else {
        head.push("status".to_string());
    }
    head.extend(label_names.iter().map(|l| format!("p({l})")));
    head.extend(
        ["prompt tok", "gen tok", "ttft ms", "tok/s", "mean logprob"]
            .iter()
            .map(|s| s.to_string()),
    );
    let mut rows = Vec::new();
    for v in &r.variants {
        let mut row = vec![
            v.name.clone(),
            match (&v.error, &v.predicted) {
                (Some(_), _) => "error".to_string(),
                (None, Some(p)) => p.clone(),
                (None, None) if classify => "-".to_string(),
                (None, None) => v
                    .stats
                    .as_ref()
                    .and_then(|s| serde_json::to_value(s.stop).ok())
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| "-".to_string()),
            },
        ];
        for l in label_names {
            row.push(
                v.labels
                    .as_ref()
                    .and_then(|ls| ls.iter().find(|x| &x.label == l))
                    .map(|x| format!("{:.3}", x.prob))
                    .unwrap_or_else(|| "-".into()),
            );
        }
        match &v.stats {
            Some(s) => row.extend([
                s.prompt_tokens.to_string(),
                s.generated_tokens.to_string(),
                format!("{:.0}", s.ttft_ms),
                // One token gives no rate to speak of; the engine reports 0 then.
                if s.gen_tps > 0.0 {
                    format!("{:.1}", s.gen_tps)
                } else {
                    "-".to_string()
                },
                format!("{:.3}", s.mean_logprob),
            ]),
            None => row.extend(std::iter::repeat_n("-".to_string(), 5)),
        }
        rows.push(row);
    }
    out.push_str(&table(&head, &rows, md));
    for v in &r.variants {
        out.push('\n');
        let _ = writeln!(out, "{}", subheading(md, &v.name));
        let body = match &v.error {
            Some(e) => format!("error: {e}"),
            None => v.text.trim().to_string(),
        };
        if md {
            for line in sanitize(&body).lines() {
                let _ = writeln!(out, "> {line}");
            }
        } else {
            let _ = writeln!(out, "{}", sanitize(&body));
        }
    }
    if r.cancelled {
        let _ = writeln!(out, "\n(stopped before the end: the texts are partial)");
    }
    out
}
