//! A bounds-checked reader of GGUF headers: validates a file before llama.cpp ever sees it (GGUF
//! loaders have had many memory-safety bugs) and reads the metadata `howdah models` shows.
//!
//! The header's layout is read here; the bounds-checked primitive reads are `reader.rs`, the
//! ggml tensor types' sizes and names `ggml_types.rs`.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use super::ggml_types::{tensor_bytes, type_name};
use super::reader::{Reader, Value};

/// Files smaller than this cannot hold a usable model.
const MIN_MODEL_BYTES: u64 = 1024;
/// Caps on counts read from the header, far above any real model, so a hostile header cannot
/// make us allocate or loop without end.
const MAX_KV: u64 = 1 << 20;
const MAX_TENSORS: u64 = 1 << 20;
const MAX_DIMS: u32 = 8;

#[derive(Debug, Clone, Default)]
pub struct GgufHeader {
    pub version: u32,
    pub metadata: HashMap<String, Value>,
    pub n_tensors: u64,
    /// Sum of all tensors' element counts.
    pub parameters: u64,
    pub file_size: u64,
    /// Most common tensor type, as a name (used when general.file_type is missing).
    pub dominant_type: Option<String>,
    /// Every tensor's name and dimensions, for the hyper-parameter checks (`hparams`).
    pub tensors: Vec<TensorInfo>,
    /// Integer arrays of at most `MAX_KEPT_ARRAY` elements (per-layer head counts and the like).
    pub int_arrays: HashMap<String, Vec<i128>>,
}

/// A tensor as the header describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    pub dims: Vec<u64>,
    /// Bytes of its data (0 for a type this reader does not know): sizes GPU offload plans.
    pub bytes: u64,
}

impl GgufHeader {
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.metadata.get(key) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }
    pub fn int(&self, key: &str) -> Option<i128> {
        match self.metadata.get(key) {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        }
    }
}

/// Reads and checks the header of `path`. The error says what is wrong with the file in words a
/// user can act on; the caller adds the path.
pub fn read_header(path: &Path) -> Result<GgufHeader, String> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "the file does not exist".to_string(),
        _ => format!("cannot read it ({e})"),
    })?;
    if !meta.is_file() {
        return Err("it is not a regular file".into());
    }
    let file_size = meta.len();
    if file_size == 0 {
        return Err("the file is empty".into());
    }
    let file = File::open(path).map_err(|e| format!("cannot open it ({e})"))?;
    let mut r = Reader::new(file, file_size);
    let mut magic = [0u8; 4];
    r.exact(&mut magic)
        .map_err(|_| "it is too short to be a GGUF model".to_string())?;
    if &magic != b"GGUF" {
        return Err(format!(
            "it is not a GGUF model (the file starts with {:02x?}, GGUF files start with \"GGUF\")",
            magic
        ));
    }
    let version = r.u32()?;
    if !(2..=3).contains(&version) {
        return Err(format!(
            "GGUF version {version} is not supported (howdah reads versions 2 and 3)"
        ));
    }
    if file_size < MIN_MODEL_BYTES {
        return Err(format!(
            "it is only {file_size} bytes: too small to be a model"
        ));
    }
    let n_tensors = r.u64()?;
    let n_kv = r.u64()?;
    if n_tensors > MAX_TENSORS || n_kv > MAX_KV {
        return Err(format!(
            "its header claims {n_tensors} tensors and {n_kv} metadata entries: the file is corrupt"
        ));
    }
    let mut metadata = HashMap::new();
    let mut int_arrays = HashMap::new();
    for _ in 0..n_kv {
        let key = r.string()?;
        let ty = r.u32()?;
        let (value, ints) = r.value(ty)?;
        if let Some(ints) = ints {
            int_arrays.insert(key.clone(), ints);
        }
        metadata.insert(key, value);
    }
    let alignment = match metadata.get("general.alignment") {
        Some(Value::Int(a)) if *a > 0 && *a <= 1 << 16 => *a as u64,
        _ => 32,
    };
    let mut parameters: u64 = 0;
    let mut type_counts: HashMap<u32, u64> = HashMap::new();
    let mut data_end: u64 = 0;
    let mut all_known = true;
    let mut tensors = Vec::with_capacity(n_tensors.min(4096) as usize);
    for _ in 0..n_tensors {
        let name = r.string()?;
        let n_dims = r.u32()?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(format!(
                "a tensor has {n_dims} dimensions: the file is corrupt"
            ));
        }
        let mut elements: u64 = 1;
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            let d = r.u64()?;
            elements = elements
                .checked_mul(d)
                .ok_or("a tensor's size overflows: the file is corrupt")?;
            dims.push(d);
        }
        let ty = r.u32()?;
        let offset = r.u64()?;
        let bytes = tensor_bytes(ty, elements).unwrap_or(0);
        tensors.push(TensorInfo { name, dims, bytes });
        parameters = parameters.saturating_add(elements);
        *type_counts.entry(ty).or_default() += elements;
        match tensor_bytes(ty, elements) {
            Some(bytes) => data_end = data_end.max(offset.saturating_add(bytes)),
            None => all_known = false,
        }
    }
    let data_start = r.pos().div_ceil(alignment) * alignment;
    let needed = data_start.saturating_add(data_end);
    if all_known && needed > file_size {
        return Err(format!(
            "it is truncated: its tensors need {needed} bytes but the file has {file_size}; download it again"
        ));
    }
    if data_start > file_size {
        return Err("it is truncated inside its header; download it again".into());
    }
    let dominant_type = type_counts
        .iter()
        .filter(|(t, _)| **t != 0) // f32 norms are everywhere and never the quantization
        .max_by_key(|(_, n)| **n)
        .map(|(t, _)| type_name(*t).to_string());
    Ok(GgufHeader {
        version,
        metadata,
        n_tensors,
        parameters,
        file_size,
        dominant_type,
        tensors,
        int_arrays,
    })
}
