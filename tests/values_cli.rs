//! Every engine and sampling value is checked before llama.cpp sees it (issue 10, values half):
//! the repros that used to end in SIGABRT, heap corruption or a 22 GB allocation now end with a
//! clear error naming the flag or the session field, or with a clamp that is said.

mod cli_support;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use cli_support::{command_at, gemma, smol, text};

/// howdah with private folders under `dir`, and `env` set for this run.
fn howdah_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command_at(dir, args)
        .envs(env.iter().copied())
        .output()
        .expect("binary runs")
}

/// Ran to an exit, not to a signal; returns stderr.
fn exited(o: &Output, code: i32) -> String {
    let err = text(&o.stderr);
    assert_eq!(o.status.signal(), None, "ended by a signal: {err}");
    assert_eq!(o.status.code(), Some(code), "{err}\n{}", text(&o.stdout));
    err
}

#[test]
fn batch_below_16_is_a_clear_error_not_an_abort() {
    let d = tempfile::tempdir().unwrap();
    let m = smol();
    let o = howdah_in(
        d.path(),
        &["run", "-m", &m, "-p", "hi", "-n", "4", "-b", "8"],
        &[],
    );
    let err = exited(&o, 1);
    assert!(err.contains("--batch-size 8 is below 16"), "{err}");
    // The stdout stays clean (llama.cpp's backtrace went there).
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
}

#[test]
fn absurd_threads_are_refused_with_the_range() {
    let d = tempfile::tempdir().unwrap();
    let m = smol();
    for t in ["100000", "5000", "0"] {
        let o = howdah_in(
            d.path(),
            &["run", "-m", &m, "-p", "hi", "-n", "2", "-t", t],
            &[],
        );
        let err = exited(&o, 1);
        assert!(err.contains(&format!("--threads {t}: ")), "{err}");
        assert!(err.contains("this machine takes 1 to"), "{err}");
    }
}

#[test]
fn a_context_that_cannot_fit_is_refused_before_allocation() {
    let d = tempfile::tempdir().unwrap();
    let m = smol();
    for c in ["4000000000", "1000000"] {
        let o = howdah_in(
            d.path(),
            &["run", "-m", &m, "-p", "hi", "-n", "2", "-c", c],
            &[("HOWDAH_MEMORY_LIMIT", "4G")],
        );
        let err = exited(&o, 1);
        assert!(err.contains(&format!("--ctx-size {c}: ")), "{err}");
        assert!(
            err.contains("KV cache") && err.contains("tokens fit: use -c"),
            "{err}"
        );
    }
}

#[test]
fn a_tiny_context_is_clamped_and_said() {
    let d = tempfile::tempdir().unwrap();
    let m = smol();
    let o = howdah_in(
        d.path(),
        &[
            "run", "-m", &m, "-p", "hi", "-n", "2", "-c", "1", "--temp", "0", "-t", "2", "--json",
        ],
        &[],
    );
    let err = exited(&o, 0);
    assert!(
        err.contains("--ctx-size 1 is below") && err.contains("using 64"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["model"]["n_ctx"], 64);
}

#[test]
fn minus_one_means_no_limit_and_a_random_seed_like_llama_cpp() {
    let d = tempfile::tempdir().unwrap();
    let m = smol();
    let o = howdah_in(
        d.path(),
        &[
            "run", "-m", &m, "-p", "Say hi.", "-n", "-1", "--seed", "-1", "-c", "256", "-t", "2",
            "--json",
        ],
        &[],
    );
    let err = exited(&o, 0);
    assert!(err.contains("--seed -1: using the random seed"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["sampling"]["max_tokens"], u32::MAX as u64);
    // The seed said is the seed used and saved.
    let seed = v["sampling"]["seed"].as_u64().unwrap();
    assert!(err.contains(&format!("random seed {seed} ")), "{err}");
    for bad in [["-n", "-5"], ["-n", "0"], ["--seed", "-7"]] {
        let o = howdah_in(d.path(), &["run", "-m", &m, "-p", "x", bad[0], bad[1]], &[]);
        let err = exited(&o, 1);
        assert!(err.contains(&format!("{} {}", bad[0], bad[1])), "{err}");
    }
}

#[test]
fn the_default_context_comes_from_the_model_and_is_said() {
    let d = tempfile::tempdir().unwrap();
    let m = smol();
    let o = howdah_in(
        d.path(),
        &[
            "run",
            "-m",
            &m,
            "-p",
            "hi",
            "-n",
            "1",
            "-t",
            "2",
            "--json",
            "--no-save",
        ],
        &[("HOWDAH_MEMORY_LIMIT", "16G")],
    );
    exited(&o, 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["model"]["n_ctx"], 8192, "{}", v["model"]);
    assert!(v["model"]["ctx_reason"]
        .as_str()
        .unwrap()
        .contains("trained context (8192"));
    // Gemma 3 was trained on 32k; a small memory budget caps it, and says so.
    let g = gemma();
    let o = howdah_in(
        d.path(),
        &[
            "run",
            "-m",
            &g,
            "-p",
            "hi",
            "-n",
            "1",
            "-t",
            "2",
            "--json",
            "--no-save",
            "--raw",
        ],
        &[("HOWDAH_MEMORY_LIMIT", "1G")],
    );
    exited(&o, 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let n = v["model"]["n_ctx"].as_u64().unwrap();
    assert!((256..32768).contains(&n), "{n}");
    let why = v["model"]["ctx_reason"].as_str().unwrap();
    assert!(
        why.contains("trained 32768") && why.contains("memory"),
        "{why}"
    );
}

#[test]
fn an_invalid_grammar_file_names_file_line_and_column() {
    let d = tempfile::tempdir().unwrap();
    let g = d.path().join("bad.gbnf");
    std::fs::write(&g, "root ::= item+\nitem ::= [a-z\n").unwrap();
    let m = smol();
    let o = howdah_in(
        d.path(),
        &[
            "run",
            "-m",
            &m,
            "-p",
            "hi",
            "--grammar-file",
            g.to_str().unwrap(),
        ],
        &[],
    );
    let err = exited(&o, 1);
    assert!(
        err.contains("bad.gbnf:2:10: this character class is never closed"),
        "{err}"
    );
    // A grammar with a root rule and an undefined reference: the real reason, not "needs root".
    std::fs::write(&g, "root ::= answer\n").unwrap();
    let o = howdah_in(
        d.path(),
        &[
            "run",
            "-m",
            &m,
            "-p",
            "hi",
            "--grammar-file",
            g.to_str().unwrap(),
        ],
        &[],
    );
    let err = exited(&o, 1);
    assert!(
        err.contains("bad.gbnf:1:10: the rule `answer` is used but never defined"),
        "{err}"
    );
}

/// Runs one saved exchange and returns the session file's path.
fn saved_session(dir: &Path) -> PathBuf {
    let m = smol();
    let o = howdah_in(
        dir,
        &[
            "run", "-m", &m, "-p", "hi", "-n", "3", "--temp", "0", "-t", "2",
        ],
        &[],
    );
    let err = exited(&o, 0);
    let path = err
        .lines()
        .find_map(|l| l.strip_prefix("howdah: session saved to "))
        .expect("session path said");
    PathBuf::from(path.trim())
}

fn set_engine(path: &Path, field: &str, value: serde_json::Value) -> String {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let msgs = v["messages"].as_array_mut().unwrap();
    let reply = msgs.iter_mut().find(|m| m.get("reply").is_some()).unwrap();
    reply["reply"]["engine"][field] = value;
    std::fs::write(path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    v["id"].as_str().unwrap().to_string()
}

#[test]
fn replay_checks_stored_engine_settings_and_names_the_session() {
    let d = tempfile::tempdir().unwrap();
    let path = saved_session(d.path());
    let p = path.to_str().unwrap();
    // n_batch = 1 used to abort in llama.cpp: now clamped to 16, said, and the replay matches.
    let id = set_engine(&path, "n_batch", 1.into());
    let o = howdah_in(d.path(), &["replay", p, "--check"], &[]);
    let err = exited(&o, 0);
    assert!(
        err.contains(&format!("session {id}: engine.n_batch = 1 is below 16")),
        "{err}"
    );
    assert!(err.contains("using 16"), "{err}");
    // threads = 100000 (heap corruption in libgomp before) is clamped to this machine's limit.
    set_engine(&path, "n_batch", 512.into());
    set_engine(&path, "threads", 100_000.into());
    let o = howdah_in(d.path(), &["replay", p], &[]);
    let err = exited(&o, 0);
    assert!(
        err.contains(&format!(
            "session {id}: engine.threads = 100000 is more than"
        )),
        "{err}"
    );
    // n_ctx = 4e9 is refused before anything is allocated, with what fits.
    set_engine(&path, "threads", 2.into());
    set_engine(&path, "n_ctx", 4_000_000_000u64.into());
    let o = howdah_in(d.path(), &["replay", p], &[("HOWDAH_MEMORY_LIMIT", "4G")]);
    let err = exited(&o, 1);
    assert!(
        err.contains(&format!("session {id}: engine.n_ctx = 4000000000: ")),
        "{err}"
    );
    assert!(err.contains("tokens fit"), "{err}");
}

#[test]
fn import_warns_about_stored_settings_replay_would_change() {
    let d = tempfile::tempdir().unwrap();
    let path = saved_session(d.path());
    set_engine(&path, "n_batch", 1.into());
    let copy = d.path().join("exported.json");
    std::fs::copy(&path, &copy).unwrap();
    let o = howdah_in(
        d.path(),
        &["session", "import", copy.to_str().unwrap()],
        &[],
    );
    let err = exited(&o, 0);
    assert!(
        err.contains("warning: session ") && err.contains("engine.n_batch = 1 is below 16"),
        "{err}"
    );
}
