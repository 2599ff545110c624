//! The chat layout from the outside: `howdah chat-template`, overrides, the fallback notice for
//! a template that does not work, and generation ending on an end-of-generation token that is
//! not the vocabulary's EOS.

mod cli_support;
mod common;
mod gguf_support;
mod support;

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use cli_support::{output_at, text};
use howdah::engine::{ChatMessage, Prompt, Sampling, StopReason};

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

const MESSAGES: &str =
    r#"[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]"#;

#[test]
fn chat_template_prints_the_models_own_rendering() {
    let d = tempfile::tempdir().unwrap();
    let msgs = write(d.path(), "m.json", MESSAGES);
    let model = common::smollm2();
    let m = model.to_string_lossy();
    let o = output_at(
        d.path(),
        &["chat-template", "-m", &m, &msgs.to_string_lossy()],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    );
    assert!(
        text(&o.stderr).contains("chat template: jinja"),
        "{}",
        text(&o.stderr)
    );
    let o = output_at(
        d.path(),
        &[
            "chat-template",
            "-m",
            &m,
            "--no-generation-prompt",
            &msgs.to_string_lossy(),
        ],
    );
    assert_eq!(
        text(&o.stdout),
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
    );
    // A file replaces the model's template; a name picks a built-in layout.
    let file = write(
        d.path(),
        "mine.jinja",
        "{% for m in messages %}[{{ m.role | upper }}] {{ m.content.strip() }}\n{% endfor %}{% if add_generation_prompt %}[ASSISTANT]{% endif %}",
    );
    let o = output_at(
        d.path(),
        &[
            "chat-template",
            "-m",
            &m,
            "--chat-template-file",
            &file.to_string_lossy(),
            &msgs.to_string_lossy(),
        ],
    );
    assert_eq!(
        text(&o.stdout),
        "[SYSTEM] Be brief.\n[USER] Hi\n[ASSISTANT]"
    );
    assert!(
        text(&o.stderr).contains("jinja from mine.jinja"),
        "{}",
        text(&o.stderr)
    );
    let o = output_at(
        d.path(),
        &[
            "chat-template",
            "-m",
            &m,
            "--chat-template",
            "llama3",
            &msgs.to_string_lossy(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"));
    assert!(
        text(&o.stderr).contains("built-in llama3"),
        "{}",
        text(&o.stderr)
    );
    let o = output_at(
        d.path(),
        &[
            "chat-template",
            "-m",
            &m,
            "--chat-template",
            "nosuch",
            &msgs.to_string_lossy(),
        ],
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("unknown chat template name 'nosuch'"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_broken_template_falls_back_and_says_so() {
    let d = tempfile::tempdir().unwrap();
    let msgs = write(d.path(), "m.json", MESSAGES);
    let model = common::smollm2();
    let m = model.to_string_lossy();
    // ChatML markers but an unknown filter: llama.cpp's built-in chatml layout takes over.
    let chatml = write(
        d.path(),
        "broken-chatml.jinja",
        "{% for m in messages %}<|im_start|>{{ m.role | nosuchfilter }}\n{{ m.content }}<|im_end|>\n{% endfor %}",
    );
    let o = output_at(
        d.path(),
        &[
            "chat-template",
            "-m",
            &m,
            "--chat-template-file",
            &chatml.to_string_lossy(),
            &msgs.to_string_lossy(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("built-in chatml"), "{err}");
    assert!(
        err.contains("template failed") && err.contains("nosuchfilter"),
        "{err}"
    );
    assert!(text(&o.stdout).ends_with("<|im_start|>assistant\n"));
    // Nothing recognisable at all: the plain layout, and `run --json` says it too.
    let junk = write(d.path(), "junk.jinja", "{% if %}");
    let o = output_at(
        d.path(),
        &[
            "run",
            "-m",
            &m,
            "--chat-template-file",
            &junk.to_string_lossy(),
            "--json",
            "--temp",
            "0",
            "-n",
            "4",
            "--no-save",
            "-p",
            "Hi",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let label = v["chat_template"].as_str().unwrap();
    assert!(
        label.starts_with("plain from junk.jinja (template failed: "),
        "{label}"
    );
    assert_eq!(v["model"]["chat_format"]["kind"], "plain");
    assert!(
        text(&o.stderr).contains("template failed"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_config_override_applies_per_model_and_models_lists_the_layout() {
    let d = tempfile::tempdir().unwrap();
    let msgs = write(d.path(), "m.json", MESSAGES);
    let model = common::smollm2();
    let cfg_dir = d.path().join("cfg");
    std::fs::create_dir_all(&cfg_dir).unwrap();
    write(
        &cfg_dir,
        "t.jinja",
        "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}",
    );
    let cfg = write(
        &cfg_dir,
        "config.toml",
        &format!(
            "[chat_templates]\n\"{}\" = \"t.jinja\"\n",
            model.file_name().unwrap().to_string_lossy()
        ),
    );
    let o = output_at(
        d.path(),
        &[
            "--config",
            &cfg.to_string_lossy(),
            "chat-template",
            "-m",
            &model.to_string_lossy(),
            &msgs.to_string_lossy(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "<system>Be brief.<user>Hi");
    // `howdah models` names the layout each file gets.
    let models = d.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::os::unix::fs::symlink(&model, models.join(model.file_name().unwrap())).unwrap();
    std::os::unix::fs::symlink(common::gemma(), models.join("gemma.gguf")).unwrap();
    let o = output_at(
        d.path(),
        &[
            "models",
            "--models-dir",
            &models.to_string_lossy(),
            "--json",
        ],
    );
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let kind_of = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|m| m["file_name"] == name)
            .map(|m| m["chat_format"]["kind"].clone())
    };
    assert_eq!(
        kind_of(&model.file_name().unwrap().to_string_lossy()),
        Some("jinja".into())
    );
    let gemma_kind = kind_of("gemma.gguf").expect("gemma listed");
    assert!(
        gemma_kind == "jinja" || gemma_kind == "plain",
        "{gemma_kind}"
    );
}

/// Offset of a u32 metadata value in a GGUF file, by key.
fn u32_value_offset(f: &mut std::fs::File, want: &str) -> u64 {
    let rd = |n: usize, f: &mut std::fs::File| {
        let mut b = vec![0u8; n];
        f.read_exact(&mut b).unwrap();
        b
    };
    f.seek(SeekFrom::Start(0)).unwrap();
    assert_eq!(&rd(4, f), b"GGUF");
    rd(4 + 8, f);
    let n_kv = u64::from_le_bytes(rd(8, f).try_into().unwrap());
    fn skip(f: &mut std::fs::File, ty: u32) {
        let mut b8 = [0u8; 8];
        let size = match ty {
            0 | 1 | 7 => 1,
            2 | 3 => 2,
            4..=6 => 4,
            10..=12 => 8,
            8 => {
                f.read_exact(&mut b8).unwrap();
                u64::from_le_bytes(b8) as i64
            }
            9 => {
                let mut b4 = [0u8; 4];
                f.read_exact(&mut b4).unwrap();
                let inner = u32::from_le_bytes(b4);
                f.read_exact(&mut b8).unwrap();
                for _ in 0..u64::from_le_bytes(b8) {
                    skip(f, inner);
                }
                0
            }
            t => panic!("unknown GGUF type {t}"),
        };
        f.seek(SeekFrom::Current(size)).unwrap();
    }
    for _ in 0..n_kv {
        let len = u64::from_le_bytes(rd(8, f).try_into().unwrap()) as usize;
        let key = String::from_utf8(rd(len, f)).unwrap();
        let ty = u32::from_le_bytes(rd(4, f).try_into().unwrap());
        if key == want {
            assert_eq!(ty, 4, "{want} is a u32");
            return f.stream_position().unwrap();
        }
        skip(f, ty);
    }
    panic!("{want} not in the file");
}

#[test]
fn generation_stops_on_an_end_of_generation_token_that_is_not_eos() {
    // A copy of SmolLM2 whose EOS is <|endoftext|> (0): <|im_end|> (2), which ends every chat
    // reply, is then only an end-of-generation token, found by llama.cpp from its text.
    let d = tempfile::tempdir().unwrap();
    let copy = d.path().join("smol-eos0.gguf");
    std::fs::copy(common::smollm2(), &copy).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&copy)
        .unwrap();
    let at = u32_value_offset(&mut f, "tokenizer.ggml.eos_token_id");
    f.seek(SeekFrom::Start(at)).unwrap();
    let mut old = [0u8; 4];
    f.read_exact(&mut old).unwrap();
    assert_eq!(u32::from_le_bytes(old), 2, "SmolLM2's EOS is <|im_end|>");
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(&0u32.to_le_bytes()).unwrap();
    drop(f);
    let h = howdah::gguf::read_header(&copy).unwrap();
    assert_eq!(h.int("tokenizer.ggml.eos_token_id"), Some(0));

    let prompt = Prompt::Chat(vec![ChatMessage::user("Say hello in three words.")]);
    let sampling = Sampling {
        max_tokens: 96,
        ..Sampling::greedy()
    };
    let reply = |path: PathBuf| {
        let (engine, _) = common::engine_with(path, Some(512));
        engine
            .generate_one(prompt.clone(), sampling.clone(), |_| {})
            .unwrap()
    };
    let original = reply(common::smollm2());
    let crafted = reply(copy);
    assert_eq!(original.stop, StopReason::Eos);
    assert_eq!(crafted.stop, StopReason::Eos, "{crafted:?}");
    assert!(crafted.generated_tokens < 96);
    assert_eq!(crafted.text, original.text, "stops at the same <|im_end|>");
    assert!(!crafted.text.contains("<|im_end|>"));
}

#[test]
fn a_template_that_fails_for_one_conversation_says_so_with_the_reply() {
    // ChatML that loads fine but raises on one word: that send falls back to llama.cpp's
    // built-in chatml, and `run` says so on stderr and in --json; other sends are untouched.
    let d = tempfile::tempdir().unwrap();
    let m = common::smollm2();
    let picky = write(
        d.path(),
        "picky.jinja",
        "{% for m in messages %}{% if 'forbidden' in m.content %}{{ raise_exception('no forbidden words here') }}{% endif %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
    );
    let run = |prompt: &str, json: bool| {
        let mut args = vec![
            "run",
            "-m",
            m.to_str().unwrap(),
            "--chat-template-file",
            picky.to_str().unwrap(),
            "--temp",
            "0",
            "-n",
            "4",
            "-t",
            "2",
            "--no-save",
            "-p",
            prompt,
        ];
        if json {
            args.push("--json");
        }
        let o = output_at(d.path(), &args);
        assert!(o.status.success(), "{}", text(&o.stderr));
        o
    };
    let o = run("Say a forbidden word", true);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["chat_template"], "jinja from picky.jinja");
    let why = v["template_fallback"]
        .as_str()
        .expect("the fallback is in --json");
    assert!(
        why.contains("no forbidden words here") && why.contains("built-in layout"),
        "{why}"
    );
    assert_eq!(v["stats"]["template_fallback"], why);
    let err = text(&o.stderr);
    assert!(
        err.contains("chat template failed for this conversation")
            && err.contains("no forbidden words here"),
        "{err}"
    );
    let o = run("Say a nice word", false);
    assert!(
        !text(&o.stderr).contains("chat template failed"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_gguf_whose_own_template_is_broken_or_unknown_says_which_layout_it_gets() {
    // Copies of SmolLM2 whose `tokenizer.chat_template` is written here: ChatML with an unknown
    // filter (llama.cpp's built-in chatml takes over, said everywhere), and a layout no
    // built-in family knows but that renders fine (used as is, no notice).
    let d = tempfile::tempdir().unwrap();
    let models = d.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let smol = common::smollm2();
    let broken = models.join("smol-broken.gguf");
    gguf_support::with_chat_template(
        &smol,
        &broken,
        Some("{% for m in messages %}<|im_start|>{{ m.role | nosuchfilter }}\n{{ m.content }}<|im_end|>\n{% endfor %}"),
    );
    let custom = models.join("smol-custom.gguf");
    gguf_support::with_chat_template(
        &smol,
        &custom,
        Some("{% for m in messages %}### {{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}### assistant:{% endif %}"),
    );
    let dir = models.to_string_lossy();
    let o = output_at(d.path(), &["models", "--models-dir", &dir, "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let format_of = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|m| m["file_name"] == name)
            .map(|m| m["chat_format"].clone())
            .unwrap_or_else(|| panic!("{name} not listed: {list}"))
    };
    let b = format_of("smol-broken.gguf");
    assert_eq!(
        (&b["kind"], &b["family"]),
        (&"built_in".into(), &"chatml".into()),
        "{b}"
    );
    assert!(
        b["fallback"].as_str().unwrap().contains("nosuchfilter"),
        "{b}"
    );
    let c = format_of("smol-custom.gguf");
    assert_eq!(c["kind"], "jinja", "{c}");
    assert!(c.get("fallback").is_none(), "{c}");
    let o = output_at(d.path(), &["models", "--models-dir", &dir]);
    let table = text(&o.stdout);
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or("")
            .to_string()
    };
    assert!(
        row("smol-broken.gguf").contains("built-in chatml (template failed: ")
            && row("smol-broken.gguf").contains("nosuchfilter"),
        "{table}"
    );
    assert!(row("smol-custom.gguf").ends_with("jinja"), "{table}");

    // `run --json` says the fallback, and the reply still comes.
    let o = output_at(
        d.path(),
        &[
            "run",
            "-m",
            &broken.to_string_lossy(),
            "--json",
            "--temp",
            "0",
            "-n",
            "4",
            "-t",
            "2",
            "--no-save",
            "-p",
            "Hi",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let label = v["chat_template"].as_str().unwrap();
    assert!(
        label.starts_with("built-in chatml (template failed: "),
        "{label}"
    );
    assert_eq!(v["model"]["chat_format"]["kind"], "built_in");
    assert!(
        text(&o.stderr).contains("template failed"),
        "{}",
        text(&o.stderr)
    );

    // The unknown template is the model's own, rendered byte for byte.
    let msgs = write(d.path(), "m.json", MESSAGES);
    let o = output_at(
        d.path(),
        &[
            "chat-template",
            "-m",
            &custom.to_string_lossy(),
            &msgs.to_string_lossy(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        "### system: Be brief.\n### user: Hi\n### assistant:"
    );
    assert!(
        text(&o.stderr).contains("chat template: jinja"),
        "{}",
        text(&o.stderr)
    );

    // The TUI's status bar, with what the engine reports for the broken file.
    let (_engine, info) = common::engine_with(broken, Some(512));
    let mut h = support::Harness::new(160, 30);
    h.engine(
        howdah::ui::action::Tag::Load,
        howdah::engine::EventKind::Loaded(info),
    );
    let screen = h.screen();
    let status = screen
        .lines()
        .rev()
        .find(|l| l.contains("template:"))
        .unwrap_or("");
    assert!(
        status.contains("template: built-in chatml (template fail"),
        "{screen}"
    );
    assert!(
        screen.contains("nosuchfilter"),
        "the notice names the error: {screen}"
    );
}
