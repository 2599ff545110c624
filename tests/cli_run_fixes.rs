//! `howdah run` details from issue 12: no prompt is an error with a usage hint (and no session),
//! every sampling flag is described in --help, and JSON shows sampling values as given.

mod cli_support;
mod common;

use std::process::{Output, Stdio};

use cli_support::{command_at, text};

/// howdah with private folders under `data`, its stdin closed (a missing prompt must not wait
/// for one).
fn howdah(data: &std::path::Path, args: &[&str]) -> Output {
    command_at(data, args)
        .stdin(Stdio::null())
        .output()
        .expect("binary runs")
}

#[test]
fn run_without_a_prompt_is_an_error_with_usage_and_saves_nothing() {
    let data = tempfile::tempdir().unwrap();
    let model = common::smollm2();
    let o = howdah(data.path(), &["run", "-m", model.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains("no prompt"), "{err}");
    assert!(err.contains("usage: howdah run -p PROMPT"), "{err}");
    let o = howdah(
        data.path(),
        &["run", "-m", model.to_str().unwrap(), "-p", "  "],
    );
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("the prompt is empty"));
    let sessions = data.path().join("sessions");
    let n = std::fs::read_dir(&sessions).map(|d| d.count()).unwrap_or(0);
    assert_eq!(n, 0, "a failed run left a session behind");
}

#[test]
fn every_sampling_flag_is_described_in_run_help() {
    let data = tempfile::tempdir().unwrap();
    let o = howdah(data.path(), &["run", "--help"]);
    let help = text(&o.stdout);
    for flag in [
        "--temp",
        "--top-k",
        "--top-p",
        "--min-p",
        "--typical-p",
        "--repeat-penalty",
        "--frequency-penalty",
        "--presence-penalty",
        "--repeat-last-n",
        "--seed",
        "--max-tokens",
        "--context-overflow",
    ] {
        let line = help
            .lines()
            .find(|l| l.contains(flag))
            .unwrap_or_else(|| panic!("{flag} missing:\n{help}"));
        // clap puts the description after the flag on the same line (or the next one).
        let (_, rest) = line.split_once(flag).unwrap();
        let rest = rest.trim_start_matches(|c: char| c != ' ').trim();
        let next = help
            .lines()
            .skip_while(|l| !l.contains(flag))
            .nth(1)
            .unwrap_or("");
        assert!(
            rest.chars().filter(|c| c.is_alphabetic()).count() > 8
                || (next.starts_with("          ") && next.trim().len() > 8),
            "{flag} has no description: {line:?}"
        );
    }
}

#[test]
fn run_json_prints_sampling_values_as_given() {
    let data = tempfile::tempdir().unwrap();
    let model = common::smollm2();
    let o = howdah(
        data.path(),
        &[
            "run",
            "-m",
            model.to_str().unwrap(),
            "-p",
            "Hi",
            "-n",
            "2",
            "-t",
            "2",
            "--min-p",
            "0.05",
            "--top-p",
            "0.9",
            "--json",
            "--no-save",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("\"min_p\": 0.05,"), "{out}");
    assert!(out.contains("\"top_p\": 0.9,"), "{out}");
    assert!(!out.contains("0.0500000007"), "{out}");
}
