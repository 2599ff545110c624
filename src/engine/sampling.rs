//! The `Sampling` settings: one serde struct for every sampler knob, with validation.

use serde::{Deserialize, Serialize};

/// Every setting that shapes how the next token is picked. `temperature == 0` means greedy.
///
/// Same settings + seed + model + threads give identical output, so sessions record this struct
/// whole and replay reuses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sampling {
    #[serde(serialize_with = "short_f32")]
    pub temperature: f32,
    /// 0 disables top-k.
    pub top_k: i32,
    /// 1.0 disables top-p.
    #[serde(serialize_with = "short_f32")]
    pub top_p: f32,
    /// 0.0 disables min-p.
    #[serde(serialize_with = "short_f32")]
    pub min_p: f32,
    /// 1.0 disables typical sampling.
    #[serde(serialize_with = "short_f32")]
    pub typical_p: f32,
    /// 1.0 disables the repeat penalty.
    #[serde(serialize_with = "short_f32")]
    pub repeat_penalty: f32,
    #[serde(serialize_with = "short_f32")]
    pub frequency_penalty: f32,
    #[serde(serialize_with = "short_f32")]
    pub presence_penalty: f32,
    /// How many recent tokens the penalties look at (0 disables them).
    pub penalty_window: i32,
    pub seed: u32,
    pub max_tokens: u32,
    /// Generation stops before any of these strings; the string itself is not emitted.
    pub stop: Vec<String>,
    /// Optional GBNF grammar (root rule `root`) constraining the output.
    pub grammar: Option<String>,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            temperature: 0.8,
            top_k: 40,
            top_p: 0.95,
            min_p: 0.05,
            typical_p: 1.0,
            repeat_penalty: 1.0,
            frequency_penalty: 0.0,
            presence_penalty: 0.0,
            penalty_window: 64,
            seed: 42,
            max_tokens: 512,
            stop: Vec::new(),
            grammar: None,
        }
    }
}

impl Sampling {
    /// Deterministic argmax decoding: what tests and replays that assert exact text use.
    pub fn greedy() -> Self {
        Sampling {
            temperature: 0.0,
            ..Sampling::default()
        }
    }

    /// Checks every field and names the first bad one with what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        fn finite(name: &str, v: f32) -> Result<(), String> {
            if v.is_finite() {
                Ok(())
            } else {
                Err(format!("{name} must be a finite number, got {v}"))
            }
        }
        finite("temperature", self.temperature)?;
        if self.temperature < 0.0 || self.temperature > 5.0 {
            return Err(format!(
                "temperature must be between 0 (greedy) and 5, got {}",
                self.temperature
            ));
        }
        if self.top_k < 0 {
            return Err(format!("top_k must be 0 (off) or more, got {}", self.top_k));
        }
        for (name, v) in [
            ("top_p", self.top_p),
            ("min_p", self.min_p),
            ("typical_p", self.typical_p),
        ] {
            finite(name, v)?;
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} must be between 0 and 1, got {v}"));
            }
        }
        finite("repeat_penalty", self.repeat_penalty)?;
        if self.repeat_penalty <= 0.0 || self.repeat_penalty > 10.0 {
            return Err(format!(
                "repeat_penalty must be above 0 and at most 10 (1 = off), got {}",
                self.repeat_penalty
            ));
        }
        for (name, v) in [
            ("frequency_penalty", self.frequency_penalty),
            ("presence_penalty", self.presence_penalty),
        ] {
            finite(name, v)?;
            if !(-2.0..=2.0).contains(&v) {
                return Err(format!("{name} must be between -2 and 2, got {v}"));
            }
        }
        if self.penalty_window < 0 {
            return Err(format!(
                "penalty_window must be 0 (off) or more, got {}",
                self.penalty_window
            ));
        }
        if self.max_tokens == 0 {
            return Err("max_tokens must be at least 1".into());
        }
        if self.stop.iter().any(|s| s.is_empty()) {
            return Err("stop strings must not be empty".into());
        }
        if let Some(g) = &self.grammar {
            // llama.cpp must never see an invalid grammar: it prints it to stderr and fails.
            super::gbnf::check(g).map_err(|e| {
                format!(
                    "grammar: line {}, column {}: {}",
                    e.line, e.column, e.message
                )
            })?;
        }
        Ok(())
    }

    pub fn is_greedy(&self) -> bool {
        self.temperature <= 0.0
    }
}

/// Writes an f32 as the decimal it was given as (0.05, not 0.05000000074505806): JSON values
/// built through `serde_json::Value` would otherwise widen it to f64 digit by digit.
fn short_f32<S: serde::Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
    match v.to_string().parse::<f64>() {
        Ok(x) if v.is_finite() => s.serialize_f64(x),
        _ => s.serialize_f32(*v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_name_the_field() {
        assert!(Sampling::default().validate().is_ok());
        let bad = Sampling {
            top_p: 1.5,
            ..Sampling::default()
        };
        assert!(bad.validate().unwrap_err().contains("top_p"));
        let bad = Sampling {
            temperature: f32::NAN,
            ..Sampling::default()
        };
        assert!(bad.validate().unwrap_err().contains("temperature"));
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = serde_json::from_str::<Sampling>(r#"{"temprature": 1.0}"#).unwrap_err();
        assert!(err.to_string().contains("temprature"));
    }
}
