//! Evaluation data files: CSV with a header row or JSON Lines, read into rows of named string
//! fields, each remembering the line it came from so that every later complaint can name it.
//! The reading itself is streamed (see `stream`).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::stream::{read_records, Columns};

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
    /// Reads a whole data file, streamed (see [`Dataset::for_each`] to avoid holding every
    /// record).
    pub fn load(path: &Path) -> Result<Dataset, DataError> {
        let mut records = Vec::new();
        let columns = Self::for_each(path, |_, r| {
            records.push(r);
            ControlFlow::Continue(())
        })?;
        Self::finish(path, columns, records)
    }

    /// Streams the records of the file at `path` to `each`, in one pass with memory bounded by
    /// the longest record; returns the columns. An empty file is an error.
    pub fn for_each(
        path: &Path,
        mut each: impl FnMut(Columns<'_>, Record) -> ControlFlow<()>,
    ) -> Result<Vec<String>, DataError> {
        let io = |source| DataError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut input = std::io::BufReader::with_capacity(1 << 16, file);
        let head = String::from_utf8_lossy(input.fill_buf().map_err(io)?).into_owned();
        let format = Format::guess(path, head.trim_start_matches('\u{feff}'));
        let mut any = false;
        let columns = read_records(path, input, format, |c, r| {
            any = true;
            each(c, r)
        })?;
        if !any {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(columns)
    }

    /// Parses `text` as the contents of `path` (whose name picks the format and names errors).
    pub fn parse(path: &Path, text: &str) -> Result<Dataset, DataError> {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut records = Vec::new();
        let columns = read_records(path, text.as_bytes(), Format::guess(path, body), |_, r| {
            records.push(r);
            ControlFlow::Continue(())
        })?;
        Self::finish(path, columns, records)
    }

    fn finish(
        path: &Path,
        columns: Vec<String>,
        records: Vec<Record>,
    ) -> Result<Dataset, DataError> {
        if records.is_empty() {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(Dataset {
            path: path.to_path_buf(),
            columns,
            records,
        })
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
