//! `howdah prompt list|show|render`, running the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Env {
    config: tempfile::TempDir,
    data: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            config: tempfile::tempdir().unwrap(),
            data: tempfile::tempdir().unwrap(),
        }
    }

    fn prompts(&self) -> PathBuf {
        let p = self.config.path().join("prompts");
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_howdah"))
            .args(args)
            .env("HOWDAH_CONFIG_DIR", self.config.path())
            .env("HOWDAH_DATA_DIR", self.data.path())
            .output()
            .expect("run howdah")
    }
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn golden(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|_| panic!("{} missing", p.display()))
}

#[test]
fn list_shows_builtins_user_templates_and_warns_about_broken_files() {
    let env = Env::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts/topic.toml");
    let mine = std::fs::read_to_string(src)
        .unwrap()
        .replace("name = \"topic\"", "name = \"my-topic\"");
    std::fs::write(env.prompts().join("my-topic.toml"), mine).unwrap();
    std::fs::write(
        env.prompts().join("broken.toml"),
        "name = \"broken\"\ntask = 3\n",
    )
    .unwrap();
    let o = env.run(&["prompt", "list"]);
    assert!(o.status.success(), "{}", err(&o));
    let stdout = out(&o);
    for name in [
        "sentiment ",
        "sentiment-3way",
        "topic ",
        "entities-json",
        "en-fr",
        "qa ",
        "arithmetic",
        "summarize",
        "sentiment-zh",
        "code ",
    ] {
        assert!(stdout.contains(name), "{name} missing from:\n{stdout}");
    }
    assert!(
        stdout.contains("my-topic") && stdout.contains("(yours)"),
        "{stdout}"
    );
    let stderr = err(&o);
    assert!(stderr.contains("broken.toml:2: field `task`"), "{stderr}");

    let o = env.run(&["prompt", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"sentiment") && names.contains(&"my-topic"),
        "{names:?}"
    );
}

#[test]
fn show_prints_the_fields() {
    let env = Env::new();
    let o = env.run(&["prompt", "show", "sentiment"]);
    assert!(o.status.success(), "{}", err(&o));
    let s = out(&o);
    assert!(s.contains("labels:      positive, negative"), "{s}");
    assert!(s.contains("shots:       4 (selection balanced)"), "{s}");
    assert!(s.contains("[0] Review: I loved this movie."), "{s}");
    let o = env.run(&["prompt", "show", "nope"]);
    assert!(!o.status.success());
    assert!(
        err(&o).contains("no template named 'nope'") && err(&o).contains("sentiment"),
        "{}",
        err(&o)
    );
    let o = env.run(&["prompt", "show", "../etc/passwd"]);
    assert!(!o.status.success());
}

#[test]
fn render_prints_exactly_the_golden_prompt() {
    let env = Env::new();
    let input = "The soundtrack was lovely but the ending dragged.";
    let o = env.run(&[
        "prompt",
        "render",
        "sentiment",
        "--mode",
        "completion",
        "-k",
        "3",
        "--selection",
        "first",
        "--var",
        &format!("text={input}"),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), golden("sentiment-completion-k3.txt"));
    // The positional input fills a single-variable template; chat mode is the default without a model.
    let o = env.run(&[
        "prompt",
        "render",
        "sentiment",
        input,
        "-k",
        "1",
        "--selection",
        "first",
    ]);
    assert_eq!(out(&o), golden("sentiment-chat-k1.txt"));
    let o = env.run(&[
        "prompt",
        "render",
        "sentiment",
        input,
        "-k",
        "2",
        "--selection",
        "random",
        "--seed",
        "3",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["mode"], "chat");
    assert_eq!(v["examples"].as_array().unwrap().len(), 2);
}

#[test]
fn render_errors_name_the_problem() {
    let env = Env::new();
    let o = env.run(&["prompt", "render", "qa", "--var", "question=Why?"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("needs the variable 'passage'"),
        "{}",
        err(&o)
    );
    let o = env.run(&["prompt", "render", "qa", "just text"]);
    assert!(
        err(&o).contains("has 2 variables (passage, question)"),
        "{}",
        err(&o)
    );
    let o = env.run(&["prompt", "render", "sentiment", "--var", "text"]);
    assert!(err(&o).contains("--var needs KEY=VALUE"), "{}", err(&o));
    let o = env.run(&[
        "prompt",
        "render",
        "sentiment",
        "x",
        "--selection",
        "nearest",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("use first, random, balanced or similar"),
        "{}",
        err(&o)
    );
    let o = env.run(&["prompt", "render", "sentiment", "x", "-k", "20"]);
    assert!(err(&o).contains("cannot use 20 shots"), "{}", err(&o));
    let o = env.run(&[
        "prompt",
        "render",
        "sentiment",
        "x",
        "--selection",
        "similar",
    ]);
    assert!(
        err(&o).contains("similar selection needs a model"),
        "{}",
        err(&o)
    );
}

#[test]
fn render_with_a_model_applies_its_chat_template_and_counts_tokens() {
    let model = howdah::paths::models_dir().join("SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(
        model.exists(),
        "{} is missing: run `make models`",
        model.display()
    );
    let env = Env::new();
    let o = env.run(&[
        "prompt",
        "render",
        "sentiment",
        "Great value.",
        "-k",
        "2",
        "-m",
        model.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let s = out(&o);
    assert!(
        s.starts_with("<|im_start|>system\nClassify the sentiment"),
        "{s}"
    );
    assert!(
        s.ends_with("<|im_start|>user\nReview: Great value.<|im_end|>\n<|im_start|>assistant\n"),
        "{s}"
    );
    let e = err(&o);
    for row in [
        "system+instruction",
        "examples",
        "input",
        "template markup",
        "total",
    ] {
        assert!(e.contains(row), "{row} missing from:\n{e}");
    }
    assert!(e.contains("% of the context"), "{e}");
}

#[cfg(unix)]
#[test]
fn edit_copies_a_builtin_opens_the_editor_and_checks_the_result() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let script = env.data.path().join("fake-editor.sh");
    // A scripted "editor": renames the output prefix in the file it is given.
    std::fs::write(
        &script,
        "#!/bin/sh\nsed -i 's/^output = \"Sentiment:\"/output = \"Feeling:\"/' \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = |editor: &Path, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_howdah"))
            .args(args)
            .env("HOWDAH_CONFIG_DIR", env.config.path())
            .env("HOWDAH_DATA_DIR", env.data.path())
            .env_remove("VISUAL")
            .env("EDITOR", editor)
            .output()
            .unwrap()
    };
    let o = run(&script, &["prompt", "edit", "sentiment"]);
    assert!(o.status.success(), "{}", err(&o));
    let copy = env.config.path().join("prompts/sentiment.toml");
    assert!(out(&o).contains("sentiment.toml: ok"), "{}", out(&o));
    assert!(std::fs::read_to_string(&copy)
        .unwrap()
        .contains("output = \"Feeling:\""));
    let o = env.run(&[
        "prompt",
        "render",
        "sentiment",
        "x",
        "--mode",
        "completion",
        "-k",
        "0",
    ]);
    assert!(out(&o).ends_with("Review: x\nFeeling:"), "{}", out(&o));

    // An edit that breaks the file is reported with its line and field.
    std::fs::write(
        &script,
        "#!/bin/sh\nsed -i 's/^task = \"classify\"/task = \"sort\"/' \"$1\"\n",
    )
    .unwrap();
    let o = run(&script, &["prompt", "edit", "sentiment"]);
    assert!(!o.status.success());
    assert!(
        err(&o).contains("sentiment.toml:3: field `task`"),
        "{}",
        err(&o)
    );
    let o = run(&script, &["prompt", "edit", "../../x"]);
    assert!(err(&o).contains("not a template name"), "{}", err(&o));
}

#[test]
fn check_reports_each_file() {
    let env = Env::new();
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts/qa.toml");
    let bad = env.prompts().join("bad.toml");
    std::fs::write(&bad, "name = \"bad\"\ndescription = \"x\"\n").unwrap();
    let o = env.run(&[
        "prompt",
        "check",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("qa.toml: ok (generate, 6 examples)"),
        "{}",
        out(&o)
    );
    assert!(err(&o).contains("bad.toml:1: field `task`"), "{}", err(&o));
    assert!(
        err(&o).contains("1 of 2 template files have errors"),
        "{}",
        err(&o)
    );
}
