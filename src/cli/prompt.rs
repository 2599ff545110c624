//! `howdah prompt list|show|render|edit|check`: the template library from the command line.

use crate::cli::output::{eoutln, out, outln};

mod render;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};

use crate::prompt::{user_prompts_dir, Library, Source, Template};
use crate::text::sanitize;

#[derive(Debug, Clone, Args)]
pub struct PromptArgs {
    #[command(subcommand)]
    pub command: PromptCommand,
}

#[derive(Debug, Clone, Subcommand)]
// Parsed once per process by clap: the size of its largest variant costs nothing.
pub enum PromptCommand {
    /// List the templates (built in and yours) with their task and description
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Show a template: its fields, variables, labels and examples
    Show {
        /// Template name (see `howdah prompt list`)
        name: String,
    },
    /// Print the exact prompt a template renders to (with -m: after the model's chat template,
    /// with token counts per section on standard error)
    Render(Box<render::RenderArgs>),
    /// Open a template in $EDITOR (a built-in is first copied to your prompts folder, where it
    /// overrides the built-in), then check it
    Edit {
        /// Template name (see `howdah prompt list`)
        name: String,
    },
    /// Check template files and report each problem with its line and field
    Check {
        /// Template files (.toml)
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

pub fn run(a: &PromptArgs) -> Result<()> {
    let lib = Library::load();
    // Broken files are reported, never fatal: the other templates still work.
    for e in &lib.errors {
        eoutln!("howdah: warning: {}", sanitize(&e.to_string()));
    }
    match &a.command {
        PromptCommand::List { json } => list(&lib, *json),
        PromptCommand::Show { name } => show(lib.find(name).map_err(|e| anyhow!(e))?),
        PromptCommand::Render(r) => render::run(&lib, r),
        PromptCommand::Edit { name } => edit(&lib, name),
        PromptCommand::Check { files } => check(files),
    }
}

fn list(lib: &Library, json: bool) -> Result<()> {
    if json {
        let items: Vec<_> = lib
            .templates
            .iter()
            .map(|t| {
                serde_json::json!({
                    "name": t.name, "task": t.task, "description": t.description,
                    "examples": t.examples.len(), "shots": t.shots, "selection": t.selection,
                    "variables": t.variable_names(), "labels": t.labels, "source": t.source.display(),
                })
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(());
    }
    let width = lib
        .templates
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    outln!(
        "{:width$}  {:8}  {:>8}  DESCRIPTION",
        "NAME",
        "TASK",
        "EXAMPLES"
    );
    for t in &lib.templates {
        let user = if matches!(t.source, Source::User(_)) {
            " (yours)"
        } else {
            ""
        };
        outln!(
            "{:width$}  {:8}  {:>8}  {}{user}",
            t.name,
            t.task.as_str(),
            t.examples.len(),
            sanitize(&t.description)
        );
    }
    Ok(())
}

fn show(t: &Template) -> Result<()> {
    let mut out = String::new();
    out.push_str(&format!("name:        {}\n", t.name));
    out.push_str(&format!("description: {}\n", t.description));
    out.push_str(&format!("task:        {}\n", t.task.as_str()));
    out.push_str(&format!("source:      {}\n", t.source.display()));
    out.push_str(&format!(
        "shots:       {} (selection {})\n",
        t.shots,
        t.selection.as_str()
    ));
    if !t.labels.is_empty() {
        out.push_str(&format!("labels:      {}\n", t.labels.join(", ")));
    }
    out.push_str("variables:\n");
    for v in t.variable_names() {
        let desc = t.variables.get(v).map(String::as_str).unwrap_or_default();
        out.push_str(&format!("  {v}  {desc}\n"));
    }
    if !t.system.is_empty() {
        out.push_str(&format!("system:\n  {}\n", indent(&t.system)));
    }
    out.push_str(&format!("instruction:\n  {}\n", indent(&t.instruction)));
    out.push_str(&format!(
        "input:       {}\n",
        t.input.source().replace('\n', "\\n")
    ));
    out.push_str(&format!("output:      {}\n", t.output.replace('\n', "\\n")));
    if let Some(g) = &t.grammar {
        out.push_str(&format!("grammar:\n  {}\n", indent(g.trim())));
    }
    out.push_str(&format!("examples ({}):\n", t.examples.len()));
    for (i, ex) in t.examples.iter().enumerate() {
        let input = t.input.fill(&ex.vars).unwrap_or_default();
        out.push_str(&format!("  [{i}] {}\n", indent_by(&input, 6)));
        out.push_str(&format!("      -> {}\n", indent_by(&ex.output, 9)));
    }
    out!("{}", sanitize(&out));
    Ok(())
}

fn indent(s: &str) -> String {
    indent_by(s, 2)
}

fn indent_by(s: &str, n: usize) -> String {
    s.replace('\n', &format!("\n{}", " ".repeat(n)))
}

fn edit(lib: &Library, name: &str) -> Result<()> {
    let dir = user_prompts_dir();
    let path = match lib.get(name) {
        Some(t) => t.ensure_user_file(&dir).map_err(|e| anyhow!(e))?,
        // A user file that failed to load can still be opened to fix it.
        None => {
            let p = Template::user_path(&dir, name).map_err(|e| anyhow!(e))?;
            if !p.exists() {
                lib.find(name).map_err(|e| anyhow!(e))?;
            }
            p
        }
    };
    let cmd = crate::prompt::editor_command();
    let status = Command::new(&cmd[0])
        .args(&cmd[1..])
        .arg(&path)
        .status()
        .with_context(|| format!("cannot start the editor '{}': set $EDITOR", cmd.join(" ")))?;
    if !status.success() {
        bail!("the editor '{}' failed ({status})", cmd.join(" "));
    }
    check_one(&path).map_err(|e| anyhow!("{e}\nfix it with: howdah prompt edit {name}"))?;
    outln!("{}: ok", path.display());
    Ok(())
}

fn check_one(path: &Path) -> Result<Template> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + before.iter().rev().take_while(|&&b| b != b'\n').count();
        anyhow!(
            "{}: not valid UTF-8 at byte {at} (line {line}, column {column}): save the file as UTF-8",
            path.display()
        )
    })?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    Template::parse(&text, stem, Source::User(path.to_path_buf()))
        .map_err(|e| anyhow!(sanitize(&e.to_string())))
}

fn check(files: &[PathBuf]) -> Result<()> {
    let mut failed = 0;
    for f in files {
        match check_one(f) {
            Ok(t) => outln!(
                "{}: ok ({}, {} examples)",
                f.display(),
                t.task.as_str(),
                t.examples.len()
            ),
            Err(e) => {
                eoutln!("{e}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} template files have errors", files.len());
    }
    Ok(())
}
