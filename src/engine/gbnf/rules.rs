//! Rules as llama.cpp stores them: symbols numbered in order of first mention, each rule a
//! list of elements, and the parse of a rule's alternatives and sequences into them.

use super::lexer::is_word;
use super::{Elem, GrammarError, Parser, MAX_ELEMENTS, MAX_NESTING};

impl Parser<'_> {
    pub(super) fn symbol(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        id
    }
    /// A fresh symbol for a group or a repetition (`name_N` in llama.cpp).
    pub(super) fn generated(&mut self, base: &str) -> u32 {
        let id = self.names.len() as u32;
        let name = format!("{base}_{id}");
        self.ids.insert(name.clone(), id);
        self.names.push(name);
        id
    }
    pub(super) fn add_rule(&mut self, id: u32, rule: Vec<Elem>) -> Result<(), GrammarError> {
        self.elements += rule.len();
        if self.elements > MAX_ELEMENTS {
            return Err(
                self.err("the grammar expands to too many elements: reduce its repetitions")
            );
        }
        if self.rules.len() <= id as usize {
            self.rules.resize(id as usize + 1, None);
        }
        self.rules[id as usize] = Some(rule);
        Ok(())
    }

    pub(super) fn rule(&mut self) -> Result<(), GrammarError> {
        let start = self.pos;
        let name = self.name()?;
        self.space(false);
        let id = self.symbol(&name);
        if !self.src[self.pos..].starts_with("::=") {
            return Err(self.err(format!(
                "expected `::=` after the rule name `{name}`, found {}",
                self.found()
            )));
        }
        self.pos += 3;
        self.space(true);
        self.alternates(&name, id, false)?;
        match self.peek() {
            None | Some('\n') | Some('\r') => {}
            Some(_) => {
                return Err(self.err(format!(
                    "unexpected {} in rule `{name}`: a rule ends at the end of its line (wrap it in parentheses to continue)",
                    self.found()
                )))
            }
        }
        self.space(true);
        self.def_at.insert(id, start);
        Ok(())
    }

    pub(super) fn alternates(
        &mut self,
        name: &str,
        id: u32,
        nested: bool,
    ) -> Result<(), GrammarError> {
        let mut rule = Vec::new();
        self.sequence(name, &mut rule, nested)?;
        while self.peek() == Some('|') {
            rule.push(Elem::Alt);
            self.pos += 1;
            self.space(true);
            self.sequence(name, &mut rule, nested)?;
        }
        rule.push(Elem::End);
        self.add_rule(id, rule)
    }

    pub(super) fn sequence(
        &mut self,
        name: &str,
        rule: &mut Vec<Elem>,
        nested: bool,
    ) -> Result<(), GrammarError> {
        let mut last_start = rule.len();
        let mut n_prev: u64 = 1;
        while let Some(c) = self.peek() {
            let at = self.pos;
            match c {
                '"' => {
                    self.pos += 1;
                    last_start = rule.len();
                    n_prev = 1;
                    while self.peek() != Some('"') {
                        if self.at_end() {
                            return Err(self.err_at(at, "this string literal is never closed"));
                        }
                        self.char()?;
                        rule.push(Elem::Term);
                    }
                    self.pos += 1;
                }
                '[' => {
                    self.pos += 1;
                    if self.peek() == Some('^') {
                        self.pos += 1;
                    }
                    last_start = rule.len();
                    n_prev = 1;
                    while self.peek() != Some(']') {
                        if self.at_end() {
                            return Err(self.err_at(at, "this character class is never closed"));
                        }
                        self.char()?;
                        rule.push(Elem::Term);
                        if self.peek() == Some('-') && self.peek_at(1) != Some(']') {
                            if self.peek_at(1).is_none() {
                                return Err(self.err_at(at, "this character class is never closed"));
                            }
                            self.pos += 1;
                            self.char()?;
                            rule.push(Elem::Term);
                        }
                    }
                    self.pos += 1;
                }
                '<' | '!' => {
                    self.token()?;
                    last_start = rule.len();
                    n_prev = 1;
                    rule.push(Elem::Term);
                }
                c if is_word(c) => {
                    let r = self.name()?;
                    let id = self.symbol(&r);
                    self.ref_at.entry(id).or_insert(at);
                    self.space(nested);
                    last_start = rule.len();
                    n_prev = 1;
                    rule.push(Elem::Ref(id));
                    continue;
                }
                '(' => {
                    self.pos += 1;
                    self.depth += 1;
                    if self.depth > MAX_NESTING {
                        return Err(self.err_at(at, "parentheses are nested too deeply"));
                    }
                    self.space(true);
                    let before = self.names.len() as u64;
                    let sub = self.generated(name);
                    self.alternates(name, sub, true)?;
                    n_prev = (self.names.len() as u64 - before).max(1);
                    last_start = rule.len();
                    rule.push(Elem::Ref(sub));
                    if self.peek() != Some(')') {
                        return Err(self.err(format!(
                            "expected `)` to close the group opened at column {}, found {}",
                            self.err_at(at, "").column,
                            self.found()
                        )));
                    }
                    self.pos += 1;
                    self.depth -= 1;
                }
                '.' => {
                    self.pos += 1;
                    last_start = rule.len();
                    n_prev = 1;
                    rule.push(Elem::Term);
                }
                '*' | '+' | '?' | '{' => {
                    let (min, max) = self.repetition(c, nested)?;
                    if last_start == rule.len() {
                        return Err(
                            self.err_at(at, format!("`{c}` needs an item before it to repeat"))
                        );
                    }
                    self.repeat(name, rule, last_start, &mut n_prev, min, max, at)?;
                    continue; // repetition() already skipped the space after it
                }
                _ => break,
            }
            self.space(nested);
        }
        Ok(())
    }
}
