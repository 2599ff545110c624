//! Issue 10, output half, through the real binary without generating: escape bytes in model
//! file names, session ids and clap errors never reach the terminal; a closed stdout ends the
//! program quietly; stale temp files are cleaned; the data folder and log are private;
//! `prompt check` explains a non-UTF-8 file.

mod cli_support;
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use cli_support::{command_in, output_in};
use common::smollm2 as smol;

/// Bytes that would act on a terminal: ESC, C1 controls (U+0080..U+009F, as UTF-8 C2 80..C2 9F),
/// BEL and a lone CR.
fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad: Vec<(usize, char)> = text
        .char_indices()
        .filter(|&(_, c)| c.is_control() && c != '\n' && c != '\t')
        .collect();
    assert!(
        bad.is_empty(),
        "{what} carries control characters {bad:?}:\n{text}"
    );
}

fn home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

const EVIL: &str = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\r";

/// A session file as `howdah run` writes it, copied from a real save.
fn a_session(home: &Path) -> PathBuf {
    let data = home.join("data");
    let store = howdah::session::Store::new(data.join("sessions"));
    let mut s = howdah::session::Session::new(howdah::session::SessionKind::Chat);
    s.messages.push(howdah::session::Message::new(
        howdah::engine::Role::User,
        "hello there",
    ));
    store.create(s).unwrap().path
}

#[test]
fn model_file_names_are_sanitized_in_models_and_unusable_lines() {
    let h = home();
    let models = h.path().join("data/models");
    std::fs::create_dir_all(&models).unwrap();
    std::os::unix::fs::symlink(smol(), models.join(format!("{EVIL}.gguf"))).unwrap();
    std::fs::write(
        models.join(format!("bad{EVIL}.gguf")),
        b"GGUF\x03\0\0\0junk",
    )
    .unwrap();
    for args in [&["models"][..], &["models", "--json"]] {
        let o = output_in(h.path(), args);
        assert!(o.status.success(), "{args:?}: {o:?}");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("evilpwned") || out.contains("evil"), "{out}");
        assert_clean("models stdout", &o.stdout);
        assert_clean("models stderr", &o.stderr);
    }
    let o = output_in(h.path(), &["models"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("unusable"));
}

#[test]
fn run_with_an_escape_named_model_keeps_the_terminal_clean() {
    let h = home();
    let dir = h.path().join("m");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join(format!("{EVIL}.gguf"));
    std::os::unix::fs::symlink(smol(), &link).unwrap();
    let o = output_in(
        h.path(),
        &[
            "run",
            "-m",
            link.to_str().unwrap(),
            "-p",
            "hi",
            "-n",
            "2",
            "-t",
            "2",
            "--raw",
            "--system",
            "x",
        ],
    );
    assert!(o.status.success(), "{o:?}");
    assert_clean("run stdout", &o.stdout);
    assert_clean("run stderr", &o.stderr);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--system is ignored"));
}

#[test]
fn session_ids_and_file_names_are_sanitized_in_list_search_and_show() {
    let h = home();
    let path = a_session(h.path());
    let evil = path.with_file_name(format!("{EVIL}.json"));
    std::fs::rename(&path, &evil).unwrap();
    // A corrupt file with an escape-laden name is listed as unreadable, sanitized too.
    std::fs::write(path.with_file_name(format!("x{EVIL}.json")), b"{ not json").unwrap();
    for args in [
        &["session", "list"][..],
        &["session", "list", "--json"],
        &["session", "search", "hello"],
        &["session", "show", evil.to_str().unwrap()],
    ] {
        let o = output_in(h.path(), args);
        assert!(o.status.success(), "{args:?}: {o:?}");
        assert!(!o.stdout.is_empty(), "{args:?} printed nothing");
        assert_clean(&format!("{args:?} stdout"), &o.stdout);
        assert_clean(&format!("{args:?} stderr"), &o.stderr);
    }
}

#[test]
fn clap_errors_drop_c1_controls() {
    let h = home();
    let o = output_in(h.path(), &["run", "--bogus\u{9b}31mX"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--bogus31mX") || err.contains("unexpected argument"),
        "{err}"
    );
    assert_clean("clap error", &o.stderr);
}

/// stdout closed before howdah writes: it ends quietly, status 0, no panic.
fn closed_stdout(home: &Path, args: &[&str]) -> Output {
    let mut c = command_in(home, args);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_pipe_ends_session_list_and_models_quietly() {
    let h = home();
    for _ in 0..3 {
        a_session(h.path());
    }
    for args in [&["session", "list"][..], &["models"], &["prompt", "list"]] {
        let o = closed_stdout(h.path(), args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{err}"
        );
    }
}

#[test]
fn stale_temp_files_of_dead_processes_are_cleaned_or_listed_as_recoverable() {
    let h = home();
    let path = a_session(h.path());
    let dir = path.parent().unwrap().to_path_buf();
    let name = path.file_name().unwrap().to_str().unwrap().to_string();
    // A process id that is surely dead: a child that has been reaped.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let garbage = dir.join(format!(".{name}.{dead}.0.tmp"));
    std::fs::write(&garbage, b"{\"schema_version\": 1, \"id\": \"cut o").unwrap();
    // A complete, newer version that never got renamed: recoverable.
    let mut newer = howdah::session::read_file(&path).unwrap().session;
    newer.updated_at += chrono::Duration::seconds(60);
    newer.title = Some("unsaved".into());
    let complete = dir.join(format!(".{name}.{dead}.1.tmp"));
    std::fs::write(&complete, howdah::session::encode(&newer)).unwrap();
    // One of a live process (this test) is a save in progress: left alone.
    let live = dir.join(format!(".{name}.{}.2.tmp", std::process::id()));
    std::fs::write(&live, b"partial").unwrap();
    let o = output_in(h.path(), &["session", "list"]);
    assert!(o.status.success(), "{o:?}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!garbage.exists(), "a stale unreadable temp file is removed");
    assert!(complete.exists(), "a complete newer save is kept");
    assert!(live.exists(), "a live process's temp file is left");
    assert!(out.contains("RECOVERABLE"), "{out}");
    assert!(out.contains(complete.to_str().unwrap()), "{out}");
}

#[test]
fn data_folder_and_log_are_private() {
    let h = home();
    let data = h.path().join("data");
    std::fs::create_dir_all(data.join("logs")).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(data.join("logs"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(data.join("logs/howdah.log"), b"old\n").unwrap();
    std::fs::set_permissions(
        data.join("logs/howdah.log"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let o = output_in(h.path(), &["session", "list"]);
    assert!(o.status.success(), "{o:?}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("logs")), 0o700);
    assert_eq!(mode(&data.join("logs/howdah.log")), 0o600);
}

#[test]
fn prompt_check_names_the_byte_of_invalid_utf8() {
    let h = home();
    let f = h.path().join("bad.toml");
    std::fs::write(&f, b"name = \"x\"\ntask = \"gen\xfferic\"\n").unwrap();
    let o = output_in(h.path(), &["prompt", "check", f.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.toml: not valid UTF-8 at byte 22 (line 2, column 12)"),
        "{err}"
    );
}

#[test]
fn concurrent_saves_of_one_session_merge_or_fail_clearly() {
    let h = home();
    let path = a_session(h.path());
    let store = howdah::session::Store::new(path.parent().unwrap());
    let id = path.file_stem().unwrap().to_str().unwrap().to_string();
    // `run --session` holds the file open while another process renames it.
    let mut running = store.open(&id).unwrap();
    store.rename(&id, Some("Renamed")).unwrap();
    running
        .push(howdah::session::Message::new(
            howdah::engine::Role::Assistant,
            "the reply",
        ))
        .unwrap();
    let s = howdah::session::read_file(&path).unwrap().session;
    assert_eq!(s.title.as_deref(), Some("Renamed"), "the rename survives");
    assert_eq!(s.messages.len(), 2, "and so does the reply");
    // Both append: theirs first, then ours; nothing lost.
    let mut a = store.open(&id).unwrap();
    let mut b = store.open(&id).unwrap();
    a.push(howdah::session::Message::new(
        howdah::engine::Role::User,
        "from a",
    ))
    .unwrap();
    b.push(howdah::session::Message::new(
        howdah::engine::Role::User,
        "from b",
    ))
    .unwrap();
    let s = howdah::session::read_file(&path).unwrap().session;
    let last: Vec<&str> = s.messages[2..].iter().map(|m| m.content.as_str()).collect();
    assert_eq!(last, ["from a", "from b"]);
    // Both set the title differently: the second save fails and says so.
    let mut a = store.open(&id).unwrap();
    let mut b = store.open(&id).unwrap();
    a.session.title = Some("A".into());
    a.save().unwrap();
    b.session.title = Some("B".into());
    let e = b.save().unwrap_err().to_string();
    assert!(e.contains("not saved: both changed title"), "{e}");
    let s = howdah::session::read_file(&path).unwrap().session;
    assert_eq!(s.title.as_deref(), Some("A"));
}

#[test]
fn llama_cpp_messages_about_a_bad_grammar_are_sanitized() {
    let h = home();
    // llama.cpp quotes an unparsable grammar whole on stderr.
    let g = h.path().join("bad.gbnf");
    std::fs::write(&g, "root ::= \"a\" \u{1b}]0;pwned\u{7} ( \u{9b}31m\n").unwrap();
    let o = output_in(
        h.path(),
        &[
            "run",
            "-m",
            smol().to_str().unwrap(),
            "-t",
            "2",
            "-n",
            "2",
            "--no-save",
            "--grammar-file",
            g.to_str().unwrap(),
            "-p",
            "hi",
        ],
    );
    assert!(!o.status.success(), "a bad grammar is an error");
    assert!(!o.stderr.is_empty());
    assert_clean("run stderr", &o.stderr);
    assert_clean("run stdout", &o.stdout);
}
