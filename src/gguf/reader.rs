//! GGUF's binary encoding read with bounds checks: little-endian integers, length-prefixed
//! strings and typed metadata values, each checked against the file's size and caps before
//! anything is allocated, so a hostile header can neither overrun nor exhaust memory.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

/// The longest metadata string read (64 MiB), far above any real one: caps what a header can
/// make us allocate.
const MAX_STRING: u64 = 1 << 26;
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

/// A GGUF file being read from its start, with how far it got and how big the file is.
pub(super) struct Reader {
    inner: BufReader<File>,
    pos: u64,
    size: u64,
}

impl Reader {
    pub(super) fn new(file: File, size: u64) -> Reader {
        Reader {
            inner: BufReader::with_capacity(1 << 16, file),
            pos: 0,
            size,
        }
    }
    /// Bytes read so far: where the header ends once it is all read.
    pub(super) fn pos(&self) -> u64 {
        self.pos
    }
    pub(super) fn exact(&mut self, buf: &mut [u8]) -> Result<(), String> {
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
    pub(super) fn u32(&mut self) -> Result<u32, String> {
        let mut b = [0u8; 4];
        self.exact(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    pub(super) fn u64(&mut self) -> Result<u64, String> {
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
    pub(super) fn string(&mut self) -> Result<String, String> {
        let len = self.string_len()?;
        let mut buf = vec![0u8; len as usize];
        self.exact(&mut buf)?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }
    fn scalar(&mut self, ty: u32) -> Result<Value, String> {
        let size = scalar_size(ty)? as usize;
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
    pub(super) fn value(&mut self, ty: u32) -> Result<(Value, Option<Vec<i128>>), String> {
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
                    t => self.skip(n.saturating_mul(scalar_size(t)?))?,
                }
                Ok((Value::Array(n), ints))
            }
            t => Ok((self.scalar(t)?, None)),
        }
    }
}

/// Bytes of a scalar metadata value of type `ty` (GGUF's numbering), or the error for a type
/// GGUF does not have.
fn scalar_size(ty: u32) -> Result<u64, String> {
    Ok(match ty {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        10..=12 => 8,
        _ => return Err(format!("unknown metadata type {ty}: the file is corrupt")),
    })
}
