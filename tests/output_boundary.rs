//! Lint: every way to write to stdout or stderr goes through `src/cli/output.rs` (which
//! sanitizes and handles a closed pipe). A new `println!` anywhere else fails here, naming the
//! file and line; route it through `outln!`/`eoutln!` instead.

use std::path::{Path, PathBuf};

/// Files allowed to touch the terminal directly, and why.
const ALLOWED: &[&str] = &[
    // The output boundary itself and the stderr pipe it drains.
    "src/cli/output.rs",
    "src/cli/stderr_capture.rs",
    // The TUI's terminal set-up and restore (control sequences howdah makes, no outside text).
    "src/ui/terminal.rs",
];

/// Ways to reach the terminal other than the output module.
const FORBIDDEN: &[&str] = &[
    "println!",
    "print!(",
    "eprintln!",
    "eprint!(",
    "dbg!(",
    "io::stdout()",
    "io::stderr()",
    "stdout().lock",
    "stderr().lock",
    "libc::write(",
    ".print()",
];

/// Single lines allowed elsewhere: (file, text the line contains).
const ALLOWED_LINES: &[(&str, &str)] = &[
    // OSC 52 clipboard: base64 of the text, so no outside byte reaches the terminal raw.
    ("src/ui/runtime.rs", "let mut out = std::io::stdout();"),
    // The abort handler's terminal reset: fixed control sequences, async-signal-safe write(2).
    (
        "src/ui/abort_guard.rs",
        "libc::write(1, RESET.as_ptr().cast(), RESET.len());",
    ),
    // A unit test writing to a descriptor it redirected to a temporary file.
    (
        "src/stderr_log.rs",
        "libc::write(fd, b.as_ptr().cast(), b.len())",
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn offenders(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut bad = Vec::new();
    for f in files {
        let rel = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if ALLOWED.contains(&rel.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            // Asking whether a stream is a terminal writes nothing.
            let code = code
                .replace("std::io::stdout().is_terminal()", "")
                .replace("std::io::stderr().is_terminal()", "");
            if ALLOWED_LINES
                .iter()
                .any(|(file, l)| *file == rel && line.contains(l))
            {
                continue;
            }
            for pat in FORBIDDEN {
                if code.contains(pat) {
                    bad.push(format!("{rel}:{}: {pat} {}", i + 1, line.trim()));
                }
            }
        }
    }
    bad
}

#[test]
fn every_print_goes_through_the_output_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bad = offenders(root);
    assert!(
        bad.is_empty(),
        "output that bypasses src/cli/output.rs (use outln!/eoutln!/out!/eout!):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_lint_catches_a_new_print() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src/cli")).unwrap();
    std::fs::write(
        dir.path().join("src/cli/new.rs"),
        "//! doc println!(\"ok\")\nfn f(name: &str) {\n    println!(\"{name}\");\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/cli/output.rs"),
        "fn g() { println!(\"allowed\"); }\n",
    )
    .unwrap();
    let bad = offenders(dir.path());
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].starts_with("src/cli/new.rs:3: println!"), "{bad:?}");
}
