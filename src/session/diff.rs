//! Word-level comparison of a recorded and a replayed reply: the spans a side-by-side view
//! colours, and where the two first part.

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

/// One run of text that is in both, only the recorded, or only the replayed reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub kind: SpanKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    Equal,
    /// Only in the recorded reply.
    Removed,
    /// Only in the replayed reply.
    Added,
}

/// Word diff (words and the whitespace between them are the units). Adjacent spans of one kind
/// are merged, and a change that only pauses for a space is kept as one removed and one added
/// span, which reads far better than word-by-word alternation.
pub fn word_diff(recorded: &str, replayed: &str) -> Vec<Span> {
    coalesce(raw_diff(recorded, replayed))
}

fn raw_diff(recorded: &str, replayed: &str) -> Vec<Span> {
    let diff = TextDiff::from_words(recorded, replayed);
    let mut out: Vec<Span> = Vec::new();
    for change in diff.iter_all_changes() {
        let kind = match change.tag() {
            ChangeTag::Equal => SpanKind::Equal,
            ChangeTag::Delete => SpanKind::Removed,
            ChangeTag::Insert => SpanKind::Added,
        };
        match out.last_mut() {
            Some(last) if last.kind == kind => last.text.push_str(change.value()),
            _ => out.push(Span {
                kind,
                text: change.value().to_string(),
            }),
        }
    }
    out
}

fn coalesce(spans: Vec<Span>) -> Vec<Span> {
    let mut out = Vec::new();
    let (mut removed, mut added) = (String::new(), String::new());
    for (i, s) in spans.iter().enumerate() {
        let in_change = !removed.is_empty() || !added.is_empty();
        let change_follows = spans.get(i + 1).is_some_and(|n| n.kind != SpanKind::Equal);
        match s.kind {
            SpanKind::Removed => removed.push_str(&s.text),
            SpanKind::Added => added.push_str(&s.text),
            SpanKind::Equal if in_change && change_follows && s.text.trim().is_empty() => {
                removed.push_str(&s.text);
                added.push_str(&s.text);
            }
            SpanKind::Equal => {
                flush(&mut out, &mut removed, &mut added);
                out.push(s.clone());
            }
        }
    }
    flush(&mut out, &mut removed, &mut added);
    out
}

fn flush(out: &mut Vec<Span>, removed: &mut String, added: &mut String) {
    for (kind, text) in [(SpanKind::Removed, removed), (SpanKind::Added, added)] {
        if !text.is_empty() {
            out.push(Span {
                kind,
                text: std::mem::take(text),
            });
        }
    }
}

/// Byte length of the longest common prefix, on a character boundary.
pub fn common_prefix_len(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map(|((i, _), _)| i)
        .unwrap_or_else(|| a.len().min(b.len()))
}

/// Index (0-based) of the word that contains byte `at` of `text`: the number of whitespace-
/// separated words that end before it.
pub fn word_index_at(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    let head = &text[..floor_char_boundary(text, at)];
    let words = head.split_whitespace().count();
    // A word cut by `at` is the word at `at`, not one before it; a cut just before a space
    // means the next word is the first that differs.
    let next_is_space = text[head.len()..].starts_with(char::is_whitespace);
    if head.ends_with(|c: char| !c.is_whitespace()) && words > 0 && !next_is_space {
        words - 1
    } else {
        words
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_diff_marks_changed_words() {
        let d = word_diff("the cat sat down", "the dog sat down");
        let removed: Vec<&str> = d
            .iter()
            .filter(|s| s.kind == SpanKind::Removed)
            .map(|s| s.text.as_str())
            .collect();
        let added: Vec<&str> = d
            .iter()
            .filter(|s| s.kind == SpanKind::Added)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(removed, ["cat"]);
        assert_eq!(added, ["dog"]);
        assert_eq!(
            d[0],
            Span {
                kind: SpanKind::Equal,
                text: "the ".into()
            }
        );
        assert!(word_diff("same", "same")
            .iter()
            .all(|s| s.kind == SpanKind::Equal));
    }

    #[test]
    fn divergence_positions() {
        assert_eq!(common_prefix_len("héllo world", "héllo there"), 7);
        assert_eq!(common_prefix_len("abc", "abcdef"), 3);
        let t = "the cat sat";
        assert_eq!(word_index_at(t, 0), 0);
        assert_eq!(word_index_at(t, 4), 1);
        assert_eq!(word_index_at(t, 5), 1);
        assert_eq!(word_index_at(t, 7), 2);
        assert_eq!(word_index_at(t, 8), 2);
        assert_eq!(word_index_at(t, 11), 2);
        assert_eq!(word_index_at("the cat ", 8), 2);
    }
}
