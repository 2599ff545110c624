//! Property: `run` and `replay` with random engine settings, inside and outside the valid
//! ranges, always end by exiting (0, or 1 with an error naming the setting), never by a signal.
//! Bounded case counts keep this well under a minute on 2 cores.

mod cli_support;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

use cli_support::{command_at, smol};
use proptest::prelude::*;

static CASES: AtomicUsize = AtomicUsize::new(0);
static SIGNALS: AtomicUsize = AtomicUsize::new(0);

/// howdah with private folders under `dir`.
fn howdah(dir: &Path, args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    command_at(dir, &args)
        // Valid-but-large contexts must not eat the shared machine: 2 GB is the budget here.
        .env("HOWDAH_MEMORY_LIMIT", "2G")
        .output()
        .expect("binary runs")
}

fn threads() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![
        Just(None),
        (0u64..=10).prop_map(Some),
        (11u64..=200_000).prop_map(Some),
        Just(Some(u32::MAX as u64)),
    ]
}

fn batch() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![
        Just(None),
        (0u64..=32).prop_map(Some),
        (16u64..=2048).prop_map(Some),
        (65_537u64..=u32::MAX as u64).prop_map(Some),
    ]
}

fn ctx() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![
        Just(None),
        (0u64..=128).prop_map(Some),
        (64u64..=8192).prop_map(Some),
        (1_000_000u64..=u32::MAX as u64).prop_map(Some),
    ]
}

/// Counts the case; fails on a signal or an unexplained failure.
fn judge(o: &Output, what: &str) -> Result<(), TestCaseError> {
    CASES.fetch_add(1, Ordering::SeqCst);
    let err = String::from_utf8_lossy(&o.stderr);
    if let Some(sig) = o.status.signal() {
        SIGNALS.fetch_add(1, Ordering::SeqCst);
        return Err(TestCaseError::fail(format!("{what}: signal {sig}: {err}")));
    }
    match o.status.code() {
        Some(0) => Ok(()),
        Some(1) => {
            prop_assert!(
                [
                    "--threads",
                    "--batch-size",
                    "--ctx-size",
                    "engine.",
                    "session "
                ]
                .iter()
                .any(|k| err.contains(k)),
                "{what}: an error that does not name the setting: {err}"
            );
            Ok(())
        }
        c => Err(TestCaseError::fail(format!("{what}: exit {c:?}: {err}"))),
    }
}

fn flags(t: Option<u64>, b: Option<u64>, c: Option<u64>) -> Vec<String> {
    let mut v = Vec::new();
    for (f, x) in [("-t", t), ("-b", b), ("-c", c)] {
        if let Some(x) = x {
            v.push(f.to_string());
            v.push(x.to_string());
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 10,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn run_with_random_engine_settings_never_ends_by_a_signal(
        t in threads(), b in batch(), c in ctx()
    ) {
        let d = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = ["run", "--no-save", "-p", "hi", "-n", "2", "--temp", "0", "-m"]
            .iter().map(|s| s.to_string()).collect();
        args.push(smol());
        args.extend(flags(t, b, c));
        let o = howdah(d.path(), &args);
        judge(&o, &format!("run {args:?}"))?;
    }
}

/// A saved one-turn session to replay with edited settings.
fn session(dir: &Path) -> PathBuf {
    let m = smol();
    let args: Vec<String> = [
        "run", "-m", &m, "-p", "hi", "-n", "2", "--temp", "0", "-t", "2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let o = howdah(dir, &args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    let p = err
        .lines()
        .find_map(|l| l.strip_prefix("howdah: session saved to "))
        .unwrap();
    PathBuf::from(p.trim())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn replay_with_random_stored_settings_never_ends_by_a_signal(
        t in threads(), b in batch(), c in ctx()
    ) {
        let d = tempfile::tempdir().unwrap();
        let path = session(d.path());
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let msgs = v["messages"].as_array_mut().unwrap();
        let reply = msgs.iter_mut().find(|m| m.get("reply").is_some()).unwrap();
        let e = &mut reply["reply"]["engine"];
        e["threads"] = t.map(Into::into).unwrap_or(serde_json::Value::Null);
        e["n_ctx"] = c.map(Into::into).unwrap_or(serde_json::Value::Null);
        // n_batch is a u32 in the file (a missing one means the default).
        e["n_batch"] = b.unwrap_or(512).into();
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        let args = vec!["replay".to_string(), path.display().to_string()];
        let o = howdah(d.path(), &args);
        judge(&o, &format!("replay with threads {t:?} batch {b:?} ctx {c:?}"))?;
    }
}

#[test]
fn zz_report() {
    // Runs last with --test-threads=1 (alphabetical); the figures for the closing note.
    eprintln!(
        "values_props: {} cases tried, {} ended by a signal",
        CASES.load(Ordering::SeqCst),
        SIGNALS.load(Ordering::SeqCst)
    );
}
