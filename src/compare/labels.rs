//! Matching a data set's label text against the template's labels, ignoring case and
//! surrounding spaces (`Template::match_label` reads labels out of generated answers).

/// The form labels are compared in: trimmed and lower-cased.
pub fn normalize(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Index of the template label `raw` names, ignoring case and surrounding spaces.
pub fn match_label(raw: &str, labels: &[String]) -> Option<usize> {
    let n = normalize(raw);
    labels.iter().position(|l| normalize(l) == n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn data_labels_match_ignoring_case_and_spaces() {
        let l = labels(&["positive", "negative"]);
        assert_eq!(match_label("  POSITIVE ", &l), Some(0));
        assert_eq!(match_label("Negative", &l), Some(1));
        assert_eq!(match_label("neutral", &l), None);
        assert_eq!(match_label("pos", &l), None);
    }
}
