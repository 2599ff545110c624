//! The checks that need the whole grammar once it is read: every used rule defined, a `root`
//! rule, and no left recursion (which would make llama.cpp loop or grow its stacks forever).

use super::{Elem, GrammarError, Parser};

impl Parser<'_> {
    pub(super) fn finish(&self) -> Result<(), GrammarError> {
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
