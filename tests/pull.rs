//! `howdah pull` against a local stand-in for the Hugging Face hub (tests/hub_support) serving
//! the two real GGUF models: resolution by quant tag, the cache layout, split models, resuming
//! after a dropped connection and after ctrl+c, checksum failures, gated and missing repos, a
//! second pull that downloads nothing, `--list`, Ollama's models, and the pulled file running.

mod common;
mod hub_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hub_support::{commit_for, FakeHub, HubFile, Source};

const REPO: &str = "test-org/SmolLM2-135M-Instruct-GGUF";

/// Temporary HOME, HF_HOME, data folder: nothing touches the user's folders.
struct Env {
    dir: tempfile::TempDir,
    endpoint: String,
    token: Option<String>,
}

impl Env {
    fn new(hub: &FakeHub) -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
            endpoint: hub.url.clone(),
            token: None,
        }
    }

    fn hf_home(&self) -> PathBuf {
        self.dir.path().join("hf")
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn repo_dir(&self, repo: &str) -> PathBuf {
        self.hf_home()
            .join("hub")
            .join(format!("models--{}", repo.replace('/', "--")))
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_howdah"));
        c.args(args)
            .env("HF_ENDPOINT", &self.endpoint)
            .env("HF_HOME", self.hf_home())
            .env("HOME", self.home())
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env("HOWDAH_DATA_DIR", self.dir.path().join("data"))
            .env("HOWDAH_CONFIG_DIR", self.dir.path().join("config"))
            .env_remove("HF_HUB_CACHE")
            .env_remove("HUGGINGFACE_HUB_CACHE")
            .env_remove("HF_TOKEN")
            .env_remove("HUGGING_FACE_HUB_TOKEN")
            .env_remove("HF_TOKEN_PATH")
            .env_remove("OLLAMA_MODELS")
            .env_remove("LLAMA_CACHE");
        if let Some(t) = &self.token {
            c.env("HF_TOKEN", t);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("howdah runs")
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn small(tag: &str) -> Source {
    Source::Bytes(Arc::new(format!("GGUF not really: {tag}").into_bytes()))
}

/// The SmolLM2 file as Q4_1, with other quants, a projector and a README beside it.
fn smol_repo(hub: &FakeHub) -> Source {
    let smol = Source::file(common::smollm2());
    hub.add(
        REPO,
        vec![
            HubFile::text("README.md", "# SmolLM2 GGUF\n"),
            HubFile::lfs("SmolLM2-135M-Instruct-Q4_K_M.gguf", small("q4km")),
            HubFile::lfs("SmolLM2-135M-Instruct-Q4_1.gguf", smol.clone()),
            HubFile::lfs("SmolLM2-135M-Instruct-Q8_0.gguf", small("q8")),
            HubFile::lfs("mmproj-SmolLM2-f16.gguf", small("mmproj")),
        ],
        None,
    );
    smol
}

fn sha_of(path: &Path) -> String {
    Source::file(path.to_path_buf()).sha256()
}

/// `howdah run` on `model` with greedy sampling: the answer to compare files by.
fn greedy_answer(env: &Env, model: &str) -> String {
    let o = env.run(&[
        "run",
        "-m",
        model,
        "-p",
        "Name three colours.",
        "--temp",
        "0",
        "-n",
        "24",
        "-t",
        "2",
        "--no-save",
    ]);
    assert!(o.status.success(), "{model}: {}", text(&o.stderr));
    text(&o.stdout)
}

fn pulled_path(o: &Output) -> PathBuf {
    assert!(o.status.success(), "pull failed: {}", text(&o.stderr));
    PathBuf::from(text(&o.stdout).trim())
}

#[test]
fn pull_by_quant_tag_fills_the_hf_cache_and_a_second_pull_downloads_nothing() {
    let hub = FakeHub::start();
    let smol = smol_repo(&hub);
    let env = Env::new(&hub);
    let t = Instant::now();
    let o = env.run(&["pull", &format!("hf.co/{REPO}:q4_1")]);
    let secs = t.elapsed().as_secs_f64();
    let path = pulled_path(&o);
    let size = smol.len();
    eprintln!(
        "pull of {size} bytes from the local hub: {secs:.2} s, {:.0} MB/s (process included)",
        size as f64 / secs / 1e6
    );
    assert_eq!(hub.served(), size, "only the chosen file is downloaded");
    // The cache layout: blob by SHA-256, a relative snapshot link, refs/main.
    let repo_dir = env.repo_dir(REPO);
    let commit = commit_for(REPO);
    let sha = smol.sha256();
    assert_eq!(
        path,
        repo_dir.join(format!(
            "snapshots/{commit}/SmolLM2-135M-Instruct-Q4_1.gguf"
        ))
    );
    assert_eq!(
        std::fs::read_link(&path).unwrap(),
        PathBuf::from(format!("../../blobs/{sha}"))
    );
    assert_eq!(sha_of(&repo_dir.join("blobs").join(&sha)), sha);
    assert_eq!(
        std::fs::read_to_string(repo_dir.join("refs/main")).unwrap(),
        commit
    );
    assert!(
        text(&o.stderr).contains("SHA-256 checked"),
        "{}",
        text(&o.stderr)
    );

    let again = env.run(&["pull", REPO, "--file", "SmolLM2-135M-Instruct-Q4_1.gguf"]);
    assert_eq!(pulled_path(&again), path);
    assert_eq!(hub.served(), size, "the second pull downloads nothing");
    assert!(
        text(&again.stderr).contains("already here"),
        "{}",
        text(&again.stderr)
    );

    // Offline, the copy here is used.
    let mut env = env;
    env.endpoint = "http://127.0.0.1:9".into();
    let o = env.run(&["pull", &format!("{REPO}:Q4_1")]);
    assert_eq!(pulled_path(&o), path);
    assert!(
        text(&o.stderr).contains("using the copy already here"),
        "{}",
        text(&o.stderr)
    );
    env.endpoint = hub.url.clone();
    // `howdah models` finds it in the cache.
    let models = env.run(&["models"]);
    assert!(
        text(&models.stdout).contains("SmolLM2-135M-Instruct-Q4_1.gguf"),
        "{}",
        text(&models.stdout)
    );

    // --list: quants and sizes, projector left out, what is here marked.
    let list = env.run(&["pull", REPO, "--list"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let out = text(&list.stdout);
    let row = |q: &str| {
        out.lines()
            .find(|l| l.starts_with(q))
            .unwrap_or("")
            .to_string()
    };
    assert!(
        row("Q4_1").contains("98.4 MB") && row("Q4_1").contains("yes"),
        "{out}"
    );
    assert!(
        !row("Q4_K_M").contains("yes") && !row("Q8_0").is_empty(),
        "{out}"
    );
    assert!(!out.contains("mmproj"), "{out}");
    assert!(out.contains("takes Q4_K_M"), "{out}");
    assert_eq!(hub.served(), size, "--list downloads nothing");
}

#[test]
fn the_pulled_model_answers_as_the_same_file_given_by_path() {
    let hub = FakeHub::start();
    smol_repo(&hub);
    let env = Env::new(&hub);
    let path = pulled_path(&env.run(&["pull", &format!("{REPO}:Q4_1")]));
    let ask = |model: &str| greedy_answer(&env, model);
    let original = ask(common::smollm2().to_str().unwrap());
    assert!(!original.trim().is_empty());
    assert_eq!(ask(path.to_str().unwrap()), original);
    // By the name it was pulled with, found in the cache without the network.
    assert_eq!(ask(&format!("{REPO}:Q4_1")), original);
}

#[test]
fn a_split_model_downloads_every_part() {
    let hub = FakeHub::start();
    let smol = common::smollm2();
    let len = std::fs::metadata(&smol).unwrap().len();
    let cuts = [0, len / 3, 2 * len / 3, len];
    let parts: Vec<HubFile> = (0..3)
        .map(|i| {
            HubFile::lfs(
                &format!("Q4_1/SmolLM2-Q4_1-{:05}-of-00003.gguf", i + 1),
                Source::Disk {
                    path: smol.clone(),
                    offset: cuts[i],
                    len: cuts[i + 1] - cuts[i],
                },
            )
        })
        .rev()
        .collect();
    let mut files = vec![HubFile::lfs("SmolLM2-Q8_0.gguf", small("q8"))];
    files.extend(parts);
    hub.add("test-org/split-GGUF", files, None);
    let env = Env::new(&hub);
    let o = env.run(&["pull", "test-org/split-GGUF:Q4_1"]);
    let first = pulled_path(&o);
    assert!(
        first.ends_with("Q4_1/SmolLM2-Q4_1-00001-of-00003.gguf"),
        "{first:?}"
    );
    let mut joined = Vec::new();
    for i in 1..=3 {
        let p = first.with_file_name(format!("SmolLM2-Q4_1-{i:05}-of-00003.gguf"));
        joined.extend(std::fs::read(&p).unwrap());
    }
    assert_eq!(joined.len() as u64, len);
    assert!(
        joined == std::fs::read(&smol).unwrap(),
        "the parts join into the model"
    );
    assert_eq!(hub.served(), len);
    // The link in a subfolder climbs one level more.
    let target = std::fs::read_link(&first).unwrap();
    assert!(target.starts_with("../../../blobs"), "{target:?}");
}

#[test]
fn a_split_model_downloads_every_part_and_runs_as_the_whole_file() {
    // Real gguf-split output: llama.cpp's own tool cuts SmolLM2 into parts, which the local hub
    // serves; the pulled parts load from the first one and answer as the unsplit file does.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/llama-server.sh");
    let built = Command::new(script)
        .arg("--gguf-split")
        .stderr(Stdio::inherit())
        .output()
        .expect("scripts/llama-server.sh runs");
    assert!(
        built.status.success(),
        "llama-gguf-split could not be built"
    );
    let tool = PathBuf::from(text(&built.stdout).trim()).join("bin/llama-gguf-split");
    let cut = tempfile::tempdir().unwrap();
    let smol = common::smollm2();
    let o = Command::new(&tool)
        .args(["--split", "--split-max-tensors", "100"])
        .arg(&smol)
        .arg(cut.path().join("SmolLM2-Q4_1"))
        .output()
        .expect("llama-gguf-split runs");
    assert!(o.status.success(), "llama-gguf-split: {}", text(&o.stderr));
    let mut names: Vec<String> = std::fs::read_dir(cut.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let n = names.len();
    assert!(n >= 2, "{names:?}");
    assert_eq!(names[0], format!("SmolLM2-Q4_1-00001-of-{n:05}.gguf"));
    let parts: Vec<HubFile> = names
        .iter()
        .rev()
        .map(|f| HubFile::lfs(&format!("Q4_1/{f}"), Source::file(cut.path().join(f))))
        .collect();
    let total: u64 = parts.iter().map(|p| p.source.len()).sum();
    let mut files = vec![HubFile::lfs("SmolLM2-Q8_0.gguf", small("q8"))];
    files.extend(parts);
    let hub = FakeHub::start();
    hub.add("test-org/split-GGUF", files, None);
    let env = Env::new(&hub);
    let o = env.run(&["pull", "test-org/split-GGUF:Q4_1"]);
    let first = pulled_path(&o);
    assert!(
        first.ends_with(format!("Q4_1/SmolLM2-Q4_1-00001-of-{n:05}.gguf")),
        "{first:?}"
    );
    for f in &names {
        let p = first.with_file_name(f);
        assert_eq!(sha_of(&p), sha_of(&cut.path().join(f)), "{f}");
    }
    assert_eq!(hub.served(), total, "every part, once");
    // The link in a subfolder climbs one level more.
    let target = std::fs::read_link(&first).unwrap();
    assert!(target.starts_with("../../../blobs"), "{target:?}");
    let ask = |model: &str| greedy_answer(&env, model);
    let whole = ask(smol.to_str().unwrap());
    assert!(!whole.trim().is_empty());
    assert_eq!(ask(first.to_str().unwrap()), whole);
}

#[test]
fn a_dropped_connection_resumes_with_a_range_request() {
    let hub = FakeHub::start();
    let smol = smol_repo(&hub);
    let size = smol.len();
    hub.state.faults.lock().unwrap().drop_once_after = Some(size / 2);
    let env = Env::new(&hub);
    let path = pulled_path(&env.run(&["pull", &format!("{REPO}:Q4_1")]));
    assert_eq!(sha_of(&path), smol.sha256());
    let served = hub.served();
    eprintln!(
        "dropped at half: {served} bytes served for a {size}-byte file ({} re-downloaded)",
        served - size
    );
    assert!(served < size * 3 / 2, "{served} bytes for {size}");
    let log = hub.log();
    assert!(
        log.iter()
            .any(|l| l.contains(&format!("range=bytes={}-", size / 2))),
        "{log:#?}"
    );
}

#[test]
fn ctrl_c_keeps_a_partial_file_that_the_next_pull_resumes() {
    let hub = FakeHub::start();
    let smol = smol_repo(&hub);
    let size = smol.len();
    hub.state.faults.lock().unwrap().stall_after = Some(size / 2);
    let env = Env::new(&hub);
    let partial = env
        .repo_dir(REPO)
        .join(format!("blobs/{}.incomplete", smol.sha256()));
    let child = env
        .cmd(&["pull", &format!("{REPO}:Q4_1")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while std::fs::metadata(&partial).map_or(0, |m| m.len()) < size / 2 {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the download never got half-way"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    hub.state.release.store(true, Ordering::SeqCst);
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("resume"), "{}", text(&o.stderr));
    assert_eq!(std::fs::metadata(&partial).unwrap().len(), size / 2);

    hub.state.faults.lock().unwrap().stall_after = None;
    let o = env.run(&["pull", &format!("{REPO}:Q4_1")]);
    let path = pulled_path(&o);
    assert_eq!(sha_of(&path), smol.sha256());
    assert!(!partial.exists());
    let served = hub.served();
    assert!(served < size * 3 / 2, "{served} bytes for {size}");
    assert!(
        text(&o.stderr).contains("resumed after"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_corrupted_byte_fails_the_checksum_and_leaves_nothing() {
    let hub = FakeHub::start();
    let smol = smol_repo(&hub);
    hub.state.faults.lock().unwrap().corrupt_at = Some(smol.len() / 3);
    let env = Env::new(&hub);
    let o = env.run(&["pull", &format!("{REPO}:Q4_1")]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.contains("is corrupt") && err.contains(&smol.sha256()),
        "{err}"
    );
    let blobs = env.repo_dir(REPO).join("blobs");
    let left: Vec<_> = std::fs::read_dir(&blobs).unwrap().flatten().collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(!env.repo_dir(REPO).join("snapshots").exists());
}

#[test]
fn gated_repos_need_a_token_and_say_how_to_set_it() {
    let hub = FakeHub::start();
    let payload = small("gated weights");
    hub.add(
        "gated-org/Gated-GGUF",
        vec![HubFile::lfs("gated-Q4_K_M.gguf", payload.clone())],
        Some("hf_secret"),
    );
    let mut env = Env::new(&hub);
    let o = env.run(&["pull", "gated-org/Gated-GGUF"]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.contains("401") && err.contains("export HF_TOKEN="),
        "{err}"
    );

    env.token = Some("hf_wrong".into());
    let err = text(&env.run(&["pull", "gated-org/Gated-GGUF"]).stderr);
    assert!(
        err.contains("403") && err.contains("has no access"),
        "{err}"
    );

    // huggingface-cli's token file works like HF_TOKEN.
    env.token = None;
    std::fs::create_dir_all(env.hf_home()).unwrap();
    std::fs::write(env.hf_home().join("token"), "hf_secret\n").unwrap();
    let path = pulled_path(&env.run(&["pull", "gated-org/Gated-GGUF"]));
    assert_eq!(sha_of(&path), payload.sha256());
}

#[test]
fn missing_repos_quants_files_and_network_give_clear_errors() {
    let hub = FakeHub::start();
    smol_repo(&hub);
    hub.add(
        "test-org/no-gguf",
        vec![HubFile::text("README.md", "safetensors only")],
        None,
    );
    let env = Env::new(&hub);
    let err = |args: &[&str]| {
        let o = env.run(args);
        assert!(!o.status.success(), "{args:?} succeeded");
        text(&o.stderr)
    };
    let e = err(&["pull", "nobody/nothing-GGUF"]);
    assert!(e.contains("'nobody/nothing-GGUF' was not found"), "{e}");
    let e = err(&["pull", &format!("{REPO}:IQ1_S")]);
    assert!(
        e.contains("no file in") && e.contains("Q4_K_M, Q4_1, Q8_0"),
        "{e}"
    );
    let e = err(&["pull", "test-org/no-gguf"]);
    assert!(e.contains("has no GGUF files"), "{e}");
    let e = err(&["pull", REPO, "--file", "nope.gguf"]);
    assert!(e.contains("'nope.gguf' is not in"), "{e}");
    let e = err(&["pull", REPO, "--revision", "v9"]);
    assert!(e.contains("revision 'v9' was not found"), "{e}");
    let e = err(&["pull", "not a repo"]);
    assert!(e.contains("expected OWNER/NAME"), "{e}");
    let mut off = Env::new(&hub);
    off.endpoint = "http://127.0.0.1:9".into();
    let o = off.run(&["pull", REPO]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("cannot reach http://127.0.0.1:9"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(hub.served(), 0);
}

#[test]
fn ollama_models_are_listed_and_loadable_by_their_ollama_names() {
    let hub = FakeHub::start();
    let env = Env::new(&hub);
    let root = env.home().join(".ollama/models");
    let smol = common::smollm2();
    let digest = sha_of(&smol);
    std::fs::create_dir_all(root.join("blobs")).unwrap();
    std::os::unix::fs::symlink(&smol, root.join(format!("blobs/sha256-{digest}"))).unwrap();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": { "mediaType": "application/vnd.docker.container.image.v1+json", "digest": format!("sha256:{}", "c".repeat(64)), "size": 487 },
        "layers": [
            { "mediaType": "application/vnd.ollama.image.model", "digest": format!("sha256:{digest}"), "size": 98362432 },
            { "mediaType": "application/vnd.ollama.image.template", "digest": format!("sha256:{}", "d".repeat(64)), "size": 100 }
        ]
    });
    for dir in [
        "manifests/registry.ollama.ai/library/smollm2",
        "manifests/hf.co/bartowski/SmolLM2-GGUF",
    ] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    std::fs::write(
        root.join("manifests/registry.ollama.ai/library/smollm2/135m"),
        manifest.to_string(),
    )
    .unwrap();
    std::fs::write(
        root.join("manifests/hf.co/bartowski/SmolLM2-GGUF/Q4_1"),
        manifest.to_string(),
    )
    .unwrap();
    // A manifest whose blob is gone is left out, not shown broken.
    std::fs::create_dir_all(root.join("manifests/registry.ollama.ai/library/gone")).unwrap();
    std::fs::write(
        root.join("manifests/registry.ollama.ai/library/gone/latest"),
        manifest.to_string().replace(&digest, &"e".repeat(64)),
    )
    .unwrap();
    let out = text(&env.run(&["models"]).stdout);
    assert!(out.contains("smollm2:135m"), "{out}");
    assert!(out.contains("hf.co/bartowski/SmolLM2-GGUF:Q4_1"), "{out}");
    assert!(!out.contains("gone"), "{out}");
    // OLLAMA_MODELS points elsewhere: then that folder is read instead.
    let moved = env
        .cmd(&["models"])
        .env("OLLAMA_MODELS", env.dir.path().join("none"))
        .output()
        .unwrap();
    assert!(!text(&moved.stdout).contains("smollm2:135m"));
    let o = env.run(&[
        "run",
        "-m",
        "smollm2:135m",
        "-p",
        "Hi",
        "--temp",
        "0",
        "-n",
        "4",
        "-t",
        "2",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).trim().is_empty());
}

#[test]
fn hub_api_calls_are_retried_on_5xx_with_backoff() {
    let hub = FakeHub::start();
    let payload = small("q8 payload");
    hub.add(
        "test-org/busy-GGUF",
        vec![HubFile::lfs("busy-Q8_0.gguf", payload.clone())],
        None,
    );
    let env = Env::new(&hub);
    // The hub answers the first two API calls (the revision) with 503, then works.
    hub.state.faults.lock().unwrap().api_unavailable = 2;
    let t = Instant::now();
    let path = pulled_path(&env.run(&["pull", "test-org/busy-GGUF"]));
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(sha_of(&path), payload.sha256());
    let log = hub.log();
    let calls = |what: &str| log.iter().filter(|l| l.contains(what)).count();
    assert_eq!(calls("/revision/main"), 3, "{log:#?}");
    assert_eq!(calls("/tree/"), 1, "{log:#?}");
    // Backoff of 0.5 s, then 1 s: the pauses really happen.
    assert!(secs >= 1.5, "{secs:.2} s");
}
