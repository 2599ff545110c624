//! Embeddings for `similar` selection and `--method embed`, cached by (model, text) so that
//! rendering many inputs against the same examples embeds each example once per model.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::engine::{Engine, EngineError, ModelInfo};

/// Something that embeds texts (pooled, L2-normalized vectors, one per text).
pub trait Embed {
    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EngineError>;
}

impl Embed for Engine {
    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EngineError> {
        Engine::embed(self, texts.to_vec())
    }
}

impl Embed for crate::embed_model::EmbedModel {
    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EngineError> {
        crate::embed_model::EmbedModel::embed(self, texts)
    }
}

impl<F: Fn(&[String]) -> Result<Vec<Vec<f32>>, EngineError>> Embed for F {
    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EngineError> {
        self(texts)
    }
}

/// Vectors by (model key, text).
type VectorMap = HashMap<(String, String), Arc<Vec<f32>>>;

/// Embedding vectors by (model key, text). Thread-safe; share one for a session, or use
/// [`EmbeddingCache::global`].
#[derive(Default)]
pub struct EmbeddingCache {
    map: Mutex<VectorMap>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl EmbeddingCache {
    pub fn new() -> EmbeddingCache {
        EmbeddingCache::default()
    }

    /// One cache for the whole process.
    pub fn global() -> &'static EmbeddingCache {
        static CACHE: OnceLock<EmbeddingCache> = OnceLock::new();
        CACHE.get_or_init(EmbeddingCache::new)
    }

    /// (texts found in the cache, texts that had to be embedded) so far.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VectorMap> {
        // A panic while holding the lock leaves a consistent map (inserts are whole), so a
        // poisoned lock is safe to keep using.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A model's embedder with its cache: what [`super::RenderOptions::embedder`] takes.
pub struct Embedder<'a> {
    /// Cache key for the model: vectors of different models never mix.
    pub model: String,
    pub backend: &'a dyn Embed,
    pub cache: &'a EmbeddingCache,
    /// Said once (on stderr and in the log) when this embedder first embeds: why its vectors may
    /// be poor.
    pub warning: Option<String>,
}

impl<'a> Embedder<'a> {
    /// The embedding model for the chat model `info` runs in `engine` (see [`crate::embed_model`]):
    /// the dedicated one when there is one, else `engine` itself, with the process-wide cache.
    pub fn engine(engine: &'a Engine, info: &ModelInfo) -> Embedder<'a> {
        match crate::embed_model::dedicated_for(info) {
            Some(m) => Embedder {
                model: m.key(),
                backend: m,
                cache: EmbeddingCache::global(),
                warning: None,
            },
            None => Embedder {
                model: info.path.display().to_string(),
                backend: engine,
                cache: EmbeddingCache::global(),
                warning: info
                    .pooling
                    .is_none()
                    .then(|| crate::embed_model::weak_warning(info)),
            },
        }
    }

    /// One vector per text; only texts not cached yet go to the backend, in one call.
    pub fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EngineError> {
        let mut out: Vec<Option<Arc<Vec<f32>>>> = {
            let map = self.cache.lock();
            texts
                .iter()
                .map(|t| map.get(&(self.model.clone(), t.clone())).cloned())
                .collect()
        };
        let mut missing: Vec<String> = Vec::new();
        for (t, v) in texts.iter().zip(&out) {
            if v.is_none() && !missing.contains(t) {
                missing.push(t.clone());
            }
        }
        let hits = out.iter().filter(|v| v.is_some()).count() as u64;
        self.cache.hits.fetch_add(hits, Ordering::Relaxed);
        self.cache
            .misses
            .fetch_add(missing.len() as u64, Ordering::Relaxed);
        if !missing.is_empty() {
            if let Some(w) = &self.warning {
                crate::embed_model::warn_once(w);
            }
            let vecs = self.backend.embed(&missing)?;
            if vecs.len() != missing.len() {
                return Err(EngineError::Backend(format!(
                    "asked for {} embeddings, got {}",
                    missing.len(),
                    vecs.len()
                )));
            }
            let mut map = self.cache.lock();
            for (t, v) in missing.into_iter().zip(vecs) {
                map.insert((self.model.clone(), t), Arc::new(v));
            }
            for (t, slot) in texts.iter().zip(out.iter_mut()) {
                if slot.is_none() {
                    *slot = map.get(&(self.model.clone(), t.clone())).cloned();
                }
            }
        }
        Ok(out
            .into_iter()
            .map(|v| v.map(|v| v.as_ref().clone()).unwrap_or_default())
            .collect())
    }
}

/// Cosine similarity; 0 for a zero vector or mismatched lengths.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn cache_embeds_each_text_once_per_model() {
        let calls: RefCell<Vec<usize>> = RefCell::new(Vec::new());
        let backend = |texts: &[String]| -> Result<Vec<Vec<f32>>, EngineError> {
            calls.borrow_mut().push(texts.len());
            Ok(texts.iter().map(|t| vec![t.len() as f32, 1.0]).collect())
        };
        let cache = EmbeddingCache::new();
        let e = Embedder {
            model: "m1".into(),
            backend: &backend,
            cache: &cache,
            warning: None,
        };
        let texts: Vec<String> = ["a", "bb", "a"].iter().map(|s| s.to_string()).collect();
        let v = e.embed(&texts).unwrap();
        assert_eq!(v, vec![vec![1.0, 1.0], vec![2.0, 1.0], vec![1.0, 1.0]]);
        e.embed(&texts).unwrap();
        assert_eq!(
            *calls.borrow(),
            vec![2],
            "second call must come from the cache"
        );
        let other = Embedder {
            model: "m2".into(),
            backend: &backend,
            cache: &cache,
            warning: None,
        };
        other.embed(&texts[..1]).unwrap();
        assert_eq!(
            *calls.borrow(),
            vec![2, 1],
            "another model has its own vectors"
        );
    }

    #[test]
    fn cosine_of_parallel_and_orthogonal() {
        assert!((cosine(&[1.0, 0.0], &[2.0, 0.0]) - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 3.0]), 0.0);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
    }
}
