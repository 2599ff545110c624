//! The command-line tests' shared set-up: the real binary run with private data and config
//! folders (nothing of the user's is read or written), the shipped test models and data, and
//! the output helpers every CLI test asserts with.
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

/// A file of the shipped sentiment data set.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sentiment")
        .join(name)
}

/// howdah with its data and config folders under `home`.
pub fn command_in(home: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_howdah"));
    c.args(args)
        .env("HOWDAH_DATA_DIR", home.join("data"))
        .env("HOWDAH_CONFIG_DIR", home.join("config"));
    c
}

/// Runs howdah in a fresh private home, which is returned so saved files can be read.
pub fn howdah(args: &[&str]) -> (Output, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let out = command_in(home.path(), args).output().expect("howdah runs");
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

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The JSON a successful run printed.
pub fn json(o: &Output) -> Value {
    assert!(o.status.success(), "howdah failed: {}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}
