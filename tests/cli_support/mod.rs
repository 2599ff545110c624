//! The command-line tests' shared set-up: the real binary run with private data and config
//! folders (nothing of the user's is read or written), the shipped test models and data, and
//! the output helpers the CLI tests assert with. Tests that run the binary build their command
//! here, so they cannot forget a folder; the few that do not (tmux sessions, the Vulkan set, a
//! crafted-file check) set both folders, or XDG_* folders with the HOWDAH_* overrides removed.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub const GEMMA: &str = "gemma-3-270m-q4_k_m.gguf";
pub const SMOL: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// A test model's path as an argument, or a panic that says how to get it.
pub fn model(name: &str) -> String {
    let p = howdah::paths::models_dir().join(name);
    assert!(
        p.exists(),
        "{} is missing: run `make models` to fetch the test models",
        p.display()
    );
    p.display().to_string()
}

/// SmolLM2's path as an argument.
pub fn smol() -> String {
    model(SMOL)
}

/// Gemma 3's path as an argument.
pub fn gemma() -> String {
    model(GEMMA)
}

/// A private data folder whose models/ holds links to the real test models (SmolLM2 and
/// Gemma), so `-m NAME` finds them while the logs and sessions of the test stay out of the
/// user's folder.
pub fn data_with_models() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let models = d.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    for name in [SMOL, GEMMA] {
        std::os::unix::fs::symlink(model(name), models.join(name)).unwrap();
    }
    d
}

/// A file of the shipped sentiment data set.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sentiment")
        .join(name)
}

/// howdah with its data folder `data` and config folder `config` (both private to the test).
pub fn command(data: &Path, config: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_howdah"));
    c.args(args)
        .env("HOWDAH_DATA_DIR", data)
        .env("HOWDAH_CONFIG_DIR", config);
    c
}

/// howdah with its data and config folders under `home`.
pub fn command_in(home: &Path, args: &[&str]) -> Command {
    command(&home.join("data"), &home.join("config"), args)
}

/// howdah whose data folder is `data` itself, for tests that read what it saves there; its
/// config folder is `data/config`.
pub fn command_at(data: &Path, args: &[&str]) -> Command {
    command(data, &data.join("config"), args)
}

/// Runs howdah with its folders under `home` (see `command_in`).
pub fn output_in(home: &Path, args: &[&str]) -> Output {
    command_in(home, args).output().expect("howdah runs")
}

/// Runs howdah with its data folder `data` (see `command_at`).
pub fn output_at(data: &Path, args: &[&str]) -> Output {
    command_at(data, args).output().expect("howdah runs")
}

/// Writes `text` as the config.toml of the home `command_in` uses.
pub fn write_config(home: &Path, text: &str) {
    let dir = home.join("config");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

/// Runs howdah in a fresh private home, which is returned so saved files can be read.
pub fn howdah(args: &[&str]) -> (Output, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let out = output_in(home.path(), args);
    (out, home)
}

/// Runs howdah in `home`, feeding `stdin`.
pub fn howdah_in(home: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = command_in(home, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("howdah runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Bytes of output as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A successful run's stdout; a failed run fails the test with its exit, stdout and stderr.
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "howdah failed: exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

pub fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

pub fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

/// The JSON a successful run printed.
pub fn json(o: &Output) -> Value {
    assert!(o.status.success(), "howdah failed: {}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}
