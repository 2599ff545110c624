//! The command line (clap): the TUI by default, and headless commands for scripts and tests.

use crate::cli::output::eoutln;

mod arena;
pub mod args;
pub mod backend;
mod bench;
pub mod bench_chat;
mod chat_template;
mod compare;
mod embed;
mod eval;
mod interrupt;
mod models;
mod multi;
pub mod output;
mod prompt;
mod pull;
mod replay;
mod run;
mod session;
mod stderr_capture;
mod tui;
pub(crate) mod values;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use args::{EngineArgs, ModelArgs};

#[derive(Debug, Parser)]
#[command(
    name = "howdah",
    version,
    about = "Chat with local language models and engineer prompts, in the terminal",
    after_help = "Without a command, howdah starts the full-screen chat. `howdah models` lists the models it can find."
)]
pub struct Cli {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub backend: backend::BackendArgs,
    /// Config file to use instead of the one in the config folder
    #[arg(long = "config", global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Embedding model for `similar` selection, `--method embed` and `howdah embed`: a path or a
    /// name `howdah models` lists (default: all-MiniLM-L6-v2 when installed)
    #[arg(long = "embed-model", global = true, value_name = "MODEL")]
    pub embed_model: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one prompt and stream the reply to stdout
    Run(run::RunArgs),
    /// List the GGUF models howdah can find
    Models {
        #[command(flatten)]
        model: ModelArgs,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Measure prompt processing and generation speed (like llama-bench)
    Bench(bench::BenchArgs),
    /// Run a template's zero-, one- and few-shot variants side by side on one input
    Compare(compare::CompareArgs),
    /// Evaluate a classify template's variants on a labelled CSV or JSONL file
    Eval(eval::EvalArgs),
    /// Print texts' embedding vectors and, for two or more, their cosine similarities
    Embed(embed::EmbedArgs),
    /// Prompt templates: list, show and render zero-, one- and few-shot prompts
    Prompt(prompt::PromptArgs),
    /// List, show, search, export, import, rename or delete saved sessions
    Session(session::SessionArgs),
    /// Download a GGUF model from Hugging Face (OWNER/NAME[:QUANT]) into the shared cache
    Pull(pull::PullArgs),
    /// Print the exact prompt an OpenAI `messages` JSON file becomes through a model's chat template
    ChatTemplate(chat_template::ChatTemplateArgs),
    /// Run a saved chat's user turns again and compare the replies (--check: regression test)
    Replay(replay::ReplayArgs),
    /// Blind A/B: two anonymous replies to one prompt, a vote, and ratings over all votes
    Arena(arena::ArenaArgs),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let argv = args::normalize_argv(std::env::args_os());
    let cli = match Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            // Rendered plain and sanitized: the error quotes the arguments, which may hold
            // control characters (U+009B is a CSI on some terminals).
            let text = e.render().to_string();
            if e.use_stderr() {
                output::err_str(&text);
            } else {
                output::out_str(&text);
            }
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    crate::logging::init();
    // Temp files of saves killed half-way (kill -9) are removed once their process is gone.
    let _ = crate::session::stale::clean(&crate::paths::sessions_dir());
    // The TUI sends fd 2 to the log file itself.
    let capture = cli
        .command
        .as_ref()
        .and_then(|_| stderr_capture::Capture::start());
    backend::remember(&cli.backend, cli.config.clone());
    args::set_config_path(cli.config.clone());
    crate::embed_model::configure(embed::choice(&cli));
    crate::embed_model::on_warning(|w| output::err_str(&format!("howdah: warning: {w}\n")));
    let result = match &cli.command {
        Some(Command::Run(a)) => run::run(a),
        Some(Command::Models { model, json }) => models::run(model, *json),
        Some(Command::Bench(a)) => bench::run(a),
        Some(Command::Compare(a)) => compare::run(a),
        Some(Command::Eval(a)) => eval::run(a),
        Some(Command::Embed(a)) => embed::run(a),
        Some(Command::Prompt(a)) => prompt::run(a),
        Some(Command::Session(a)) => session::run(a),
        Some(Command::Replay(a)) => replay::run(a),
        Some(Command::Pull(a)) => pull::run(a),
        Some(Command::ChatTemplate(a)) => chat_template::run(a),
        Some(Command::Arena(a)) => arena::run(a),
        None => tui::run(&cli),
    };
    if let Some(c) = capture {
        c.finish();
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<interrupt::Interrupted>() => {
            eoutln!("howdah: {e}");
            ExitCode::from(interrupt::INTERRUPTED_STATUS)
        }
        Err(e) => {
            eoutln!("howdah: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
