//! Removal of control characters and terminal escape sequences from untrusted text (model
//! output, GGUF metadata, imported files) before it reaches a terminal or a file.
//!
//! Keeps `\n` and `\t`; drops every other C0 control, DEL, C1 controls (U+0080..U+009F) and
//! whole escape sequences (CSI `ESC [ … final`, OSC/DCS/APC/PM/SOS strings up to BEL or ST, and
//! two-character `ESC x` sequences). The stream form keeps its state between pieces, so a
//! sequence split across tokens is removed whole.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Text,
    /// Just saw ESC (or 8-bit CSI-like introducers handled as ESC).
    Escape,
    /// Inside `ESC [` … waiting for a final byte in 0x40..=0x7E.
    Csi,
    /// Inside a string sequence (OSC, DCS, …) until BEL or ESC \.
    Str,
    /// Inside a string sequence, just saw ESC (maybe the start of ST).
    StrEscape,
    /// A piece ended on ESC: the next piece continues the sequence only if it starts one
    /// (`[`, `]`, …); a plain character there is text, not the ESC's second byte, so a token
    /// ending in ESC does not eat the first letter of the next token.
    EscapeAtEnd,
}

/// Streaming sanitizer: feed pieces in order, get clean text out.
#[derive(Debug, Clone, Default)]
pub struct Sanitizer {
    state: State,
}

impl Sanitizer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, input: &str) -> String {
        let mut out = String::with_capacity(input.len());
        for c in input.chars() {
            if self.state == State::EscapeAtEnd {
                self.state = match c {
                    '[' | ']' | 'P' | 'X' | '^' | '_' | '\u{20}'..='\u{2f}' => State::Escape,
                    _ => State::Text,
                };
            }
            self.state = match self.state {
                State::Text => match c {
                    '\u{1b}' => State::Escape,
                    '\u{9b}' => State::Csi,
                    '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => State::Str,
                    '\n' | '\t' => {
                        out.push(c);
                        State::Text
                    }
                    // A lone carriage return would let text overwrite the line it is on.
                    c if is_control(c) => State::Text,
                    c => {
                        out.push(c);
                        State::Text
                    }
                },
                State::Escape => match c {
                    '[' => State::Csi,
                    ']' | 'P' | 'X' | '^' | '_' => State::Str,
                    // Intermediate bytes (e.g. `ESC ( B`) take one more character.
                    '\u{20}'..='\u{2f}' => State::Escape,
                    _ => State::Text,
                },
                State::Csi => match c {
                    '\u{40}'..='\u{7e}' => State::Text,
                    // Parameter/intermediate bytes continue the sequence; anything else aborts
                    // it (and is dropped with it, as terminals do).
                    '\u{20}'..='\u{3f}' => State::Csi,
                    _ => State::Text,
                },
                State::Str => match c {
                    '\u{7}' | '\u{9c}' => State::Text,
                    '\u{1b}' => State::StrEscape,
                    _ => State::Str,
                },
                State::StrEscape => match c {
                    '\\' => State::Text,
                    '\u{1b}' => State::StrEscape,
                    _ => State::Str,
                },
                // Resolved before this match.
                State::EscapeAtEnd => State::Text,
            };
        }
        if self.state == State::Escape {
            self.state = State::EscapeAtEnd;
        }
        out
    }
}

fn is_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// Sanitizes a whole string.
pub fn sanitize(input: &str) -> String {
    Sanitizer::new().push(input)
}

/// Sanitizes and also folds newlines and tabs to spaces: for one-line fields such as names.
pub fn sanitize_line(input: &str) -> String {
    sanitize(input)
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_sequences_and_controls() {
        assert_eq!(sanitize("a\u{1b}[31mred\u{1b}[0m b"), "ared b");
        assert_eq!(sanitize("x\u{1b}]52;c;ZXZpbA==\u{7}y"), "xy");
        assert_eq!(
            sanitize("x\u{1b}]8;;http://e\u{1b}\\link\u{1b}]8;;\u{1b}\\y"),
            "xlinky"
        );
        assert_eq!(sanitize("reset\u{1b}c!"), "reset!");
        assert_eq!(sanitize("q\u{1b}[6n?"), "q?");
        assert_eq!(sanitize("c1\u{9b}31mz\u{85}"), "c1z");
        assert_eq!(sanitize("bell\u{7}\r\0ok\n\tend"), "bellok\n\tend");
    }

    #[test]
    fn keeps_unicode() {
        assert_eq!(sanitize("héllo 世界 🦀"), "héllo 世界 🦀");
    }

    #[test]
    fn sequences_split_across_pieces_are_removed_whole() {
        let mut s = Sanitizer::new();
        let mut out = String::new();
        for piece in [
            "ok \u{1b}",
            "[3",
            "1m",
            "red",
            "\u{1b}]0;ti",
            "tle\u{7}",
            " end",
        ] {
            out.push_str(&s.push(piece));
        }
        assert_eq!(out, "ok red end");
    }

    #[test]
    fn a_piece_ending_in_escape_keeps_the_next_letter() {
        let mut s = Sanitizer::new();
        let out: String = ["x\u{1b}", "Hello", " \u{1b}", "[31mred"]
            .iter()
            .map(|p| s.push(p))
            .collect();
        assert_eq!(out, "xHello red");
    }

    #[test]
    fn sanitize_line_folds_newlines() {
        assert_eq!(sanitize_line("a\nb\tc"), "a b c");
    }
}
