//! Evaluation data files: CSV with a header row or JSON Lines, read into rows of named string
//! fields, each remembering the line it came from so that every later complaint can name it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// One record of a data file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based line in the file where the record starts.
    pub line: usize,
    pub fields: BTreeMap<String, String>,
}

/// A data file as read: its columns (CSV header order; first-seen order for JSONL) and records.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub path: PathBuf,
    pub columns: Vec<String>,
    pub records: Vec<Record>,
}

#[derive(Debug, Error)]
pub enum DataError {
    #[error("cannot read data file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {message}")]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: the file has no rows")]
    Empty { path: PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    /// By extension (`.csv`, `.tsv`, `.jsonl`, `.ndjson`, `.json`); otherwise by the first
    /// non-blank character: `{` means JSON Lines.
    pub fn guess(path: &Path, text: &str) -> Format {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") | Some("tsv") => Format::Csv,
            Some("jsonl") | Some("ndjson") | Some("json") => Format::Jsonl,
            _ if text.trim_start().starts_with('{') => Format::Jsonl,
            _ => Format::Csv,
        }
    }
}

impl Dataset {
    pub fn load(path: &Path) -> Result<Dataset, DataError> {
        let bytes = std::fs::read(path).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            DataError::Malformed {
                path: path.to_path_buf(),
                line: 1 + upto.iter().filter(|&&b| b == b'\n').count(),
                message: "the text is not valid UTF-8".into(),
            }
        })?;
        Self::parse(path, &text)
    }

    /// Parses `text` as the contents of `path` (whose name picks the format and names errors).
    pub fn parse(path: &Path, text: &str) -> Result<Dataset, DataError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let ds = match Format::guess(path, text) {
            Format::Csv => parse_csv(path, text, delimiter_for(path))?,
            Format::Jsonl => parse_jsonl(path, text)?,
        };
        if ds.records.is_empty() {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(ds)
    }

    /// A malformed-data error about this file.
    pub fn error(&self, line: usize, message: impl Into<String>) -> DataError {
        DataError::Malformed {
            path: self.path.clone(),
            line,
            message: message.into(),
        }
    }
}

fn delimiter_for(path: &Path) -> u8 {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("tsv") => b'\t',
        _ => b',',
    }
}

fn parse_csv(path: &Path, text: &str, delimiter: u8) -> Result<Dataset, DataError> {
    let malformed = |line: usize, message: String| DataError::Malformed {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| malformed(csv_line(text, &e).unwrap_or(1), csv_message(&e)))?
        .clone();
    let columns: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    if columns.iter().all(String::is_empty) {
        return Err(malformed(
            1,
            "the header row is empty (a CSV file needs one)".into(),
        ));
    }
    for (i, c) in columns.iter().enumerate() {
        if columns[..i].contains(c) {
            return Err(malformed(
                1,
                format!("column {c:?} appears twice in the header"),
            ));
        }
    }
    let mut records = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| malformed(csv_line(text, &e).unwrap_or(0), csv_message(&e)))?;
        let line = rec
            .position()
            .map(|p| record_line(text, p.byte() as usize))
            .unwrap_or(0);
        // A blank line between records is not a record.
        if rec.len() == 1 && rec[0].trim().is_empty() {
            continue;
        }
        let fields = columns
            .iter()
            .cloned()
            .zip(rec.iter().map(str::to_string))
            .collect();
        records.push(Record { line, fields });
    }
    Ok(Dataset {
        path: path.to_path_buf(),
        columns,
        records,
    })
}

/// The line a record starts on. The csv reader's own position counts the blank lines it skipped
/// before the record as part of it, so step over them first.
fn record_line(text: &str, byte: usize) -> usize {
    let bytes = text.as_bytes();
    let mut b = byte.min(bytes.len());
    while b < bytes.len() && (bytes[b] == b'\n' || bytes[b] == b'\r') {
        b += 1;
    }
    1 + bytes[..b].iter().filter(|&&c| c == b'\n').count()
}

fn csv_line(text: &str, e: &csv::Error) -> Option<usize> {
    let pos = match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, .. } => pos.as_ref(),
        csv::ErrorKind::Utf8 { pos, .. } => pos.as_ref(),
        csv::ErrorKind::Deserialize { pos, .. } => pos.as_ref(),
        _ => None,
    };
    pos.map(|p| record_line(text, p.byte() as usize))
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "this row has {len} fields but the header has {expected_len} (quote fields that contain commas: \"a, b\")"
        ),
        _ => e.to_string(),
    }
}

fn parse_jsonl(path: &Path, text: &str) -> Result<Dataset, DataError> {
    let mut columns: Vec<String> = Vec::new();
    let mut records = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let malformed = |message: String| DataError::Malformed {
            path: path.to_path_buf(),
            line,
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(raw).map_err(|e| malformed(format!("not valid JSON: {e}")))?;
        let serde_json::Value::Object(map) = value else {
            return Err(malformed(
                "each line must be a JSON object such as {\"text\": \"…\", \"label\": \"…\"}"
                    .into(),
            ));
        };
        let mut fields = BTreeMap::new();
        for (k, v) in map {
            let s = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                other => {
                    return Err(malformed(format!(
                    "field {k:?} is {}, but only strings, numbers and booleans can fill a template",
                    if other.is_array() {
                        "an array"
                    } else {
                        "an object"
                    }
                )))
                }
            };
            if !columns.contains(&k) {
                columns.push(k.clone());
            }
            fields.insert(k, s);
        }
        records.push(Record { line, fields });
    }
    Ok(Dataset {
        path: path.to_path_buf(),
        columns,
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> Result<Dataset, DataError> {
        Dataset::parse(Path::new(name), text)
    }

    #[test]
    fn csv_rows_keep_their_lines_and_quoted_commas() {
        let d = parse(
            "d.csv",
            "text,label\n\"a, b\",positive\n\n\"multi \"\"q\"\"\",negative\n",
        )
        .unwrap();
        assert_eq!(d.columns, ["text", "label"]);
        assert_eq!(d.records.len(), 2);
        assert_eq!(d.records[0].fields["text"], "a, b");
        assert_eq!(d.records[0].line, 2);
        assert_eq!(d.records[1].fields["text"], "multi \"q\"");
        assert_eq!(d.records[1].line, 4);
    }

    #[test]
    fn csv_with_an_extra_field_names_its_line() {
        let e = parse(
            "d.csv",
            "text,label\nok,positive\n\nGreat, works,positive\n",
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("d.csv: line 4: this row has 3 fields"),
            "{msg}"
        );
    }

    #[test]
    fn jsonl_bad_line_is_named_and_values_become_strings() {
        let e = parse(
            "d.jsonl",
            "{\"text\":\"a\",\"label\":1}\n{\"text\": \"b\"\n",
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with("d.jsonl: line 2: not valid JSON"),
            "{e}"
        );
        let d = parse(
            "d.jsonl",
            "\u{feff}{\"text\":\"a\",\"label\":1,\"x\":null}\n\n",
        )
        .unwrap();
        assert_eq!(d.records[0].fields["label"], "1");
        assert_eq!(d.records[0].fields["x"], "");
        assert_eq!(d.columns, ["label", "text", "x"]);
        let e = parse("d.jsonl", "[1,2]\n").unwrap_err();
        assert!(e
            .to_string()
            .contains("line 1: each line must be a JSON object"));
    }

    #[test]
    fn format_is_sniffed_without_an_extension_and_empty_files_are_refused() {
        let d = parse("data", "{\"text\":\"a\",\"label\":\"b\"}\n").unwrap();
        assert_eq!(d.records.len(), 1);
        assert!(matches!(
            parse("d.csv", "text,label\n"),
            Err(DataError::Empty { .. })
        ));
        let e = parse("d.csv", "text,text\na,b\n").unwrap_err();
        assert!(e.to_string().contains("appears twice"));
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.csv");
        std::fs::write(&p, b"text,label\nok,positive\n\xff\xfe,negative\n").unwrap();
        let e = Dataset::load(&p).unwrap_err().to_string();
        assert!(e.contains("line 3: the text is not valid UTF-8"), "{e}");
    }
}
