//! Repetitions (`*`, `+`, `?`, `{m,n}`): reading them, and llama.cpp's rewrite of a repeated
//! item into copies and helper rules, with its limit on how far that may expand.

use super::{Elem, GrammarError, Parser, MAX_ELEMENTS, MAX_REPETITION};

impl Parser<'_> {
    /// llama.cpp's rewrite of `S{m,n}` into copies of S and helper rules.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn repeat(
        &mut self,
        name: &str,
        rule: &mut Vec<Elem>,
        last_start: usize,
        n_prev: &mut u64,
        min: u64,
        max: Option<u64>,
        at: usize,
    ) -> Result<(), GrammarError> {
        let prev: Vec<Elem> = rule[last_start..].to_vec();
        let total = match max {
            Some(m) if m > 0 => m,
            _ => min.max(1),
        };
        if n_prev.saturating_mul(total) > MAX_REPETITION {
            return Err(self.err_at(
                at,
                format!("this repetition expands to more than {MAX_REPETITION} rules (llama.cpp's limit): repeat less, or repeat a simpler item"),
            ));
        }
        if min == 0 {
            rule.truncate(last_start);
        } else {
            for _ in 1..min {
                if rule.len() + prev.len() > MAX_ELEMENTS {
                    return Err(self.err_at(at, "this repetition expands to too many elements"));
                }
                rule.extend_from_slice(&prev);
            }
        }
        let n_opt = match max {
            None => 1,
            Some(m) => m - min,
        };
        let mut last_rec = 0;
        for i in 0..n_opt {
            let id = self.generated(name);
            let mut rec = prev.clone();
            if i > 0 || max.is_none() {
                rec.push(Elem::Ref(if max.is_none() { id } else { last_rec }));
            }
            rec.push(Elem::Alt);
            rec.push(Elem::End);
            self.add_rule(id, rec)?;
            last_rec = id;
        }
        if n_opt > 0 {
            rule.push(Elem::Ref(last_rec));
        }
        *n_prev = n_prev.saturating_mul(total);
        Ok(())
    }

    /// `*`, `+`, `?` or `{m}`, `{m,}`, `{m,n}` → (min, max); skips the space after it.
    pub(super) fn repetition(
        &mut self,
        c: char,
        nested: bool,
    ) -> Result<(u64, Option<u64>), GrammarError> {
        let at = self.pos;
        self.pos += 1;
        self.space(nested);
        match c {
            '*' => return Ok((0, None)),
            '+' => return Ok((1, None)),
            '?' => return Ok((0, Some(1))),
            _ => {}
        }
        let min = self.int()?;
        self.space(nested);
        let max = match self.bump() {
            Some('}') => Some(min),
            Some(',') => {
                self.space(nested);
                let max = if matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
                    Some(self.int()?)
                } else {
                    None
                };
                self.space(nested);
                if self.bump() != Some('}') {
                    return Err(self.err("expected `}` to close the repetition"));
                }
                max
            }
            _ => return Err(self.err("expected `}` or `,` in the repetition")),
        };
        self.space(nested);
        if min > MAX_REPETITION {
            return Err(self.err_at(
                at,
                format!("{min} repetitions are more than llama.cpp allows ({MAX_REPETITION})"),
            ));
        }
        // llama.cpp reads a maximum above its limit as "no maximum".
        let max = max.filter(|m| *m <= MAX_REPETITION);
        if let Some(m) = max {
            if m < min {
                return Err(self.err_at(
                    at,
                    format!("the repetition {{{min},{m}}} has its maximum below its minimum"),
                ));
            }
        }
        Ok((min, max))
    }
}
