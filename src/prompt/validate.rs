//! Reading one template file: TOML with spans, then every rule the format promises, each
//! failure naming the file, line and field.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::error::TemplateError;
use super::pattern::Pattern;
use super::selection::Selection;
use super::template::{Example, Source, Task, Template};
use crate::engine::Sampling;

/// One `[[examples]]` table: variable values and `output`, each with its span.
type RawExample = Spanned<BTreeMap<String, Spanned<String>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    name: Spanned<String>,
    description: Spanned<String>,
    task: Spanned<Task>,
    #[serde(default)]
    system: Option<Spanned<String>>,
    instruction: Spanned<String>,
    input: Spanned<String>,
    output: Spanned<String>,
    #[serde(default)]
    labels: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    label_descriptions: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    #[serde(default)]
    variables: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    examples: Spanned<Vec<RawExample>>,
    #[serde(default)]
    shots: Option<Spanned<usize>>,
    #[serde(default)]
    selection: Option<Spanned<Selection>>,
    #[serde(default)]
    grammar: Option<Spanned<String>>,
    #[serde(default)]
    sampling: Option<Spanned<Sampling>>,
}

/// Where errors point: the file's name and text (for byte offset -> line).
struct Ctx<'a> {
    file: String,
    text: &'a str,
}

impl Ctx<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn err<T>(&self, span: &Spanned<T>, field: &str, message: impl Into<String>) -> TemplateError {
        TemplateError {
            file: self.file.clone(),
            line: Some(self.line_of(span.span().start)),
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    /// A TOML or serde error: the line from its span, the field from its message (missing or
    /// unknown field) or from the key written on that line.
    fn toml_error(&self, e: &toml::de::Error) -> TemplateError {
        let msg = e.message().trim().to_string();
        let line = e.span().map(|s| self.line_of(s.start));
        let field = backticked_field(&msg).or_else(|| {
            let line_text = self.text.lines().nth(line? - 1)?;
            let key = line_text.split('=').next()?.trim();
            let plain = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
            (plain && line_text.contains('=')).then(|| key.to_string())
        });
        TemplateError {
            file: self.file.clone(),
            line: line.or(Some(1)),
            field,
            message: msg,
        }
    }
}

fn backticked_field(msg: &str) -> Option<String> {
    for prefix in ["missing field `", "unknown field `"] {
        if let Some(pos) = msg.find(prefix) {
            let rest = &msg[pos + prefix.len()..];
            return rest.find('`').map(|end| rest[..end].to_string());
        }
    }
    None
}

/// Is `name` usable as a template name (and file stem)?
pub(crate) fn valid_template_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && !name.starts_with('-')
}

/// Parses and checks a template file. `stem` is the file name without `.toml`; the template's
/// `name` must equal it, so a name always finds its file.
pub(crate) fn parse_template(
    text: &str,
    stem: &str,
    source: Source,
) -> Result<Template, TemplateError> {
    let cx = Ctx {
        file: source.display(),
        text,
    };
    let raw: RawTemplate = toml::from_str(text).map_err(|e| cx.toml_error(&e))?;

    let name = raw.name.get_ref().trim().to_string();
    if !valid_template_name(&name) {
        return Err(cx.err(
            &raw.name,
            "name",
            format!(
                "'{name}' is not a valid template name: use lowercase letters, digits, - and _"
            ),
        ));
    }
    if name != stem {
        return Err(cx.err(&raw.name, "name", format!("'{name}' differs from the file name '{stem}.toml': rename the file or the template")));
    }
    for (field, v) in [
        ("description", &raw.description),
        ("instruction", &raw.instruction),
        ("input", &raw.input),
    ] {
        if v.get_ref().trim().is_empty() {
            return Err(cx.err(v, field, "must not be empty"));
        }
    }
    let input = Pattern::parse(raw.input.get_ref()).map_err(|m| cx.err(&raw.input, "input", m))?;
    let used = input.variables();
    if used.is_empty() {
        return Err(cx.err(
            &raw.input,
            "input",
            "has no {{variable}}: the input must contain at least one, e.g. `Review: {{text}}`",
        ));
    }

    // Declared variables (optional): then the pattern may use only those, and all of them.
    let mut variables: BTreeMap<String, String> = BTreeMap::new();
    if let Some(decl) = &raw.variables {
        for v in &used {
            if !decl.get_ref().contains_key(*v) {
                let declared: Vec<&str> = decl.get_ref().keys().map(String::as_str).collect();
                return Err(cx.err(&raw.input, "input", format!("unknown variable '{{{{{v}}}}}': declared variables are {}; declare it under [variables] or fix the name", declared.join(", "))));
            }
        }
        for (k, desc) in decl.get_ref() {
            if !used.contains(&k.as_str()) {
                return Err(cx.err(
                    desc,
                    &format!("variables.{k}"),
                    format!("variable '{k}' is declared but `input` never uses {{{{{k}}}}}"),
                ));
            }
            variables.insert(k.clone(), desc.get_ref().clone());
        }
    } else {
        for v in &used {
            variables.insert(v.to_string(), String::new());
        }
    }

    let task = *raw.task.get_ref();
    let labels: Vec<String> = match (&raw.labels, task) {
        (Some(l), Task::Classify) => {
            if l.get_ref().len() < 2 {
                return Err(cx.err(l, "labels", "a classify template needs at least two labels"));
            }
            let mut out: Vec<String> = Vec::new();
            for s in l.get_ref() {
                let v = s.get_ref();
                if v.trim().is_empty() || v.trim() != v {
                    return Err(cx.err(
                        s,
                        "labels",
                        format!("label '{v}' must be non-empty without surrounding spaces"),
                    ));
                }
                if out.iter().any(|o| o.to_lowercase() == v.to_lowercase()) {
                    return Err(cx.err(s, "labels", format!("label '{v}' is listed twice")));
                }
                out.push(v.clone());
            }
            out
        }
        (None, Task::Classify) => {
            return Err(cx.err(
                &raw.task,
                "labels",
                "missing field `labels`: a classify template must list its labels",
            ))
        }
        (Some(l), _) => {
            return Err(cx.err(
                l,
                "labels",
                format!(
                    "labels are for classify templates; this one is `{}`",
                    task.as_str()
                ),
            ))
        }
        (None, _) => Vec::new(),
    };

    let label_descriptions = label_descriptions(&cx, raw.label_descriptions.as_ref(), &labels)?;

    let mut examples = Vec::new();
    for (n, ex) in raw.examples.get_ref().iter().enumerate() {
        let table = ex.get_ref();
        let field = |k: &str| format!("examples[{n}].{k}");
        let Some(output) = table.get("output") else {
            return Err(cx.err(ex, &field("output"), "example has no `output`"));
        };
        let mut vars = BTreeMap::new();
        for v in &used {
            match table.get(*v) {
                Some(val) => {
                    vars.insert(v.to_string(), val.get_ref().clone());
                }
                None => {
                    return Err(cx.err(
                        ex,
                        &field(v),
                        format!("example is missing the variable '{v}' that `input` uses"),
                    ))
                }
            }
        }
        if let Some((k, val)) = table
            .iter()
            .find(|(k, _)| *k != "output" && !used.contains(&k.as_str()))
        {
            return Err(cx.err(
                val,
                &field(k),
                format!("unknown variable '{k}': `input` uses {}", used.join(", ")),
            ));
        }
        if task == Task::Classify && !labels.contains(output.get_ref()) {
            return Err(cx.err(
                output,
                &field("output"),
                format!(
                    "label '{}' is not one of labels ({})",
                    output.get_ref(),
                    labels.join(", ")
                ),
            ));
        }
        if output.get_ref().trim().is_empty() {
            return Err(cx.err(output, &field("output"), "must not be empty"));
        }
        examples.push(Example {
            vars,
            output: output.get_ref().clone(),
            line: cx.line_of(ex.span().start),
        });
    }

    let shots = match &raw.shots {
        Some(s) if *s.get_ref() > examples.len() => {
            return Err(cx.err(
                s,
                "shots",
                format!("{} shots but only {} examples", s.get_ref(), examples.len()),
            ))
        }
        Some(s) => *s.get_ref(),
        None => examples.len().min(3),
    };
    let selection = raw
        .selection
        .as_ref()
        .map(|s| *s.get_ref())
        .unwrap_or_default();
    if selection == Selection::Balanced && task != Task::Classify {
        if let Some(s) = &raw.selection {
            return Err(cx.err(
                s,
                "selection",
                "balanced selection needs labels: only classify templates can use it",
            ));
        }
    }
    if let Some(s) = &raw.sampling {
        s.get_ref()
            .validate()
            .map_err(|m| cx.err(s, "sampling", m))?;
    }
    let grammar = raw.grammar.as_ref().map(|g| g.get_ref().clone());
    if let Some(g) = &raw.grammar {
        grammar_check(&cx, g)?;
    }
    Ok(Template {
        name,
        description: raw.description.get_ref().trim().to_string(),
        task,
        system: raw
            .system
            .as_ref()
            .map(|s| s.get_ref().clone())
            .unwrap_or_default(),
        instruction: raw.instruction.get_ref().clone(),
        input,
        output: raw.output.get_ref().clone(),
        labels,
        label_descriptions,
        examples,
        shots,
        selection,
        grammar,
        sampling: raw.sampling.map(|s| s.into_inner()),
        variables,
        source,
    })
}

/// Parses the grammar as llama.cpp would, pointing at the file line (and the grammar's own
/// line:column) of the first problem.
fn grammar_check(cx: &Ctx, g: &Spanned<String>) -> Result<(), TemplateError> {
    let Err(e) = crate::engine::gbnf::check(g.get_ref()) else {
        return Ok(());
    };
    let start = g.span().start.min(cx.text.len());
    let raw = &cx.text[start..];
    // TOML drops the newline right after an opening ''' or """.
    let skipped = (raw.starts_with("'''\n") || raw.starts_with("\"\"\"\n")) as usize;
    let mut err = cx.err(
        g,
        "grammar",
        format!(
            "grammar line {}, column {}: {}",
            e.line, e.column, e.message
        ),
    );
    err.line = err.line.map(|l| l + skipped + e.line - 1);
    Err(err)
}

/// `[label_descriptions]`: a short sentence per label (classify only; keys must be labels).
fn label_descriptions(
    cx: &Ctx<'_>,
    raw: Option<&Spanned<BTreeMap<String, Spanned<String>>>>,
    labels: &[String],
) -> Result<BTreeMap<String, String>, TemplateError> {
    let Some(table) = raw else {
        return Ok(BTreeMap::new());
    };
    if labels.is_empty() {
        return Err(cx.err(
            table,
            "label_descriptions",
            "label descriptions are for classify templates, which have labels",
        ));
    }
    let mut out = BTreeMap::new();
    for (label, text) in table.get_ref() {
        let field = format!("label_descriptions.{label}");
        if !labels.contains(label) {
            return Err(cx.err(
                text,
                &field,
                format!("'{label}' is not one of labels ({})", labels.join(", ")),
            ));
        }
        if text.get_ref().trim().is_empty() {
            return Err(cx.err(text, &field, "must not be empty"));
        }
        out.insert(label.clone(), text.get_ref().trim().to_string());
    }
    Ok(out)
}
