//! Reading the grammar's text: the cursor, spaces and comments, names, numbers, literal
//! characters with their escapes, `<token>`s, and errors placed at a line and column.

use super::{GrammarError, Parser};

/// A character of a rule name (llama.cpp's `is_word_char`).
pub(super) fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

impl Parser<'_> {
    pub(super) fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }
    pub(super) fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }
    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }
    pub(super) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    pub(super) fn err_at(&self, at: usize, message: impl Into<String>) -> GrammarError {
        let before = &self.src[..at.min(self.src.len())];
        GrammarError {
            line: before.matches('\n').count() + 1,
            column: before.rsplit('\n').next().unwrap_or("").chars().count() + 1,
            message: message.into(),
        }
    }
    pub(super) fn err(&self, message: impl Into<String>) -> GrammarError {
        self.err_at(self.pos, message)
    }
    pub(super) fn found(&self) -> String {
        match self.peek() {
            None => "the end of the grammar".into(),
            Some('\n') | Some('\r') => "the end of the line".into(),
            Some(c) => format!("{c:?}"),
        }
    }

    pub(super) fn space(&mut self, newline_ok: bool) {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' => self.pos += 1,
                '\r' | '\n' if newline_ok => self.pos += 1,
                '#' => {
                    while !matches!(self.peek(), None | Some('\r') | Some('\n')) {
                        self.bump();
                    }
                }
                _ => break,
            }
        }
    }

    pub(super) fn name(&mut self) -> Result<String, GrammarError> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if is_word(c)) {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.err(format!(
                "expected a rule name (letters, digits and '-'), found {}",
                self.found()
            )));
        }
        Ok(self.src[start..self.pos].to_string())
    }

    pub(super) fn int(&mut self) -> Result<u64, GrammarError> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.src[start..self.pos]
            .parse()
            .map_err(|_| self.err_at(start, "expected a number"))
    }

    /// One literal character (possibly an escape).
    pub(super) fn char(&mut self) -> Result<(), GrammarError> {
        let at = self.pos;
        let c = self
            .bump()
            .ok_or_else(|| self.err("unexpected end of the grammar"))?;
        if c != '\\' {
            return Ok(());
        }
        let e = self
            .bump()
            .ok_or_else(|| self.err("unexpected end of the grammar after `\\`"))?;
        let hex = match e {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            't' | 'r' | 'n' | '\\' | '"' | '[' | ']' | '-' => return Ok(()),
            other => {
                return Err(self.err_at(
                    at,
                    format!("unknown escape `\\{other}` (known: \\x \\u \\U \\t \\r \\n \\\\ \\\" \\[ \\] \\-)"),
                ))
            }
        };
        let digits = self.src[self.pos..]
            .chars()
            .take(hex)
            .take_while(char::is_ascii_hexdigit)
            .count();
        if digits != hex {
            return Err(self.err_at(at, format!("`\\{e}` needs {hex} hex digits")));
        }
        self.pos += hex;
        Ok(())
    }

    /// `<[123]>`, `<token>`, `!<...>`.
    pub(super) fn token(&mut self) -> Result<(), GrammarError> {
        let at = self.pos;
        if self.peek() == Some('!') {
            self.pos += 1;
        }
        if self.bump() != Some('<') {
            return Err(self.err_at(at, "expected `<` after `!` (a negated token)"));
        }
        if self.peek() == Some('[') {
            self.pos += 1;
            let n = self.int()?;
            if n > u32::MAX as u64 {
                return Err(self.err_at(at, "the token id is too big"));
            }
            if self.bump() != Some(']') || self.bump() != Some('>') {
                return Err(self.err_at(at, "a token id is written <[123]>"));
            }
            return Ok(());
        }
        match self.src[self.pos..].find('>') {
            Some(end) => {
                // llama.cpp tokenizes from the `<` through the `>`.
                let start = if self.src[at..].starts_with('!') {
                    at + 1
                } else {
                    at
                };
                self.pos += end + 1;
                self.text_tokens
                    .push((start, self.src[start..self.pos].to_string()));
                Ok(())
            }
            None => Err(self.err_at(at, "this token is never closed with `>`")),
        }
    }
}
