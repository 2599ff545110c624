//! The sampling settings form: one text field per `Sampling` field, checked on every keystroke
//! (a bad value says why at once) and applied on enter or on leaving the field, so that typing
//! through intermediate values (backspacing `512` passes `51` and `5`) never applies them.

use crate::engine::{EngineSettings, Sampling};
use crate::ui::engine_rows::{self, ENGINE_FIELDS};

pub const FIELDS: [&str; 13] = [
    "temperature",
    "top_k",
    "top_p",
    "min_p",
    "typical_p",
    "repeat_penalty",
    "frequency_penalty",
    "presence_penalty",
    "penalty_window",
    "seed",
    "max_tokens",
    "stop",
    "grammar",
];

/// Index of the grammar field, which is edited in the multi-line editor.
pub const GRAMMAR: usize = 12;

pub fn hint(field: &str) -> &'static str {
    match field {
        "temperature" => "0 = greedy … 5",
        "top_k" => "0 = off",
        "top_p" => "0…1, 1 = off",
        "min_p" => "0…1, 0 = off",
        "typical_p" => "0…1, 1 = off",
        "repeat_penalty" => "1 = off",
        "frequency_penalty" | "presence_penalty" => "-2…2",
        "penalty_window" => "tokens, 0 = off",
        "seed" => "integer",
        "max_tokens" => "at least 1",
        "stop" => "JSON list, e.g. [\"\\n\\n\"]",
        "grammar" => "GBNF; enter to edit",
        _ => "",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SettingsForm {
    pub row: usize,
    pub values: Vec<String>,
    pub errors: Vec<Option<String>>,
    /// Index into the preset names shown by left/right.
    pub preset: usize,
    /// A one-line result of the last preset action.
    pub note: Option<String>,
    /// Engine settings as edited (rows after the sampling fields); applied by a model reload.
    pub engine: Option<EngineSettings>,
}

impl SettingsForm {
    pub fn new(s: &Sampling, preset: usize) -> SettingsForm {
        SettingsForm {
            row: 0,
            values: FIELDS.iter().map(|f| show(s, f)).collect(),
            errors: vec![None; FIELDS.len()],
            preset,
            note: None,
            engine: None,
        }
    }

    /// Adds the engine rows (context size, threads, overflow policy) after the sampling fields.
    pub fn with_engine(mut self, e: &EngineSettings) -> SettingsForm {
        for f in ENGINE_FIELDS {
            self.values.push(engine_rows::show(e, f));
            self.errors.push(None);
        }
        self.engine = Some(e.clone());
        self
    }

    /// The name of row `row` (a sampling field or an engine one).
    pub fn field(&self, row: usize) -> &'static str {
        FIELDS
            .get(row)
            .or_else(|| ENGINE_FIELDS.get(row - FIELDS.len()))
            .copied()
            .unwrap_or("")
    }

    /// Whether row `row` is an engine setting (applied by a reload).
    pub fn is_engine_row(&self, row: usize) -> bool {
        row >= FIELDS.len()
    }

    /// Reloads every field from `s` (after a preset was applied).
    pub fn reset(&mut self, s: &Sampling) {
        self.values = FIELDS.iter().map(|f| show(s, f)).collect();
        self.errors = vec![None; FIELDS.len()];
    }

    /// Checks the current row's text against `s` without applying it: sets or clears its error.
    pub fn check_row(&mut self, s: &Sampling) {
        if self.is_engine_row(self.row) {
            self.apply_engine_row();
            return;
        }
        let mut next = s.clone();
        let result =
            set(&mut next, FIELDS[self.row], &self.values[self.row]).and_then(|()| next.validate());
        self.errors[self.row] = result.err();
    }

    /// Whether row `row` holds typed text not yet applied to `s` (enter or leaving applies it).
    pub fn pending(&self, row: usize, s: &Sampling) -> bool {
        row < FIELDS.len() && row != GRAMMAR && self.values[row].trim() != show(s, FIELDS[row])
    }

    /// Applies the current row's text to `s` if it parses and the whole result validates.
    pub fn apply_row(&mut self, s: &mut Sampling) -> bool {
        if self.is_engine_row(self.row) {
            self.apply_engine_row();
            return false;
        }
        let field = FIELDS[self.row];
        let mut next = s.clone();
        let result = set(&mut next, field, &self.values[self.row]).and_then(|()| next.validate());
        match result {
            Ok(()) => {
                self.errors[self.row] = None;
                let changed = *s != next;
                *s = next;
                // The text as the value reads back ("0.50" becomes "0.5").
                self.values[self.row] = show(s, field);
                changed
            }
            Err(e) => {
                self.errors[self.row] = Some(e);
                false
            }
        }
    }
}

impl SettingsForm {
    /// Parses the current engine row into the pending engine settings.
    fn apply_engine_row(&mut self) {
        let field = self.field(self.row);
        let Some(e) = self.engine.as_mut() else {
            return;
        };
        let mut next = e.clone();
        match engine_rows::set(&mut next, field, &self.values[self.row]) {
            Ok(()) => {
                self.errors[self.row] = None;
                if *e != next {
                    *e = next;
                    self.note = Some(
                        "engine settings take effect with a model reload: enter reloads now".into(),
                    );
                }
            }
            Err(err) => self.errors[self.row] = Some(err),
        }
    }
}

/// A field's value as text.
pub fn show(s: &Sampling, field: &str) -> String {
    match field {
        "temperature" => s.temperature.to_string(),
        "top_k" => s.top_k.to_string(),
        "top_p" => s.top_p.to_string(),
        "min_p" => s.min_p.to_string(),
        "typical_p" => s.typical_p.to_string(),
        "repeat_penalty" => s.repeat_penalty.to_string(),
        "frequency_penalty" => s.frequency_penalty.to_string(),
        "presence_penalty" => s.presence_penalty.to_string(),
        "penalty_window" => s.penalty_window.to_string(),
        "seed" => s.seed.to_string(),
        "max_tokens" => s.max_tokens.to_string(),
        "stop" => serde_json::to_string(&s.stop).unwrap_or_else(|_| "[]".into()),
        "grammar" => match &s.grammar {
            None => "(none)".into(),
            Some(g) => format!("{} lines", g.lines().count()),
        },
        _ => String::new(),
    }
}

/// Parses `text` into `field` of `s`; the error names the field and what it wants.
pub fn set(s: &mut Sampling, field: &str, text: &str) -> Result<(), String> {
    let t = text.trim();
    fn num<T: std::str::FromStr>(field: &str, t: &str, what: &str) -> Result<T, String> {
        t.parse::<T>()
            .map_err(|_| format!("{field}: '{t}' is not {what}"))
    }
    match field {
        "temperature" => s.temperature = num(field, t, "a number")?,
        "top_k" => s.top_k = num(field, t, "a whole number")?,
        "top_p" => s.top_p = num(field, t, "a number")?,
        "min_p" => s.min_p = num(field, t, "a number")?,
        "typical_p" => s.typical_p = num(field, t, "a number")?,
        "repeat_penalty" => s.repeat_penalty = num(field, t, "a number")?,
        "frequency_penalty" => s.frequency_penalty = num(field, t, "a number")?,
        "presence_penalty" => s.presence_penalty = num(field, t, "a number")?,
        "penalty_window" => s.penalty_window = num(field, t, "a whole number")?,
        "seed" => s.seed = num(field, t, "a whole number from 0 to 4294967295")?,
        "max_tokens" => s.max_tokens = num(field, t, "a whole number")?,
        "stop" => {
            s.stop = if t.is_empty() {
                Vec::new()
            } else {
                serde_json::from_str::<Vec<String>>(t).map_err(|_| {
                    "stop: write a JSON list of strings, e.g. [\"\\n\\n\", \"User:\"]".to_string()
                })?
            }
        }
        // The grammar is edited as a whole in the editor, not through this field.
        "grammar" => {}
        other => return Err(format!("unknown field {other}")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips() {
        let s = Sampling {
            stop: vec!["\n\n".into(), "User:".into()],
            ..Sampling::default()
        };
        let mut back = Sampling::greedy();
        for f in FIELDS {
            set(&mut back, f, &show(&s, f)).unwrap();
        }
        back.grammar = s.grammar.clone();
        assert_eq!(back, s);
    }

    #[test]
    fn bad_values_say_why_and_are_not_applied() {
        let mut s = Sampling::default();
        let mut form = SettingsForm::new(&s, 1);
        form.row = 2; // top_p
        form.values[2] = "1.5".into();
        assert!(!form.apply_row(&mut s));
        assert!(form.errors[2].as_deref().unwrap().contains("top_p"));
        assert_eq!(s.top_p, 0.95);
        form.values[2] = "abc".into();
        form.apply_row(&mut s);
        assert!(form.errors[2].as_deref().unwrap().contains("not a number"));
        form.values[2] = "0.5".into();
        assert!(form.apply_row(&mut s));
        assert_eq!(s.top_p, 0.5);
        assert!(form.errors[2].is_none());
    }
}
