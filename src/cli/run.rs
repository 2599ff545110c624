//! `howdah run`: one prompt, the reply streamed to stdout (or one JSON object with --json). The
//! exchange is saved as a session (unless `--no-save`); `--session` continues a saved one.

use crate::cli::output::{self, eoutln, outln};

use std::io::{IsTerminal, Read};

use anyhow::{bail, Result};
use clap::Args;

use super::args::{model_path, EngineArgs, ModelArgs, SamplingArgs};
use crate::engine::{Engine, EngineSettings, Role};
use crate::session::record::{model_ref, reply_record, ReplyInput};
use crate::session::replay::{locate_model, prompt_for};
use crate::session::{Message, PromptMode, ReplyRecord, Session, SessionFile, SessionKind, Store};
use crate::text::sanitize;

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    /// The prompt (read from standard input when omitted)
    #[arg(short = 'p', long = "prompt")]
    pub prompt: Option<String>,
    /// System prompt (chat mode)
    #[arg(long = "system")]
    pub system: Option<String>,
    /// Completion mode: continue the prompt as raw text, without the chat template
    #[arg(long)]
    pub raw: bool,
    /// Print one JSON object with the text, tokens and stats instead of streaming
    #[arg(long)]
    pub json: bool,
    /// Continue a saved conversation (an id from `howdah session list`, or a path) with this
    /// prompt as a new user turn; its model and sampling are reused unless flags say otherwise
    #[arg(long = "session", value_name = "SESSION")]
    pub session: Option<String>,
    /// Do not save the exchange as a session
    #[arg(long = "no-save")]
    pub no_save: bool,
}

pub fn run(a: &RunArgs) -> Result<()> {
    const USAGE: &str = "usage: howdah run -p PROMPT [OPTIONS], or: echo PROMPT | howdah run [OPTIONS] (howdah run --help lists the options)";
    let prompt_text = match &a.prompt {
        Some(p) => p.clone(),
        None if !std::io::stdin().is_terminal() => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            if s.trim().is_empty() {
                bail!("no prompt: nothing came on standard input and -p was not given\n{USAGE}");
            }
            s
        }
        None => bail!("no prompt: pass -p PROMPT or pipe text into howdah run\n{USAGE}"),
    };
    if prompt_text.trim().is_empty() {
        bail!("the prompt is empty: give some text with -p\n{USAGE}");
    }
    let store = Store::user();
    let previous = match &a.session {
        Some(spec) => Some(open_chat(&store, spec, a)?),
        None => None,
    };
    let last: Option<ReplyRecord> = previous.as_ref().and_then(|f| {
        f.session
            .messages
            .iter()
            .rev()
            .find_map(|m| m.reply.as_deref().cloned())
    });
    let sampling = a.sampling.apply(
        last.as_ref()
            .map(|r| r.sampling.clone())
            .unwrap_or_default(),
    )?;
    let remote = super::backend::selected()?;
    let path = match (&a.model.model, &last, &previous) {
        _ if remote.is_some() => Default::default(),
        (None, Some(r), _) => locate_model(&r.model).map_err(anyhow::Error::msg)?,
        (None, None, Some(f)) if f.session.model_hint.is_some() => {
            let hint = f.session.model_hint.clone().unwrap_or_default();
            crate::model::discover::resolve(&hint, &a.model.models_dir)
                .map_err(anyhow::Error::msg)?
        }
        _ => model_path(&a.model)?,
    };
    let mut settings: EngineSettings = super::args::settings_for(&a.engine, &path);
    if let Some(r) = &last {
        // Continuing keeps the recorded threads and context unless given again.
        settings.threads = settings.threads.or(r.engine.threads);
        settings.n_ctx = settings.n_ctx.or(r.engine.n_ctx);
        if a.engine.chat_template_file.is_none() && a.engine.chat_template.is_none() {
            settings.chat_template = r.engine.chat_template.clone().or(settings.chat_template);
        }
    }
    let (engine, info) = match remote {
        Some(b) => super::backend::connect(b, a.model.model.as_deref())?,
        None => {
            super::values::check_engine(&path, &settings)?;
            let engine = Engine::spawn()?;
            let info = engine.load(&path, settings.clone())?;
            (engine, info)
        }
    };
    let mode = if a.raw || last.as_ref().is_some_and(|r| r.mode == PromptMode::Raw) {
        PromptMode::Raw
    } else {
        PromptMode::Chat
    };
    if mode == PromptMode::Raw {
        if a.system.is_some() {
            eoutln!("howdah: --system is ignored with --raw (no chat template is applied)");
        }
    } else if info.chat_format.fallback.is_some()
        || info.chat_format.kind != crate::chat_template::FormatKind::Jinja
    {
        eoutln!(
            "howdah: {}: chat template: {}{}",
            info.file_name,
            sanitize(&info.chat_format.label()),
            if info.chat_format.kind == crate::chat_template::FormatKind::Plain {
                " ('User:/Assistant:' layout; --raw continues the text as is)"
            } else {
                ""
            }
        );
    }
    let mut messages: Vec<Message> = previous
        .as_ref()
        .map(|f| f.session.messages.clone())
        .unwrap_or_default();
    // What is sent is exactly what is saved (saving strips control sequences), so a replay
    // sends the same prompt.
    if let (Some(s), PromptMode::Chat, None) = (&a.system, mode, &previous) {
        messages.push(Message::new(Role::System, sanitize(s)));
    }
    let user = Message::new(Role::User, sanitize(&prompt_text));
    messages.push(user.clone());
    let prompt = prompt_for(&messages, mode);
    // A continued session gets the user turn before the model starts; a new one is created only
    // once the reply has ended (or failed), so a killed run leaves no session without a reply.
    let mut file: Option<SessionFile> = match previous {
        Some(mut f) if !a.no_save => {
            f.push(user)?;
            Some(f)
        }
        _ => None,
    };
    let create_new = |file: &mut Option<SessionFile>| -> Result<()> {
        if file.is_none() && !a.no_save {
            let mut s = Session::new(SessionKind::Chat);
            s.messages = messages.clone();
            *file = Some(store.create(s)?);
        }
        Ok(())
    };
    let mut tokens = Vec::new();
    let json = a.json;
    let result = engine.generate_one(prompt, sampling.clone(), |t| {
        if json {
            if t.token_id >= 0 {
                tokens.push(serde_json::json!({
                    "id": t.token_id, "text": t.piece, "logprob": t.logprob,
                }));
            }
        } else if output::try_out(&t.text).is_err() {
            // The reader is gone (`| head -c 20`): stop generating now; the partial reply
            // is still saved below.
            engine.cancel_all();
        }
    });
    create_new(&mut file)?;
    let done = match result {
        Ok(d) => d,
        Err(e) => {
            if let Some(f) = &file {
                eoutln!("howdah: session saved to {}", f.path.display());
            }
            return Err(e.into());
        }
    };
    if let Some(f) = &mut file {
        let mref = model_ref(&info);
        let record = reply_record(ReplyInput {
            model: &mref,
            info: &info,
            asked: &settings,
            sampling: &sampling,
            mode,
            setup: None,
            prompt: None,
            done: &done,
        });
        f.push(Message::reply(done.text.clone(), record))?;
    }
    let session_path = file.as_ref().map(|f| f.path.clone());
    if let Some(why) = &done.template_fallback {
        eoutln!(
            "howdah: {}: chat template failed for this conversation: {}",
            info.file_name,
            sanitize(why)
        );
    }
    if json {
        let v = serde_json::json!({
            "text": done.text,
            "tokens": tokens,
            "stats": done,
            "chat_template": info.chat_format.label(),
            "template_fallback": done.template_fallback,
            "model": info,
            "sampling": sampling,
            "session": session_path,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        outln!();
        if done.dropped_messages > 0 {
            eoutln!(
                "howdah: {} earlier messages were dropped to fit the context",
                done.dropped_messages
            );
        }
    }
    if let Some(p) = session_path {
        eoutln!("howdah: session saved to {}", p.display());
    }
    Ok(())
}

/// Opens a saved chat to continue; a new system prompt would rewrite its history, so refuse it.
fn open_chat(store: &Store, spec: &str, a: &RunArgs) -> Result<SessionFile> {
    let f = store.open(spec)?;
    if f.session.kind != SessionKind::Chat {
        bail!(
            "{}: a {} session cannot be continued as a chat",
            f.path.display(),
            f.session.kind.as_str()
        );
    }
    if a.system.is_some() {
        bail!(
            "--system cannot be used with --session: the system prompt is part of the saved conversation ({}); start a new session to change it",
            f.path.display()
        );
    }
    Ok(f)
}
