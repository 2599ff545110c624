//! Choosing what to download from a repository's listing, as llama.cpp's `-hf` does: GGUF files
//! only, never `mmproj` (vision projectors) or `imatrix` data; the quant tag matched
//! case-insensitively in file names; without a tag Q4_K_M, else Q8_0, else the first GGUF; a
//! split model (`-00001-of-00003.gguf`) comes with all its parts.

use super::api::Entry;
use super::error::HubError;

/// The tags tried, in order, when the user gives none (llama.cpp's defaults).
pub const DEFAULT_TAGS: [&str; 2] = ["Q4_K_M", "Q8_0"];

/// A model file, or the parts of a split one, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub parts: Vec<Entry>,
}

impl Choice {
    pub fn first(&self) -> &Entry {
        &self.parts[0]
    }

    pub fn size(&self) -> u64 {
        self.parts.iter().map(|p| p.size).sum()
    }

    /// The quant as file names spell it, else the file name.
    pub fn quant(&self) -> String {
        quant_of(&self.first().path).unwrap_or_else(|| base_name(&self.first().path).to_string())
    }
}

/// GGUF model files: `.gguf`, not a projector or an importance matrix.
pub fn is_model(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    p.ends_with(".gguf") && !p.contains("mmproj") && !p.contains("imatrix")
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `(index, count)` of a split part: `x-00002-of-00003.gguf` is `(2, 3)`.
pub fn split_part(path: &str) -> Option<(u32, u32)> {
    let cut = path.len().checked_sub(5)?;
    if !path.get(cut..)?.eq_ignore_ascii_case(".gguf") {
        return None;
    }
    let (rest, count) = path[..cut].rsplit_once("-of-")?;
    let (_, index) = rest.rsplit_once('-')?;
    let num = |s: &str| {
        (s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (i, n) = (num(index)?, num(count)?);
    (1..=n).contains(&i).then_some((i, n))
}

/// Whether `tag` appears in `path` as its own part of the name (case-insensitive): after the
/// start or a separator, and followed by `.`, `-` or `_` — `Q4_K` never matches `Q4_K_M`.
pub fn matches_tag(path: &str, tag: &str) -> bool {
    let name = base_name(path).to_ascii_lowercase();
    let dir = path.to_ascii_lowercase();
    let tag = tag.to_ascii_lowercase();
    let hit = |s: &str| {
        s.match_indices(&tag).any(|(i, _)| {
            let before = s[..i].chars().last();
            let after = s[i + tag.len()..].chars().next();
            matches!(before, None | Some('.' | '-' | '_' | '/'))
                && matches!(after, Some('.' | '-') | None | Some('/'))
        })
    };
    hit(&name) || (dir.contains('/') && hit(&dir))
}

/// The quantization a file name carries (`…-Q4_K_M.gguf` → `Q4_K_M`), if it names one.
pub fn quant_of(path: &str) -> Option<String> {
    let name = base_name(path);
    let stem = name.get(..name.len().saturating_sub(5))?;
    let stem = match split_part(path) {
        Some(_) => stem.rsplitn(4, '-').nth(3).unwrap_or(stem),
        None => stem,
    };
    stem.split(['.', '-'])
        .rev()
        .find(|w| is_quant_word(w))
        .map(str::to_ascii_uppercase)
        .or_else(|| {
            // `model_q4_k_m`: the tag follows the last underscore-free word boundary.
            let lower = stem.to_ascii_lowercase();
            ["iq", "q", "f16", "bf16", "f32", "tq"]
                .iter()
                .find_map(|p| {
                    let i = lower.rfind(&format!("_{p}"))?;
                    let w = &stem[i + 1..];
                    is_quant_word(w).then(|| w.to_ascii_uppercase())
                })
        })
}

fn is_quant_word(w: &str) -> bool {
    let u = w.to_ascii_uppercase();
    if matches!(u.as_str(), "F16" | "BF16" | "F32" | "FP16" | "MXFP4") {
        return true;
    }
    let rest = u
        .strip_prefix("IQ")
        .or_else(|| u.strip_prefix("TQ"))
        .or_else(|| u.strip_prefix('Q'));
    rest.is_some_and(|r| {
        r.starts_with(|c: char| c.is_ascii_digit())
            && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Model files grouped: single files, and split models as one choice each, listing order kept.
pub fn models(entries: &[Entry]) -> Vec<Choice> {
    let mut out: Vec<Choice> = Vec::new();
    for e in entries.iter().filter(|e| is_model(&e.path)) {
        match split_part(&e.path) {
            Some((1, n)) => {
                let prefix = &e.path[..e.path.len() - "00001-of-00000.gguf".len()];
                let mut parts: Vec<Entry> = (1..=n)
                    .filter_map(|i| {
                        let want = format!("{prefix}{i:05}-of-{n:05}.gguf");
                        entries.iter().find(|x| x.path == want).cloned()
                    })
                    .collect();
                parts.sort_by(|a, b| a.path.cmp(&b.path));
                out.push(Choice { parts });
            }
            Some(_) => {}
            None => out.push(Choice {
                parts: vec![e.clone()],
            }),
        }
    }
    out
}

/// What to download for `quant` (or the default order), or exactly `file`.
pub fn choose(
    repo: &str,
    entries: &[Entry],
    quant: Option<&str>,
    file: Option<&str>,
) -> Result<Choice, HubError> {
    let all = models(entries);
    let names = || {
        all.iter()
            .map(|c| c.first().path.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let choice = if let Some(f) = file {
        let hit = entries
            .iter()
            .find(|e| e.path == f || base_name(&e.path) == f);
        let Some(hit) = hit else {
            return Err(HubError::NoFile {
                repo: repo.into(),
                file: f.into(),
                available: if all.is_empty() {
                    "none".into()
                } else {
                    names()
                },
            });
        };
        // A named part of a split model brings its siblings.
        all.iter()
            .find(|c| c.parts.iter().any(|p| p.path == hit.path))
            .cloned()
            .unwrap_or(Choice {
                parts: vec![hit.clone()],
            })
    } else {
        if all.is_empty() {
            return Err(HubError::NoGguf { repo: repo.into() });
        }
        let tags: Vec<&str> = match quant {
            Some(q) => vec![q],
            None => DEFAULT_TAGS.to_vec(),
        };
        let found = tags
            .iter()
            .find_map(|t| all.iter().find(|c| matches_tag(&c.first().path, t)));
        match (found, quant) {
            (Some(c), _) => c.clone(),
            (None, None) => all[0].clone(),
            (None, Some(q)) => {
                let mut quants: Vec<String> = all.iter().map(Choice::quant).collect();
                quants.dedup();
                return Err(HubError::NoQuant {
                    repo: repo.into(),
                    quant: q.into(),
                    first: quants[0].clone(),
                    available: quants.join(", "),
                });
            }
        }
    };
    if let Some((_, n)) = split_part(&choice.first().path) {
        if choice.parts.len() != n as usize {
            let have: Vec<u32> = choice
                .parts
                .iter()
                .filter_map(|p| split_part(&p.path).map(|x| x.0))
                .collect();
            let missing: Vec<String> = (1..=n)
                .filter(|i| !have.contains(i))
                .map(|i| format!("part {i} of {n}"))
                .collect();
            return Err(HubError::MissingParts {
                file: choice.first().path.clone(),
                missing: missing.join(", "),
            });
        }
    }
    Ok(choice)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(path: &str) -> Entry {
        Entry {
            path: path.into(),
            size: 10,
            sha256: Some("a".repeat(64)),
            git_oid: "b".repeat(40),
        }
    }

    fn pick(files: &[&str], quant: Option<&str>) -> Result<Vec<String>, String> {
        let es: Vec<Entry> = files.iter().map(|f| e(f)).collect();
        choose("o/r", &es, quant, None)
            .map(|c| c.parts.into_iter().map(|p| p.path).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn tags_and_defaults() {
        let files = [
            "README.md",
            "m-Q2_K.gguf",
            "m-Q4_K.gguf",
            "m-Q4_K_M.gguf",
            "m-Q8_0.gguf",
            "mmproj-m-f16.gguf",
            "m.imatrix.gguf",
        ];
        assert_eq!(pick(&files, None).unwrap(), ["m-Q4_K_M.gguf"]);
        assert_eq!(pick(&files, Some("q4_k")).unwrap(), ["m-Q4_K.gguf"]);
        assert_eq!(pick(&files, Some("Q8_0")).unwrap(), ["m-Q8_0.gguf"]);
        assert_eq!(pick(&files[..2], None).unwrap(), ["m-Q2_K.gguf"]);
        let err = pick(&files, Some("IQ1_S")).unwrap_err();
        assert!(err.contains("Q2_K, Q4_K, Q4_K_M, Q8_0"), "{err}");
        assert!(pick(&["README.md", "mmproj-f16.gguf"], None)
            .unwrap_err()
            .contains("no GGUF"));
    }

    #[test]
    fn splits_come_whole() {
        let files = [
            "Q8_0/m-Q8_0-00002-of-00002.gguf",
            "Q8_0/m-Q8_0-00001-of-00002.gguf",
            "m-Q4_K_M.gguf",
        ];
        assert_eq!(
            pick(&files, Some("q8_0")).unwrap(),
            [
                "Q8_0/m-Q8_0-00001-of-00002.gguf",
                "Q8_0/m-Q8_0-00002-of-00002.gguf"
            ]
        );
        let err = pick(&files[1..], Some("Q8_0")).unwrap_err();
        assert!(err.contains("part 2 of 2"), "{err}");
        assert_eq!(split_part("a-00002-of-00003.gguf"), Some((2, 3)));
        assert_eq!(split_part("a-2-of-3.gguf"), None);
    }

    #[test]
    fn quant_names() {
        assert_eq!(
            quant_of("Qwen2.5-1.5B-Instruct-Q4_K_M.gguf").as_deref(),
            Some("Q4_K_M")
        );
        assert_eq!(quant_of("smollm2.Q4_1.gguf").as_deref(), Some("Q4_1"));
        assert_eq!(
            quant_of("gemma-3-270m-q4_k_m.gguf").as_deref(),
            Some("Q4_K_M")
        );
        assert_eq!(
            quant_of("m-IQ3_XXS-00001-of-00002.gguf").as_deref(),
            Some("IQ3_XXS")
        );
        assert_eq!(quant_of("model_bf16.gguf").as_deref(), Some("BF16"));
        assert_eq!(quant_of("model.gguf"), None);
    }
}
