//! A small GGUF writer for tests: crafted headers (and zero-filled tensors) written in the test,
//! so no model files are committed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum Kv {
    U32(u32),
    I32(i32),
    F32(f32),
    Str(String),
    ArrU32(Vec<u32>),
    ArrI32(Vec<i32>),
    ArrF32(Vec<f32>),
    ArrStr(Vec<String>),
}

/// A GGUF file being built: metadata in order, f32 tensors.
#[derive(Debug, Clone, Default)]
pub struct Gguf {
    pub kvs: Vec<(String, Kv)>,
    pub tensors: Vec<(String, Vec<u64>)>,
}

impl Gguf {
    /// Sets (or replaces) a key.
    pub fn set(mut self, key: &str, v: Kv) -> Gguf {
        self.kvs.retain(|(k, _)| k != key);
        self.kvs.push((key.to_string(), v));
        self
    }
    pub fn remove(mut self, key: &str) -> Gguf {
        self.kvs.retain(|(k, _)| k != key);
        self
    }
    pub fn tensor(mut self, name: &str, dims: &[u64]) -> Gguf {
        self.tensors.push((name.to_string(), dims.to_vec()));
        self
    }
    pub fn without_tensors(mut self, prefix: &str) -> Gguf {
        self.tensors.retain(|(n, _)| !n.starts_with(prefix));
        self
    }

    /// A tiny llama-shaped model: `layers` blocks, 8-wide embeddings, 2 heads (1 KV head),
    /// 4 tokens. Valid as far as howdah's checks go.
    pub fn tiny_llama(layers: u32) -> Gguf {
        let mut g = Gguf::default()
            .set("general.architecture", Kv::Str("llama".into()))
            .set("general.name", Kv::Str("tiny".into()))
            .set("llama.block_count", Kv::U32(layers))
            .set("llama.context_length", Kv::U32(256))
            .set("llama.embedding_length", Kv::U32(8))
            .set("llama.feed_forward_length", Kv::U32(16))
            .set("llama.attention.head_count", Kv::U32(2))
            .set("llama.attention.head_count_kv", Kv::U32(1))
            .set("llama.rope.dimension_count", Kv::U32(4))
            .set("tokenizer.ggml.model", Kv::Str("gpt2".into()))
            .set(
                "tokenizer.ggml.tokens",
                Kv::ArrStr(vec!["a".into(), "b".into(), "c".into(), "d".into()]),
            )
            .set("tokenizer.ggml.token_type", Kv::ArrI32(vec![1; 4]))
            .set("tokenizer.ggml.bos_token_id", Kv::U32(0))
            .tensor("token_embd.weight", &[8, 4])
            .tensor("output_norm.weight", &[8]);
        for l in 0..layers {
            for (t, dims) in [
                ("attn_norm.weight", vec![8]),
                ("attn_q.weight", vec![8, 8]),
                ("attn_k.weight", vec![8, 4]),
                ("attn_v.weight", vec![8, 4]),
                ("attn_output.weight", vec![8, 8]),
                ("ffn_norm.weight", vec![8]),
                ("ffn_gate.weight", vec![8, 16]),
                ("ffn_up.weight", vec![8, 16]),
                ("ffn_down.weight", vec![16, 8]),
            ] {
                g = g.tensor(&format!("blk.{l}.{t}"), &dims);
            }
        }
        g
    }

    /// The file's bytes: version 3, 32-byte alignment, f32 tensors filled with zeros.
    pub fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"GGUF");
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        b.extend_from_slice(&(self.kvs.len() as u64).to_le_bytes());
        for (k, v) in &self.kvs {
            put_str(&mut b, k);
            put_kv(&mut b, v);
        }
        let mut offset = 0u64;
        for (name, dims) in &self.tensors {
            put_str(&mut b, name);
            b.extend_from_slice(&(dims.len() as u32).to_le_bytes());
            for d in dims {
                b.extend_from_slice(&d.to_le_bytes());
            }
            b.extend_from_slice(&0u32.to_le_bytes()); // F32
            b.extend_from_slice(&offset.to_le_bytes());
            let bytes = dims.iter().product::<u64>() * 4;
            offset += bytes.div_ceil(32) * 32;
        }
        while b.len() % 32 != 0 {
            b.push(0);
        }
        b.resize(b.len() + offset as usize, 0);
        // howdah refuses files under 1 KiB as "too small to be a model".
        if b.len() < 2048 {
            b.resize(2048, 0);
        }
        b
    }

    pub fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, self.bytes()).unwrap();
        p
    }
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    b.extend_from_slice(&(s.len() as u64).to_le_bytes());
    b.extend_from_slice(s.as_bytes());
}

fn put_kv(b: &mut Vec<u8>, v: &Kv) {
    let arr = |b: &mut Vec<u8>, ty: u32, n: usize| {
        b.extend_from_slice(&9u32.to_le_bytes());
        b.extend_from_slice(&ty.to_le_bytes());
        b.extend_from_slice(&(n as u64).to_le_bytes());
    };
    match v {
        Kv::U32(x) => {
            b.extend_from_slice(&4u32.to_le_bytes());
            b.extend_from_slice(&x.to_le_bytes());
        }
        Kv::I32(x) => {
            b.extend_from_slice(&5u32.to_le_bytes());
            b.extend_from_slice(&x.to_le_bytes());
        }
        Kv::F32(x) => {
            b.extend_from_slice(&6u32.to_le_bytes());
            b.extend_from_slice(&x.to_le_bytes());
        }
        Kv::Str(s) => {
            b.extend_from_slice(&8u32.to_le_bytes());
            put_str(b, s);
        }
        Kv::ArrU32(v) => {
            arr(b, 4, v.len());
            v.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes()));
        }
        Kv::ArrI32(v) => {
            arr(b, 5, v.len());
            v.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes()));
        }
        Kv::ArrF32(v) => {
            arr(b, 6, v.len());
            v.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes()));
        }
        Kv::ArrStr(v) => {
            arr(b, 8, v.len());
            v.iter().for_each(|s| put_str(b, s));
        }
    }
}

/// Copies a real GGUF file with its `tokenizer.chat_template` replaced (`Some`) or removed
/// (`None`): metadata rewritten, tensor infos and data copied as they are, so the copy loads
/// and answers exactly as the original does. For tests of what a model's own template does.
pub fn with_chat_template(src: &Path, dst: &Path, template: Option<&str>) {
    const KEY: &str = "tokenizer.chat_template";
    let bytes = std::fs::read(src).unwrap();
    let mut r = Reader { b: &bytes, at: 0 };
    assert_eq!(r.take(4), b"GGUF", "{} is not a GGUF file", src.display());
    let version = r.u32();
    let n_tensors = r.u64();
    let n_kv = r.u64();
    let mut kvs: Vec<&[u8]> = Vec::new();
    let mut alignment = 32u64;
    for _ in 0..n_kv {
        let start = r.at;
        let key = r.string();
        let ty = r.u32();
        if key == "general.alignment" && ty == 4 {
            alignment = u64::from(r.u32());
        } else {
            r.skip(ty);
        }
        if key != KEY {
            kvs.push(&bytes[start..r.at]);
        }
    }
    let infos_start = r.at;
    for _ in 0..n_tensors {
        r.string();
        let dims = r.u32();
        r.take(8 * dims as usize + 4 + 8);
    }
    let infos = &bytes[infos_start..r.at];
    let data = &bytes[(r.at as u64).div_ceil(alignment) as usize * alignment as usize..];

    let mut out = Vec::with_capacity(bytes.len() + 4096);
    out.extend_from_slice(b"GGUF");
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&n_tensors.to_le_bytes());
    let n = kvs.len() as u64 + u64::from(template.is_some());
    out.extend_from_slice(&n.to_le_bytes());
    for kv in kvs {
        out.extend_from_slice(kv);
    }
    if let Some(t) = template {
        put_str(&mut out, KEY);
        put_kv(&mut out, &Kv::Str(t.to_string()));
    }
    out.extend_from_slice(infos);
    while !(out.len() as u64).is_multiple_of(alignment) {
        out.push(0);
    }
    out.extend_from_slice(data);
    std::fs::write(dst, out).unwrap();
}

/// A cursor over a GGUF file's header.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        s
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().unwrap())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().unwrap())
    }
    fn string(&mut self) -> String {
        let n = self.u64() as usize;
        String::from_utf8_lossy(self.take(n)).into_owned()
    }
    /// Steps over a value of GGUF type `ty`.
    fn skip(&mut self, ty: u32) {
        match ty {
            0 | 1 | 7 => drop(self.take(1)),
            2 | 3 => drop(self.take(2)),
            4..=6 => drop(self.take(4)),
            10..=12 => drop(self.take(8)),
            8 => drop(self.string()),
            9 => {
                let inner = self.u32();
                for _ in 0..self.u64() {
                    self.skip(inner);
                }
            }
            t => panic!("unknown GGUF type {t}"),
        }
    }
}
