//! The engine part of the settings panel: context size, threads and the overflow policy. They
//! are fixed per loaded model, so they apply with a model reload (enter on one of these rows).

use crate::engine::{ContextOverflow, EngineSettings};

pub const ENGINE_FIELDS: [&str; 3] = ["context_size", "threads", "context_overflow"];

pub fn hint(field: &str) -> &'static str {
    match field {
        "context_size" => "tokens, auto = model's",
        "threads" => "auto = free physical cores",
        "context_overflow" => "shift, redecode or stop",
        _ => "",
    }
}

pub fn show(e: &EngineSettings, field: &str) -> String {
    match field {
        "context_size" => e.n_ctx.map_or("auto".into(), |n| n.to_string()),
        "threads" => e.threads.map_or("auto".into(), |n| n.to_string()),
        "context_overflow" => e.context_overflow.as_str().into(),
        _ => String::new(),
    }
}

/// Parses `text` into `field` of `e`; the error names the field and what it wants.
pub fn set(e: &mut EngineSettings, field: &str, text: &str) -> Result<(), String> {
    let t = text.trim();
    let auto = t.is_empty() || t.eq_ignore_ascii_case("auto");
    match field {
        "context_size" if auto => e.n_ctx = None,
        "context_size" => match t.parse::<u32>() {
            Ok(n) if (64..=1 << 20).contains(&n) => e.n_ctx = Some(n),
            _ => {
                return Err(format!(
                    "context_size: '{t}' is not a whole number from 64 to 1048576 (or auto)"
                ))
            }
        },
        "threads" if auto => e.threads = None,
        "threads" => match t.parse::<u32>() {
            Ok(n) if (1..=512).contains(&n) => e.threads = Some(n),
            _ => {
                return Err(format!(
                    "threads: '{t}' is not a whole number from 1 to 512 (or auto)"
                ))
            }
        },
        "context_overflow" => {
            e.context_overflow = match t.to_ascii_lowercase().as_str() {
                "shift" => ContextOverflow::Shift,
                "redecode" => ContextOverflow::Redecode,
                "stop" => ContextOverflow::Stop,
                _ => {
                    return Err(format!(
                        "context_overflow: '{t}' is not one of shift, redecode, stop"
                    ))
                }
            }
        }
        other => return Err(format!("unknown field {other}")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_and_bad_values_say_why() {
        let e = EngineSettings {
            n_ctx: Some(2048),
            threads: Some(1),
            context_overflow: ContextOverflow::Redecode,
            ..EngineSettings::default()
        };
        let mut back = EngineSettings::default();
        for f in ENGINE_FIELDS {
            set(&mut back, f, &show(&e, f)).unwrap();
        }
        assert_eq!(back, e);
        set(&mut back, "context_size", "auto").unwrap();
        assert_eq!(back.n_ctx, None);
        assert!(set(&mut back, "context_size", "10")
            .unwrap_err()
            .contains("64"));
        assert!(set(&mut back, "threads", "0")
            .unwrap_err()
            .contains("threads"));
        assert!(set(&mut back, "context_overflow", "drop")
            .unwrap_err()
            .contains("shift, redecode, stop"));
    }
}
