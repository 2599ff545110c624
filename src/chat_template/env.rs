//! The sandboxed Jinja environment chat templates run in: Hugging Face's conventions
//! (`trim_blocks`, `lstrip_blocks`, `raise_exception`, `strftime_now`, Python string methods)
//! with llama.cpp's choices where the two differ, and fuel and recursion limits so a hostile
//! template can neither hang howdah nor exhaust its memory.

use chrono::format::{Item, StrftimeItems};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Kwargs, Rest};
use minijinja::{Environment, Error, ErrorKind, State, UndefinedBehavior, Value};

use super::json::tojson;

/// Instruction budget per render. minijinja 3 also charges one unit per 64 bytes a template
/// creates, so this bounds both time (a quarter second or so) and memory (~128 MB at worst).
/// Real templates rendering a long chat use a small fraction of it.
pub const FUEL: u64 = 2_000_000;
/// Macro and call nesting; real templates nest a few levels at most.
const RECURSION_LIMIT: usize = 100;

pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // Hugging Face renders with trim_blocks and lstrip_blocks; so does llama.cpp, which also
    // drops a single trailing newline.
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(false)
        .build()
        .expect("the default Jinja syntax is valid");
    env.set_syntax(syntax);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    // llama.cpp lets `message.tool_calls.foo` on a missing field be undefined rather than fail.
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    // No auto-escaping: a prompt is plain text, never HTML.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.add_function("raise_exception", raise_exception);
    env.add_function("strftime_now", strftime_now);
    env.add_filter("tojson", tojson);
    env.add_filter("string", string_filter);
    env
}

fn raise_exception(message: Option<String>) -> Result<Value, Error> {
    Err(Error::new(
        ErrorKind::InvalidOperation,
        message.unwrap_or_else(|| "the template raised an exception".into()),
    ))
}

/// `strftime_now(format)`: local time, as llama.cpp (`std::strftime`) and transformers do.
fn strftime_now(format: String) -> Result<Value, Error> {
    let items: Vec<Item> = StrftimeItems::new(&format).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("strftime_now: invalid format {format:?}"),
        ));
    }
    let now = chrono::Local::now();
    Ok(Value::from(
        now.format_with_items(items.into_iter()).to_string(),
    ))
}

/// `string`: lists and maps become JSON, as in llama.cpp (Jinja would print Python reprs).
fn string_filter(state: &State, value: Value, rest: Rest<Value>) -> Result<Value, Error> {
    let _ = rest;
    match value.kind() {
        minijinja::value::ValueKind::Seq | minijinja::value::ValueKind::Map => tojson(
            state,
            value,
            Kwargs::from_iter(std::iter::empty::<(&str, Value)>()),
        ),
        minijinja::value::ValueKind::Undefined | minijinja::value::ValueKind::None
            if value.is_undefined() =>
        {
            Ok(Value::from(""))
        }
        _ => Ok(Value::from(value.to_string())),
    }
}
