//! A stand-in for the Hugging Face hub on 127.0.0.1, speaking the hub's own API shapes: the
//! revision info (`api/models/REPO/revision/REV` → `sha`), the recursive tree listing with LFS
//! `oid`/`size` (paged by `Link` headers), `REPO/resolve/REV/FILE` answering 302 to a CDN
//! address with `X-Repo-Commit`/`X-Linked-Etag`/`X-Linked-Size`, and a CDN that honours `Range`
//! with `ETag` and `Content-Range`. Error answers carry the hub's `X-Error-Code` headers.
//! Faults can be injected: a connection dropped or stalled part-way, a corrupted byte.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Where a served file's bytes come from.
#[derive(Clone)]
pub enum Source {
    /// `len` bytes of a real file from `offset`.
    Disk {
        path: PathBuf,
        offset: u64,
        len: u64,
    },
    Bytes(Arc<Vec<u8>>),
}

impl Source {
    pub fn file(path: PathBuf) -> Source {
        let len = std::fs::metadata(&path).unwrap().len();
        Source::Disk {
            path,
            offset: 0,
            len,
        }
    }

    pub fn len(&self) -> u64 {
        match self {
            Source::Disk { len, .. } => *len,
            Source::Bytes(b) => b.len() as u64,
        }
    }

    fn reader(&self, from: u64) -> Box<dyn Read + Send> {
        match self {
            Source::Disk { path, offset, len } => {
                let mut f = std::fs::File::open(path).unwrap();
                f.seek(SeekFrom::Start(offset + from)).unwrap();
                Box::new(f.take(len - from))
            }
            Source::Bytes(b) => Box::new(std::io::Cursor::new(b[from as usize..].to_vec())),
        }
    }

    pub fn sha256(&self) -> String {
        let mut h = Sha256::new();
        std::io::copy(&mut self.reader(0), &mut h).unwrap();
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[derive(Clone)]
pub struct HubFile {
    pub path: String,
    pub source: Source,
    pub sha256: String,
    /// Stored in git, not LFS (READMEs): listed without `lfs`, served without a redirect.
    pub plain: bool,
}

impl HubFile {
    pub fn lfs(path: &str, source: Source) -> HubFile {
        HubFile {
            path: path.into(),
            sha256: source.sha256(),
            source,
            plain: false,
        }
    }

    pub fn text(path: &str, text: &str) -> HubFile {
        let source = Source::Bytes(Arc::new(text.as_bytes().to_vec()));
        HubFile {
            path: path.into(),
            sha256: source.sha256(),
            source,
            plain: true,
        }
    }
}

#[derive(Clone)]
pub struct Repo {
    pub commit: String,
    pub files: Vec<HubFile>,
    /// Gated: downloads need `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

/// Faults for the CDN's next answers.
#[derive(Default)]
pub struct Faults {
    /// Close the connection after this many body bytes, once.
    pub drop_once_after: Option<u64>,
    /// Stop sending after this many body bytes until `release` (or 60 s).
    pub stall_after: Option<u64>,
    /// Flip the byte at this file offset in every answer.
    pub corrupt_at: Option<u64>,
    /// A slow link: this pause after every 64 KiB.
    pub chunk_delay: Option<Duration>,
    /// Answer this many of the next API calls (revision, tree) with 503, as a hub under load.
    pub api_unavailable: u32,
}

#[derive(Default)]
pub struct State {
    pub repos: Mutex<HashMap<String, Repo>>,
    pub faults: Mutex<Faults>,
    pub release: AtomicBool,
    /// File body bytes the CDN has sent.
    pub served: AtomicU64,
    /// "METHOD target range=… auth=…" for every request.
    pub log: Mutex<Vec<String>>,
}

pub struct FakeHub {
    pub url: String,
    pub state: Arc<State>,
}

/// A deterministic fake commit hash per repo name.
pub fn commit_for(repo: &str) -> String {
    let h = Sha256::digest(repo.as_bytes());
    h.iter().take(20).map(|b| format!("{b:02x}")).collect()
}

impl FakeHub {
    pub fn start() -> FakeHub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State::default());
        let (st, base) = (state.clone(), url.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (st, base) = (st.clone(), base.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, &st, &base);
                });
            }
        });
        FakeHub { url, state }
    }

    pub fn add(&self, name: &str, files: Vec<HubFile>, token: Option<&str>) {
        self.state.repos.lock().unwrap().insert(
            name.into(),
            Repo {
                commit: commit_for(name),
                files,
                token: token.map(String::from),
            },
        );
    }

    pub fn served(&self) -> u64 {
        self.state.served.load(Ordering::SeqCst)
    }

    pub fn log(&self) -> Vec<String> {
        self.state.log.lock().unwrap().clone()
    }
}

struct Req {
    method: String,
    path: String,
    query: String,
    headers: HashMap<String, String>,
}

fn read_req(stream: &TcpStream) -> Option<Req> {
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target, String::new()),
    };
    Some(Req {
        method,
        path,
        query,
        headers,
    })
}

fn decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 3 <= b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn respond(
    s: &mut TcpStream,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    s.flush()
}

fn hub_error(s: &mut TcpStream, status: &str, code: &str, message: &str) -> std::io::Result<()> {
    let body = serde_json::json!({ "error": message }).to_string();
    respond(
        s,
        status,
        &[
            ("Content-Type", "application/json; charset=utf-8".into()),
            ("X-Error-Code", code.into()),
            ("X-Error-Message", message.into()),
        ],
        body.as_bytes(),
    )
}

fn serve(mut s: TcpStream, st: &State, base: &str) -> std::io::Result<()> {
    let Some(req) = read_req(&s) else {
        return Ok(());
    };
    st.log.lock().unwrap().push(format!(
        "{} {} range={} auth={}",
        req.method,
        req.path,
        req.headers.get("range").cloned().unwrap_or_default(),
        req.headers.contains_key("authorization")
    ));
    let segs: Vec<String> = req.path.split('/').skip(1).map(decode).collect();
    let seg = |i: usize| segs.get(i).map(String::as_str).unwrap_or("");
    if seg(0) == "cdn" {
        return cdn(&mut s, st, &req, seg(1));
    }
    let api = seg(0) == "api" && seg(1) == "models";
    if api {
        let mut f = st.faults.lock().unwrap();
        if f.api_unavailable > 0 {
            f.api_unavailable -= 1;
            drop(f);
            return hub_error(&mut s, "503 Service Unavailable", "", "Service Unavailable");
        }
    }
    let repo_name = if api {
        format!("{}/{}", seg(2), seg(3))
    } else {
        format!("{}/{}", seg(0), seg(1))
    };
    let Some(repo) = st.repos.lock().unwrap().get(&repo_name).cloned() else {
        // The hub answers 401 for a repo it cannot show to an anonymous caller.
        return hub_error(
            &mut s,
            "401 Unauthorized",
            "RepoNotFound",
            "Repository not found",
        );
    };
    let rev_ok = |rev: &str| rev == "main" || rev == repo.commit;
    if api && seg(4) == "revision" {
        if !rev_ok(seg(5)) {
            let m = format!("Invalid rev id: {}", seg(5));
            return hub_error(&mut s, "404 Not Found", "RevisionNotFound", &m);
        }
        let siblings: Vec<_> = repo
            .files
            .iter()
            .map(|f| serde_json::json!({ "rfilename": f.path }))
            .collect();
        let body = serde_json::json!({
            "_id": "66f0000000000000000000aa", "id": repo_name, "modelId": repo_name,
            "author": seg(2), "sha": repo.commit, "lastModified": "2024-10-01T12:00:00.000Z",
            "private": false, "disabled": false, "gated": if repo.token.is_some() { serde_json::json!("manual") } else { serde_json::json!(false) },
            "tags": ["gguf"], "siblings": siblings,
        });
        return respond(
            &mut s,
            "200 OK",
            &[("Content-Type", "application/json; charset=utf-8".into())],
            body.to_string().as_bytes(),
        );
    }
    if api && seg(4) == "tree" {
        if !rev_ok(seg(5)) {
            return hub_error(
                &mut s,
                "404 Not Found",
                "RevisionNotFound",
                "Invalid rev id",
            );
        }
        return tree(&mut s, &repo, &repo_name, &req, base, seg(5));
    }
    if !api && seg(2) == "resolve" {
        let rev = seg(3);
        let path = segs[4..].join("/");
        if let Some(t) = &repo.token {
            match req.headers.get("authorization") {
                None => {
                    let m = format!("Access to model {repo_name} is restricted. You must have access to it and be authenticated to access it. Please log in.");
                    return hub_error(&mut s, "401 Unauthorized", "GatedRepo", &m);
                }
                Some(a) if a != &format!("Bearer {t}") => {
                    let m = format!("Access to model {repo_name} is restricted and you are not in the authorized list. Visit {base}/{repo_name} to ask for access.");
                    return hub_error(&mut s, "403 Forbidden", "GatedRepo", &m);
                }
                _ => {}
            }
        }
        let Some(f) = repo
            .files
            .iter()
            .find(|f| f.path == path)
            .filter(|_| rev_ok(rev))
        else {
            return hub_error(
                &mut s,
                "404 Not Found",
                "EntryNotFound",
                &format!("{path} does not exist on \"{rev}\""),
            );
        };
        let common = vec![
            ("X-Repo-Commit", repo.commit.clone()),
            ("ETag", format!("\"{}\"", &f.sha256[..40])),
            ("Accept-Ranges", "bytes".into()),
        ];
        if f.plain {
            return respond(&mut s, "200 OK", &common, &read_all(&f.source));
        }
        // The real hub sends LFS files on to its CDN with a signed address.
        let loc = format!(
            "{base}/cdn/{}?X-Amz-Expires=3600&X-Amz-Signature=abc123",
            f.sha256
        );
        let body = format!("Found. Redirecting to {loc}");
        let mut h = common;
        h.extend([
            ("Location", loc),
            ("X-Linked-Etag", format!("\"{}\"", f.sha256)),
            ("X-Linked-Size", f.source.len().to_string()),
            ("Content-Type", "text/plain; charset=utf-8".into()),
        ]);
        return respond(&mut s, "302 Found", &h, body.as_bytes());
    }
    hub_error(&mut s, "404 Not Found", "EntryNotFound", "Not found")
}

fn read_all(src: &Source) -> Vec<u8> {
    let mut v = Vec::new();
    src.reader(0).read_to_end(&mut v).unwrap();
    v
}

/// The listing, two entries a page (so paging is exercised), folders listed as `directory`.
fn tree(
    s: &mut TcpStream,
    repo: &Repo,
    name: &str,
    req: &Req,
    base: &str,
    rev: &str,
) -> std::io::Result<()> {
    assert!(req.query.contains("recursive=true"), "{}", req.query);
    let mut items = Vec::new();
    let mut dirs = std::collections::BTreeSet::new();
    for f in &repo.files {
        if let Some((d, _)) = f.path.rsplit_once('/') {
            if dirs.insert(d.to_string()) {
                items.push(serde_json::json!({ "type": "directory", "oid": "0".repeat(40), "size": 0, "path": d }));
            }
        }
        let git_oid: String = f.sha256.chars().rev().take(40).collect();
        let mut item = serde_json::json!({ "type": "file", "oid": git_oid, "size": if f.plain { f.source.len() } else { 134 }, "path": f.path });
        if !f.plain {
            item["lfs"] =
                serde_json::json!({ "oid": f.sha256, "size": f.source.len(), "pointerSize": 134 });
        }
        items.push(item);
    }
    let cursor: usize = req
        .query
        .split('&')
        .find_map(|kv| kv.strip_prefix("cursor="))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let page: Vec<_> = items.iter().skip(cursor).take(2).cloned().collect();
    let mut h = vec![(
        "Content-Type",
        "application/json; charset=utf-8".to_string(),
    )];
    if cursor + 2 < items.len() {
        h.push((
            "Link",
            format!(
                "<{base}/api/models/{name}/tree/{rev}?recursive=true&cursor={}>; rel=\"next\"",
                cursor + 2
            ),
        ));
    }
    respond(
        s,
        "200 OK",
        &h,
        serde_json::Value::Array(page).to_string().as_bytes(),
    )
}

fn cdn(s: &mut TcpStream, st: &State, req: &Req, sha: &str) -> std::io::Result<()> {
    assert!(
        !req.headers.contains_key("authorization"),
        "the token must not go to the CDN"
    );
    let file = st
        .repos
        .lock()
        .unwrap()
        .values()
        .flat_map(|r| r.files.clone())
        .find(|f| f.sha256 == sha);
    let Some(f) = file else {
        return respond(s, "404 Not Found", &[], b"NoSuchKey");
    };
    let size = f.source.len();
    let from = req
        .headers
        .get("range")
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    if from >= size && from > 0 {
        return respond(
            s,
            "416 Range Not Satisfiable",
            &[("Content-Range", format!("bytes */{size}"))],
            b"",
        );
    }
    let mut head = if from > 0 {
        format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{}/{size}\r\n",
            size - 1
        )
    } else {
        "HTTP/1.1 200 OK\r\n".to_string()
    };
    head.push_str(&format!(
        "Content-Length: {}\r\nContent-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\nETag: \"{sha}\"\r\nConnection: close\r\n\r\n",
        size - from
    ));
    s.write_all(head.as_bytes())?;
    let (drop_after, stall_after, corrupt_at, delay) = {
        let mut f = st.faults.lock().unwrap();
        (
            f.drop_once_after.take(),
            f.stall_after,
            f.corrupt_at,
            f.chunk_delay,
        )
    };
    let mut reader = f.source.reader(from);
    let mut buf = vec![0u8; 64 * 1024];
    let mut pos = from;
    let mut sent = 0u64;
    loop {
        let mut n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if let Some(limit) = drop_after
            .or(stall_after)
            .filter(|l| sent + n as u64 > *l && sent <= *l)
        {
            n = (limit - sent) as usize;
        }
        if let Some(c) = corrupt_at.filter(|c| (pos..pos + n as u64).contains(c)) {
            buf[(c - pos) as usize] ^= 0x5a;
        }
        s.write_all(&buf[..n])?;
        if let Some(d) = delay {
            std::thread::sleep(d);
        }
        st.served.fetch_add(n as u64, Ordering::SeqCst);
        sent += n as u64;
        pos += n as u64;
        if drop_after == Some(sent) {
            s.flush()?;
            return s.shutdown(std::net::Shutdown::Both);
        }
        if stall_after == Some(sent) {
            s.flush()?;
            let t = Instant::now();
            while !st.release.load(Ordering::SeqCst) && t.elapsed() < Duration::from_secs(60) {
                std::thread::sleep(Duration::from_millis(20));
            }
            return s.shutdown(std::net::Shutdown::Both);
        }
    }
    s.flush()
}
