//! A bounds-checked reader of GGUF headers: validates a file before llama.cpp ever sees it (GGUF
//! loaders have had many memory-safety bugs) and reads the metadata `howdah models` shows.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Files smaller than this cannot hold a usable model.
const MIN_MODEL_BYTES: u64 = 1024;
/// Caps on counts read from the header, far above any real model, so a hostile header cannot
/// make us allocate or loop without end.
const MAX_KV: u64 = 1 << 20;
const MAX_TENSORS: u64 = 1 << 20;
const MAX_STRING: u64 = 1 << 26;
const MAX_DIMS: u32 = 8;
/// Integer arrays up to this length are kept (llama.cpp's per-layer arrays have at most 512).
const MAX_KEPT_ARRAY: u64 = 1024;

/// The metadata values howdah cares about (arrays are skipped, only their length is kept).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i128),
    Float(f64),
    Bool(bool),
    Str(String),
    Array(u64),
}

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
    let mut r = Reader {
        inner: BufReader::with_capacity(1 << 16, file),
        pos: 0,
        size: file_size,
    };
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
    let data_start = r.pos.div_ceil(alignment) * alignment;
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

struct Reader {
    inner: BufReader<File>,
    pos: u64,
    size: u64,
}

impl Reader {
    fn exact(&mut self, buf: &mut [u8]) -> Result<(), String> {
        self.inner
            .read_exact(buf)
            .map_err(|_| "it is truncated inside its header; download it again".to_string())?;
        self.pos += buf.len() as u64;
        Ok(())
    }
    fn skip(&mut self, n: u64) -> Result<(), String> {
        if self.pos.saturating_add(n) > self.size {
            return Err("it is truncated inside its header; download it again".into());
        }
        self.inner
            .seek(SeekFrom::Current(n as i64))
            .map_err(|e| e.to_string())?;
        self.pos += n;
        Ok(())
    }
    fn u32(&mut self) -> Result<u32, String> {
        let mut b = [0u8; 4];
        self.exact(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn u64(&mut self) -> Result<u64, String> {
        let mut b = [0u8; 8];
        self.exact(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn string_len(&mut self) -> Result<u64, String> {
        let len = self.u64()?;
        if len > MAX_STRING || self.pos.saturating_add(len) > self.size {
            return Err(
                "a metadata string runs past the end of the file: the file is corrupt".into(),
            );
        }
        Ok(len)
    }
    fn string(&mut self) -> Result<String, String> {
        let len = self.string_len()?;
        let mut buf = vec![0u8; len as usize];
        self.exact(&mut buf)?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }
    fn scalar(&mut self, ty: u32) -> Result<Value, String> {
        let size = match ty {
            0 | 1 | 7 => 1,
            2 | 3 => 2,
            4..=6 => 4,
            10..=12 => 8,
            _ => return Err(format!("unknown metadata type {ty}: the file is corrupt")),
        };
        let mut b = [0u8; 8];
        self.exact(&mut b[..size])?;
        Ok(match ty {
            0 => Value::Int(b[0] as i128),
            1 => Value::Int(b[0] as i8 as i128),
            2 => Value::Int(u16::from_le_bytes([b[0], b[1]]) as i128),
            3 => Value::Int(i16::from_le_bytes([b[0], b[1]]) as i128),
            4 => Value::Int(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i128),
            5 => Value::Int(i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i128),
            6 => Value::Float(f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64),
            7 => Value::Bool(b[0] != 0),
            10 => Value::Int(u64::from_le_bytes(b) as i128),
            11 => Value::Int(i64::from_le_bytes(b) as i128),
            _ => Value::Float(f64::from_le_bytes(b)),
        })
    }
    /// A metadata value, plus the elements of a short integer array.
    fn value(&mut self, ty: u32) -> Result<(Value, Option<Vec<i128>>), String> {
        match ty {
            8 => Ok((Value::Str(self.string()?), None)),
            9 => {
                let elem = self.u32()?;
                let n = self.u64()?;
                if n > self.size {
                    return Err(
                        "a metadata array is longer than the file: the file is corrupt".into(),
                    );
                }
                let mut ints = None;
                match elem {
                    8 => {
                        for _ in 0..n {
                            let len = self.string_len()?;
                            self.skip(len)?;
                        }
                    }
                    0..=5 | 10 | 11 if n <= MAX_KEPT_ARRAY => {
                        let mut v = Vec::with_capacity(n as usize);
                        for _ in 0..n {
                            match self.scalar(elem)? {
                                Value::Int(i) => v.push(i),
                                _ => unreachable!("integer element types"),
                            }
                        }
                        ints = Some(v);
                    }
                    9 => {
                        return Err(
                            "nested metadata arrays are not supported: the file is corrupt".into(),
                        )
                    }
                    t => {
                        let size: u64 = match t {
                            0 | 1 | 7 => 1,
                            2 | 3 => 2,
                            4..=6 => 4,
                            10..=12 => 8,
                            _ => {
                                return Err(format!(
                                    "unknown metadata type {t}: the file is corrupt"
                                ))
                            }
                        };
                        self.skip(n.saturating_mul(size))?;
                    }
                }
                Ok((Value::Array(n), ints))
            }
            t => Ok((self.scalar(t)?, None)),
        }
    }
}

/// (block size in elements, bytes per block) of ggml tensor types.
fn block(ty: u32) -> Option<(u64, u64)> {
    Some(match ty {
        0 => (1, 4),
        1 => (1, 2),
        2 => (32, 18),
        3 => (32, 20),
        6 => (32, 22),
        7 => (32, 24),
        8 => (32, 34),
        9 => (32, 36),
        10 => (256, 84),
        11 => (256, 110),
        12 => (256, 144),
        13 => (256, 176),
        14 => (256, 210),
        15 => (256, 292),
        16 => (256, 66),
        17 => (256, 74),
        18 => (256, 98),
        19 => (256, 50),
        20 => (32, 18),
        21 => (256, 110),
        22 => (256, 82),
        23 => (256, 136),
        24 => (1, 1),
        25 => (1, 2),
        26 => (1, 4),
        27 => (1, 8),
        28 => (1, 8),
        29 => (256, 56),
        30 => (1, 2),
        34 => (256, 54),
        35 => (256, 66),
        39 => (32, 17),
        _ => return None,
    })
}

fn tensor_bytes(ty: u32, elements: u64) -> Option<u64> {
    let (bs, bytes) = block(ty)?;
    Some(elements.div_ceil(bs).saturating_mul(bytes))
}

pub fn type_name(ty: u32) -> &'static str {
    match ty {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        6 => "Q5_0",
        7 => "Q5_1",
        8 => "Q8_0",
        9 => "Q8_1",
        10 => "Q2_K",
        11 => "Q3_K",
        12 => "Q4_K",
        13 => "Q5_K",
        14 => "Q6_K",
        15 => "Q8_K",
        16 => "IQ2_XXS",
        17 => "IQ2_XS",
        18 => "IQ3_XXS",
        19 => "IQ1_S",
        20 => "IQ4_NL",
        21 => "IQ3_S",
        22 => "IQ2_S",
        23 => "IQ4_XS",
        29 => "IQ1_M",
        30 => "BF16",
        34 => "TQ1_0",
        35 => "TQ2_0",
        39 => "MXFP4",
        _ => "unknown",
    }
}

/// llama.cpp's `general.file_type` (llama_ftype) as the usual quantization name.
pub fn file_type_name(ft: i128) -> Option<&'static str> {
    Some(match ft {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4",
        _ => return None,
    })
}
