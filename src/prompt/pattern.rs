//! The `input` pattern: literal text with `{{variable}}` placeholders, parsed once at load time.

use std::collections::BTreeMap;

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Var(String),
}

/// A parsed `{{variable}}` pattern. Placeholder names are ASCII letters, digits and `_`, not
/// starting with a digit; spaces inside the braces are allowed (`{{ text }}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    pieces: Vec<Piece>,
}

impl Pattern {
    /// Parses `source`; the error says what is wrong with which placeholder.
    pub fn parse(source: &str) -> Result<Pattern, String> {
        let mut pieces = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                return Err(format!(
                    "`{{{{` at `{}` is never closed with `}}}}`",
                    excerpt(&rest[open..])
                ));
            };
            let name = after[..close].trim();
            if !valid_name(name) {
                return Err(format!(
                    "`{{{{{}}}}}` is not a valid variable name: use letters, digits and _",
                    &after[..close]
                ));
            }
            pieces.push(Piece::Var(name.to_string()));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        Ok(Pattern {
            source: source.to_string(),
            pieces,
        })
    }

    /// The text as written in the template.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Variable names in order of first appearance.
    pub fn variables(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in &self.pieces {
            if let Piece::Var(v) = p {
                if !out.contains(&v.as_str()) {
                    out.push(v);
                }
            }
        }
        out
    }

    /// The literal text before the first placeholder (e.g. `Review: `), used as a stop marker
    /// in completion mode so a base model does not write the next example itself.
    pub fn lead(&self) -> &str {
        match self.pieces.first() {
            Some(Piece::Text(t)) => t,
            _ => "",
        }
    }

    /// Fills the placeholders; the error is the first missing variable's name.
    pub fn fill(&self, vars: &BTreeMap<String, String>) -> Result<String, String> {
        let mut out = String::with_capacity(self.source.len() + 64);
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(v) => out.push_str(vars.get(v).ok_or_else(|| v.clone())?),
            }
        }
        Ok(out)
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn excerpt(s: &str) -> String {
    s.chars().take(20).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_fills() {
        let p = Pattern::parse("Q: {{ question }}\nPassage: {{passage}} ({{question}})").unwrap();
        assert_eq!(p.variables(), vec!["question", "passage"]);
        assert_eq!(p.lead(), "Q: ");
        let vars = BTreeMap::from([
            ("question".to_string(), "why".to_string()),
            ("passage".to_string(), "because".to_string()),
        ]);
        assert_eq!(p.fill(&vars).unwrap(), "Q: why\nPassage: because (why)");
        let missing = BTreeMap::from([("question".to_string(), "x".to_string())]);
        assert_eq!(p.fill(&missing).unwrap_err(), "passage");
    }

    #[test]
    fn rejects_bad_placeholders() {
        assert!(Pattern::parse("Review: {{text")
            .unwrap_err()
            .contains("never closed"));
        assert!(Pattern::parse("Review: {{1x}}")
            .unwrap_err()
            .contains("not a valid"));
        assert!(Pattern::parse("Review: {{}}")
            .unwrap_err()
            .contains("not a valid"));
        assert!(Pattern::parse("plain").unwrap().variables().is_empty());
    }
}
