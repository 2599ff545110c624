//! SHA-256 of model files, computed once and cached in `<data>/model-hashes.json` keyed by
//! path, size and modification time (a changed file gets a new hash; hashing a 4 GB model on
//! every reply would not do).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::atomic::write_atomic;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cache {
    /// Key: `<size>:<mtime ns>:<absolute path>`.
    #[serde(default)]
    entries: BTreeMap<String, String>,
}

/// The cache file's location.
pub fn cache_path() -> PathBuf {
    crate::paths::data_dir().join("model-hashes.json")
}

/// Hex SHA-256 of `path`, from the cache when the file is unchanged; computes and caches it
/// otherwise. An unreadable cache is rebuilt; a cache that cannot be written only costs speed.
pub fn sha256_cached(path: &Path) -> std::io::Result<String> {
    sha256_cached_in(&cache_path(), path)
}

/// As `sha256_cached`, with an explicit cache file (tests).
pub fn sha256_cached_in(cache_file: &Path, path: &Path) -> std::io::Result<String> {
    let key = key_of(path)?;
    let mut cache: Cache = std::fs::read(cache_file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    if let Some(h) = cache.entries.get(&key) {
        return Ok(h.clone());
    }
    let hash = sha256_file(path)?;
    let abs = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    // Older entries for the same file are stale now.
    let suffix = format!(":{}", abs.display());
    cache.entries.retain(|k, _| !k.ends_with(&suffix));
    cache.entries.insert(key, hash.clone());
    if let Ok(bytes) = serde_json::to_vec_pretty(&cache) {
        if let Err(e) = write_atomic(cache_file, &bytes) {
            tracing::warn!(
                "cannot write the model hash cache {}: {e}",
                cache_file.display()
            );
        }
    }
    Ok(hash)
}

fn key_of(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let abs = path.canonicalize()?;
    Ok(format!("{}:{mtime}:{}", meta.len(), abs.display()))
}

/// Hex SHA-256 of a whole file, streamed.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_cached_and_refreshed_when_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache.json");
        let file = dir.path().join("m.gguf");
        std::fs::write(&file, b"abc").unwrap();
        let h = sha256_cached_in(&cache, &file).unwrap();
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(std::fs::read_to_string(&cache).unwrap().contains(&h));
        // A cached value is served while size and mtime match (proved by poisoning it).
        let text = std::fs::read_to_string(&cache)
            .unwrap()
            .replace(&h, "cached");
        std::fs::write(&cache, text).unwrap();
        assert_eq!(sha256_cached_in(&cache, &file).unwrap(), "cached");
        // A different size invalidates the entry.
        std::fs::write(&file, b"abcd").unwrap();
        let h2 = sha256_cached_in(&cache, &file).unwrap();
        assert_eq!(h2, sha256_file(&file).unwrap());
        assert_ne!(h2, "cached");
        let text = std::fs::read_to_string(&cache).unwrap();
        assert!(!text.contains("\"cached\""), "stale entry kept: {text}");
    }
}
