//! A GBNF checker that accepts what llama.cpp's grammar parser accepts: a port of its parser
//! (`llama-grammar.cpp`: same syntax, same rule expansion and repetition limits, undefined
//! rules, a `root` symbol, its left-recursion test made stricter where llama.cpp's would let a
//! grammar loop forever), reporting line:column and the real reason. llama.cpp itself prints
//! the whole grammar to stderr and says only "failed to parse".

use std::collections::HashMap;

/// llama.cpp's MAX_REPETITION_THRESHOLD.
const MAX_REPETITION: u64 = 2000;
/// Groups nested deeper than this are refused rather than risking the stack.
const MAX_NESTING: usize = 256;
/// Expanded rule elements beyond this are refused (llama.cpp would allocate them all).
const MAX_ELEMENTS: usize = 1 << 22;

/// An invalid grammar: 1-based line and column (in characters) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrammarError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for GrammarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// A rule element, as llama.cpp stores it; terminals are all one kind here.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Elem {
    Term,
    Ref(u32),
    Alt,
    End,
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// Symbol name -> id, in llama.cpp's order of first mention.
    ids: HashMap<String, u32>,
    names: Vec<String>,
    rules: Vec<Option<Vec<Elem>>>,
    /// Where each symbol was first referenced and where it was defined.
    ref_at: HashMap<u32, usize>,
    def_at: HashMap<u32, usize>,
    depth: usize,
    elements: usize,
    /// `<text>` tokens: llama.cpp needs each to be exactly one token of the model's vocabulary.
    text_tokens: Vec<(usize, String)>,
}

/// Checks `src`; Ok exactly when llama.cpp would build a grammar from it with root `root`
/// (given that every `<text>` token is one token of the model: see [`text_tokens`]).
pub fn check(src: &str) -> Result<(), GrammarError> {
    parse(src).map(|_| ())
}

/// The grammar's `<text>` tokens, each with where it stands (as a zero-message error), for a
/// check against the model's vocabulary.
pub fn text_tokens(src: &str) -> Result<Vec<(GrammarError, String)>, GrammarError> {
    let p = parse(src)?;
    Ok(p.text_tokens
        .iter()
        .map(|(at, t)| (p.err_at(*at, ""), t.clone()))
        .collect())
}

fn parse(src: &str) -> Result<Parser<'_>, GrammarError> {
    let mut p = Parser {
        src,
        pos: 0,
        ids: HashMap::new(),
        names: Vec::new(),
        rules: Vec::new(),
        ref_at: HashMap::new(),
        def_at: HashMap::new(),
        depth: 0,
        elements: 0,
        text_tokens: Vec::new(),
    };
    // llama.cpp reads the grammar as a C string: a NUL would silently cut it short.
    if let Some(at) = src.find('\0') {
        return Err(p.err_at(at, "the grammar contains a NUL byte"));
    }
    p.space(true);
    while !p.at_end() {
        p.rule()?;
    }
    p.finish()?;
    Ok(p)
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }
    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }
    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn err_at(&self, at: usize, message: impl Into<String>) -> GrammarError {
        let before = &self.src[..at.min(self.src.len())];
        GrammarError {
            line: before.matches('\n').count() + 1,
            column: before.rsplit('\n').next().unwrap_or("").chars().count() + 1,
            message: message.into(),
        }
    }
    fn err(&self, message: impl Into<String>) -> GrammarError {
        self.err_at(self.pos, message)
    }
    fn found(&self) -> String {
        match self.peek() {
            None => "the end of the grammar".into(),
            Some('\n') | Some('\r') => "the end of the line".into(),
            Some(c) => format!("{c:?}"),
        }
    }

    fn symbol(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        id
    }
    /// A fresh symbol for a group or a repetition (`name_N` in llama.cpp).
    fn generated(&mut self, base: &str) -> u32 {
        let id = self.names.len() as u32;
        let name = format!("{base}_{id}");
        self.ids.insert(name.clone(), id);
        self.names.push(name);
        id
    }
    fn add_rule(&mut self, id: u32, rule: Vec<Elem>) -> Result<(), GrammarError> {
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

    fn space(&mut self, newline_ok: bool) {
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

    fn name(&mut self) -> Result<String, GrammarError> {
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

    fn rule(&mut self) -> Result<(), GrammarError> {
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

    fn alternates(&mut self, name: &str, id: u32, nested: bool) -> Result<(), GrammarError> {
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

    fn sequence(
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

    /// llama.cpp's rewrite of `S{m,n}` into copies of S and helper rules.
    #[allow(clippy::too_many_arguments)]
    fn repeat(
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
    fn repetition(&mut self, c: char, nested: bool) -> Result<(u64, Option<u64>), GrammarError> {
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

    fn int(&mut self) -> Result<u64, GrammarError> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.src[start..self.pos]
            .parse()
            .map_err(|_| self.err_at(start, "expected a number"))
    }

    /// One literal character (possibly an escape).
    fn char(&mut self) -> Result<(), GrammarError> {
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
    fn token(&mut self) -> Result<(), GrammarError> {
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

    fn finish(&self) -> Result<(), GrammarError> {
        // Every referenced symbol must be defined.
        let mut undefined: Vec<(usize, &str)> = (0..self.names.len())
            .filter(|&i| self.rules.get(i).is_none_or(Option::is_none))
            .map(|i| {
                let at = self.ref_at.get(&(i as u32)).copied().unwrap_or(0);
                (at, self.names[i].as_str())
            })
            .collect();
        undefined.sort();
        if let Some((at, name)) = undefined.first() {
            return Err(self.err_at(*at, format!("the rule `{name}` is used but never defined")));
        }
        if self.rules.is_empty() {
            return Err(self.err_at(0, "the grammar is empty: it needs a `root ::= ...` rule"));
        }
        if !self.ids.contains_key("root") {
            return Err(self.err_at(
                0,
                "there is no `root` rule: generation starts from `root ::= ...`",
            ));
        }
        let rules: Vec<Vec<Elem>> = self
            .rules
            .iter()
            .map(|r| r.clone().unwrap_or_default())
            .collect();
        let n = rules.len();
        let mut state = Recursion {
            rules: &rules,
            visited: vec![false; n],
            in_progress: vec![false; n],
            may_be_empty: nullable(&rules),
            cycle: None,
        };
        for i in 0..n {
            if !state.visited[i] && state.detect(i) {
                // Name the user's rule, not a generated helper (`expr_3` -> `expr`).
                let shown = self.names[state.cycle.unwrap_or(i)].as_str();
                let base = (0..n)
                    .map(|j| self.names[j].as_str())
                    .filter(|b| shown.starts_with(b) && self.def_at.contains_key(&self.ids[*b]))
                    .max_by_key(|b| b.len())
                    .unwrap_or(shown);
                let at = self.def_at.get(&self.ids[base]).copied().unwrap_or(0);
                return Err(self.err_at(
                    at,
                    format!("the rule `{base}` is left-recursive (it can start with itself), which llama.cpp does not support: put something before the recursion or use a repetition (`*`, `+`)"),
                ));
            }
        }
        Ok(())
    }
}

/// Which rules can match the empty string, through references too. llama.cpp only counts a rule
/// with an empty alternative, so it misses `root ::= a root "x"` with `a ::= "y"?`, which then
/// grows its parse stacks without end; howdah refuses that as left recursion as well.
fn nullable(rules: &[Vec<Elem>]) -> Vec<bool> {
    let mut empty = vec![false; rules.len()];
    loop {
        let mut changed = false;
        for (i, rule) in rules.iter().enumerate() {
            if empty[i] {
                continue;
            }
            let mut alt_empty = true;
            for e in rule {
                match e {
                    Elem::Alt | Elem::End => {
                        if alt_empty {
                            empty[i] = true;
                            changed = true;
                            break;
                        }
                        alt_empty = true;
                    }
                    Elem::Ref(r) => alt_empty &= empty[*r as usize],
                    Elem::Term => alt_empty = false,
                }
            }
        }
        if !changed {
            return empty;
        }
    }
}

/// llama.cpp's `llama_grammar_detect_left_recursion`, step for step (with [`nullable`]'s
/// wider notion of empty).
struct Recursion<'a> {
    rules: &'a [Vec<Elem>],
    visited: Vec<bool>,
    in_progress: Vec<bool>,
    may_be_empty: Vec<bool>,
    /// The rule found starting itself (llama.cpp names only where the search began).
    cycle: Option<usize>,
}

impl Recursion<'_> {
    fn detect(&mut self, i: usize) -> bool {
        if self.in_progress[i] {
            self.cycle.get_or_insert(i);
            return true;
        }
        self.in_progress[i] = true;
        let rule = &self.rules[i];
        let mut recurse = true;
        for e in rule {
            match e {
                Elem::Ref(r) if recurse => {
                    let r = *r as usize;
                    if self.detect(r) {
                        return true;
                    }
                    if !self.may_be_empty[r] {
                        recurse = false;
                    }
                }
                Elem::Alt | Elem::End => recurse = true,
                _ => recurse = false,
            }
        }
        self.in_progress[i] = false;
        self.visited[i] = true;
        false
    }
}

#[cfg(test)]
mod tests;
