//! `tojson` exactly as llama.cpp's Jinja engine writes it: Python's `json.dumps` layout
//! (", " and ": " separators, keys in insertion order, non-ASCII kept unless `ensure_ascii`), so a
//! template that prints tool schemas or arguments gives the same bytes as llama.cpp.

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Error, ErrorKind, State, Value};

/// The `tojson` filter (also `string`/`safe` on lists and maps, as llama.cpp does).
pub fn tojson(state: &State, value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let ensure_ascii: Option<bool> = kwargs.get("ensure_ascii")?;
    let indent: Option<Value> = kwargs.get("indent")?;
    let separators: Option<Vec<String>> = kwargs.get("separators")?;
    let sort_keys: Option<bool> = kwargs.get("sort_keys")?;
    kwargs.assert_all_used()?;
    if sort_keys == Some(true) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "tojson sort_keys=true is not supported (llama.cpp does not support it either)",
        ));
    }
    let indent = indent.and_then(|v| i64::try_from(v).ok()).unwrap_or(-1);
    let indent = indent.clamp(-1, 64);
    let item_sep = separators
        .as_ref()
        .and_then(|s| s.first().cloned())
        .unwrap_or_else(|| if indent < 0 { ", " } else { "," }.to_string());
    let key_sep = separators
        .as_ref()
        .and_then(|s| s.get(1).cloned())
        .unwrap_or_else(|| ": ".to_string());
    let mut out = String::new();
    let fmt = Layout {
        indent,
        item_sep: &item_sep,
        key_sep: &key_sep,
    };
    write_value(state, &mut out, &value, 0, &fmt)?;
    if ensure_ascii == Some(true) {
        out = escape_non_ascii(&out);
    }
    Ok(Value::from(out))
}

struct Layout<'a> {
    indent: i64,
    item_sep: &'a str,
    key_sep: &'a str,
}

fn write_value(
    state: &State,
    out: &mut String,
    v: &Value,
    level: usize,
    fmt: &Layout,
) -> Result<(), Error> {
    // Deeply nested or huge values cost fuel like any other data the template makes.
    state.consume_fuel(1)?;
    if level > 256 {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "tojson: value nested too deeply",
        ));
    }
    let pad = |out: &mut String, lvl: usize| {
        if fmt.indent > 0 {
            out.push_str(&" ".repeat(lvl * fmt.indent as usize));
        }
    };
    let newline = |out: &mut String| {
        if fmt.indent >= 0 {
            out.push('\n');
        }
    };
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if v.is_true() { "true" } else { "false" }),
        ValueKind::Number => {
            if let Ok(i) = i64::try_from(v.clone()) {
                if v.is_integer() {
                    out.push_str(&i.to_string());
                    return Ok(());
                }
            }
            let f = f64::try_from(v.clone()).unwrap_or(f64::NAN);
            out.push_str(&format_g(f));
        }
        ValueKind::String => write_string(out, v.as_str().unwrap_or_default()),
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<Value> = v.try_iter()?.collect();
            out.push('[');
            if !items.is_empty() {
                newline(out);
                for (i, item) in items.iter().enumerate() {
                    pad(out, level + 1);
                    write_value(state, out, item, level + 1, fmt)?;
                    if i + 1 < items.len() {
                        out.push_str(fmt.item_sep);
                    }
                    newline(out);
                }
                pad(out, level);
            }
            out.push(']');
        }
        ValueKind::Map => {
            let keys: Vec<Value> = v.try_iter()?.collect();
            out.push('{');
            if !keys.is_empty() {
                newline(out);
                for (i, key) in keys.iter().enumerate() {
                    pad(out, level + 1);
                    write_string(out, &key.to_string());
                    out.push_str(fmt.key_sep);
                    let item = v.get_item(key).unwrap_or_default();
                    write_value(state, out, &item, level + 1, fmt)?;
                    if i + 1 < keys.len() {
                        out.push_str(fmt.item_sep);
                    }
                    newline(out);
                }
                pad(out, level);
            }
            out.push('}');
        }
        _ => out.push_str("null"),
    }
    Ok(())
}

/// A JSON string with llama.cpp's escapes (control characters as `\u00XX`, UTF-8 kept).
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `ensure_ascii=True`: every non-ASCII character inside strings as `\uXXXX` (surrogate pairs
/// beyond the BMP), the layout untouched.
fn escape_non_ascii(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut buf = [0u16; 2];
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// C++ `ostream << double`: printf's `%g` with 6 significant digits.
pub(crate) fn format_g(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let exp = f.abs().log10().floor() as i32;
    // Rounding to 6 digits may carry into the next power of ten (999999.5 -> 1e+06).
    let sci = format!("{:.5e}", f);
    let (mantissa, e) = sci.split_once('e').unwrap_or((&sci, "0"));
    let e: i32 = e.parse().unwrap_or(exp);
    if !(-4..6).contains(&e) {
        let m = trim_zeros(mantissa);
        let sign = if e < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", e.abs())
    } else {
        let decimals = (5 - e).max(0) as usize;
        trim_zeros(&format!("{:.*}", decimals, f)).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::format_g;

    #[test]
    fn floats_print_like_cpp_streams() {
        assert_eq!(format_g(0.5), "0.5");
        assert_eq!(format_g(1.0), "1");
        assert_eq!(format_g(1.23456789), "1.23457");
        assert_eq!(format_g(1e-7), "1e-07");
        assert_eq!(format_g(1234567.0), "1.23457e+06");
        assert_eq!(format_g(999999.5), "1e+06");
    }
}
