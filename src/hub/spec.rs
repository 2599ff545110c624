//! What the user names on the command line: `OWNER/NAME[:QUANT]`, `hf.co/OWNER/NAME[:QUANT]` or a
//! page URL of a file (`https://huggingface.co/OWNER/NAME/blob/REV/FILE.gguf`), checked so that
//! no part of it can leave the cache folder once it becomes a path.

/// A parsed pull request: which repo, and what in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// `OWNER/NAME`.
    pub repo: String,
    /// The quantization tag after `:`, as typed.
    pub quant: Option<String>,
    /// An exact file (from a URL or `--file`).
    pub file: Option<String>,
    /// A branch, tag or commit (from a URL or `--revision`).
    pub revision: Option<String>,
}

const HOSTS: [&str; 4] = [
    "hf.co/",
    "huggingface.co/",
    "www.huggingface.co/",
    "www.hf.co/",
];

/// Parses what the user typed; the error says what was expected.
pub fn parse(input: &str) -> Result<Spec, String> {
    let s = input.trim();
    let expected = || {
        format!(
            "'{input}' is not a Hugging Face model: expected OWNER/NAME[:QUANT] (e.g. bartowski/Qwen2.5-1.5B-Instruct-GGUF:Q4_K_M), hf.co/OWNER/NAME[:QUANT] or a https://huggingface.co/OWNER/NAME/blob/main/FILE.gguf link"
        )
    };
    if let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    {
        // Any host: mirrors (HF_ENDPOINT) have the same paths as the hub.
        let path = rest.split_once('/').map(|(_, p)| p).unwrap_or("");
        let path = path.split(['?', '#']).next().unwrap_or("");
        return from_url_path(path).ok_or_else(expected);
    }
    let s = HOSTS.iter().find_map(|h| s.strip_prefix(h)).unwrap_or(s);
    let (repo, quant) = match s.rsplit_once(':') {
        Some((r, q)) => (r, Some(q)),
        None => (s, None),
    };
    let repo = check_repo(repo).ok_or_else(expected)?;
    let quant = match quant {
        Some(q) if check_tag(q) => Some(q.to_string()),
        Some(q) => {
            return Err(format!(
            "'{q}' is not a quantization tag: use letters, digits, '_', '-' and '.' (e.g. Q4_K_M)"
        ))
        }
        None => None,
    };
    Ok(Spec {
        repo,
        quant,
        file: None,
        revision: None,
    })
}

/// `OWNER/NAME[/blob|resolve|tree/REV[/FILE…]]`.
fn from_url_path(path: &str) -> Option<Spec> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let repo = check_repo(&parts.get(..2)?.join("/"))?;
    let mut spec = Spec {
        repo,
        quant: None,
        file: None,
        revision: None,
    };
    match parts.get(2) {
        None => {}
        Some(&("blob" | "resolve" | "tree")) => {
            let rev = percent_decode(parts.get(3)?);
            spec.revision = Some(check_revision(&rev).ok()?);
            if parts.len() > 4 && parts[2] != "tree" {
                spec.file = Some(check_file(&percent_decode(&parts[4..].join("/"))).ok()?);
            }
        }
        Some(_) => return None,
    }
    Some(spec)
}

/// `OWNER/NAME` with the characters the hub allows in names.
pub fn check_repo(repo: &str) -> Option<String> {
    let (owner, name) = repo.split_once('/')?;
    let ok = |p: &str| {
        !p.is_empty()
            && p.len() <= 96
            && !p.starts_with(['.', '-'])
            && !p.contains("..")
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    (ok(owner) && ok(name)).then(|| format!("{owner}/{name}"))
}

fn check_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 64
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A branch, tag or commit: printable, no spaces, no `..`.
pub fn check_revision(rev: &str) -> Result<String, String> {
    let ok = !rev.is_empty()
        && rev.len() <= 200
        && !rev.contains("..")
        && rev.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    if ok {
        Ok(rev.to_string())
    } else {
        Err(format!(
            "'{rev}' is not a revision: give a branch, a tag or a commit hash"
        ))
    }
}

/// A file path inside a repo that stays inside the folder it is joined to: relative, no `..`,
/// no empty or hidden-control components. Also applied to every path a hub's listing returns.
pub fn check_file(path: &str) -> Result<String, String> {
    let ok = !path.is_empty()
        && path.len() <= 1000
        && !path.starts_with('/')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
        && !path.chars().any(|c| c.is_control() || c == '\\');
    if ok {
        Ok(path.to_string())
    } else {
        Err(format!("'{path}' is not a file path inside a repository"))
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).and_then(|c| hex(*c)),
            b.get(i + 2).and_then(|c| hex(*c)),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, ..) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes one path segment (a revision such as `refs/pr/1` becomes one segment).
pub fn encode_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Percent-encodes a file path, keeping its `/`.
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let s = parse("bartowski/Qwen2.5-1.5B-Instruct-GGUF:Q4_K_M").unwrap();
        assert_eq!(s.repo, "bartowski/Qwen2.5-1.5B-Instruct-GGUF");
        assert_eq!(s.quant.as_deref(), Some("Q4_K_M"));
        let s = parse("hf.co/a/b").unwrap();
        assert_eq!((s.repo.as_str(), s.quant), ("a/b", None));
        let s = parse("https://huggingface.co/a/b/blob/main/sub/m%2B1.Q8_0.gguf").unwrap();
        assert_eq!(s.file.as_deref(), Some("sub/m+1.Q8_0.gguf"));
        assert_eq!(s.revision.as_deref(), Some("main"));
        let s = parse("https://huggingface.co/a/b").unwrap();
        assert_eq!((s.file, s.revision), (None, None));
        for bad in [
            "a",
            "a/b/c",
            "../b",
            "a/..",
            "a/b:Q4 K",
            "https://huggingface.co/a/b/blob/main/../x.gguf",
            "https://huggingface.co/a/b/commits/main",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn files_stay_inside() {
        assert!(check_file("a/b.gguf").is_ok());
        for bad in ["/etc/x", "a/../b", "a//b", "./a", "a\\b", "a\nb", ""] {
            assert!(check_file(bad).is_err(), "{bad:?}");
        }
        assert_eq!(encode_segment("refs/pr/1"), "refs%2Fpr%2F1");
    }
}
