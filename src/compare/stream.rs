//! Reading CSV and JSON Lines data record by record, in one pass with memory bounded by the
//! longest record: each record is handed to a callback with the line it starts on (found by
//! counting newlines as the bytes stream past, never by rescanning the file), so `eval` on a
//! million-row file reads it in seconds and keeps only the rows it uses.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, Read};
use std::ops::ControlFlow;
use std::path::Path;
use std::rc::Rc;

use super::data::{DataError, Format, Record};

/// The columns known so far: a CSV header is complete from the start; JSON Lines columns grow
/// as keys are first seen.
#[derive(Debug, Clone, Copy)]
pub struct Columns<'a> {
    pub names: &'a [String],
    pub complete: bool,
}

/// Streams the records of `input` (the contents of `path`, which only names errors and picks
/// the CSV delimiter) to `each` until it breaks; returns the columns.
pub fn read_records<R: Read>(
    path: &Path,
    input: R,
    format: Format,
    each: impl FnMut(Columns<'_>, Record) -> ControlFlow<()>,
) -> Result<Vec<String>, DataError> {
    match format {
        Format::Csv => read_csv(path, input, delimiter_for(path), each),
        Format::Jsonl => read_jsonl(path, std::io::BufReader::new(input), each),
    }
}

fn delimiter_for(path: &Path) -> u8 {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("tsv") => b'\t',
        _ => b',',
    }
}

fn malformed(path: &Path, line: usize, message: impl Into<String>) -> DataError {
    DataError::Malformed {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

/// Newlines seen by the reader but not yet passed by the parser, each with whether the line
/// it ends was blank (only `\r`). Queries come in file order, so passed entries are dropped and
/// the queue holds only the reader's look-ahead.
#[derive(Debug, Default)]
struct Lines {
    ahead: VecDeque<(u64, bool)>,
    /// Lines wholly before the last query.
    passed: usize,
    /// Bytes read so far, and whether the line being read is blank so far.
    read: u64,
    blank: bool,
}

impl Lines {
    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\n' => {
                    self.ahead.push_back((self.read, self.blank));
                    self.blank = true;
                }
                b'\r' => {}
                _ => self.blank = false,
            }
            self.read += 1;
        }
    }

    /// The 1-based line of the first non-blank line at or after byte `at`: the csv reader's
    /// positions include the blank lines it skipped before a record, and after a CRLF they
    /// point at its LF. A record never starts with a newline, so one at `at` is passed too.
    fn line_of(&mut self, at: u64) -> usize {
        while self.ahead.front().is_some_and(|&(o, _)| o <= at) {
            self.ahead.pop_front();
            self.passed += 1;
        }
        while let Some(&(_, true)) = self.ahead.front() {
            self.ahead.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

/// A reader that feeds [`Lines`] with every byte the csv parser pulls.
struct Counting<R> {
    inner: R,
    lines: Rc<RefCell<Lines>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.lines.borrow_mut().scan(&buf[..n]);
        Ok(n)
    }
}

fn read_csv<R: Read>(
    path: &Path,
    input: R,
    delimiter: u8,
    mut each: impl FnMut(Columns<'_>, Record) -> ControlFlow<()>,
) -> Result<Vec<String>, DataError> {
    let lines = Rc::new(RefCell::new(Lines {
        blank: true,
        ..Lines::default()
    }));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(Counting {
            inner: input,
            lines: lines.clone(),
        });
    let line_of = |e: &csv::Error| {
        let pos = match e.kind() {
            csv::ErrorKind::UnequalLengths { pos, .. } => pos.as_ref(),
            csv::ErrorKind::Utf8 { pos, .. } => pos.as_ref(),
            csv::ErrorKind::Deserialize { pos, .. } => pos.as_ref(),
            _ => None,
        };
        pos.map(|p| lines.borrow_mut().line_of(p.byte()))
    };
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(match e.kind() {
                csv::ErrorKind::Io(_) => io_error(path, e),
                _ => malformed(path, line_of(&e).unwrap_or(1), csv_message(&e)),
            })
        }
    };
    let columns: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    if columns.iter().all(String::is_empty) {
        return Err(malformed(
            path,
            1,
            "the header row is empty (a CSV file needs one)",
        ));
    }
    for (i, c) in columns.iter().enumerate() {
        if columns[..i].contains(c) {
            return Err(malformed(
                path,
                1,
                format!("column {c:?} appears twice in the header"),
            ));
        }
    }
    let mut rec = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(match e.kind() {
                    csv::ErrorKind::Io(_) => io_error(path, e),
                    _ => malformed(path, line_of(&e).unwrap_or(0), csv_message(&e)),
                })
            }
        }
        let line = rec
            .position()
            .map(|p| lines.borrow_mut().line_of(p.byte()))
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
        let cols = Columns {
            names: &columns,
            complete: true,
        };
        if each(cols, Record { line, fields }).is_break() {
            break;
        }
    }
    Ok(columns)
}

fn io_error(path: &Path, e: csv::Error) -> DataError {
    match e.into_kind() {
        csv::ErrorKind::Io(source) => DataError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => malformed(path, 0, format!("{other:?}")),
    }
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "this row has {len} fields but the header has {expected_len} (quote fields that contain commas: \"a, b\")"
        ),
        csv::ErrorKind::Utf8 { .. } => "the text is not valid UTF-8".into(),
        _ => e.to_string(),
    }
}

fn read_jsonl<R: BufRead>(
    path: &Path,
    mut input: R,
    mut each: impl FnMut(Columns<'_>, Record) -> ControlFlow<()>,
) -> Result<Vec<String>, DataError> {
    let mut columns: Vec<String> = Vec::new();
    let mut buf = Vec::new();
    let mut line = 0;
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|source| DataError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            break;
        }
        line += 1;
        let raw = std::str::from_utf8(&buf)
            .map_err(|_| malformed(path, line, "the text is not valid UTF-8"))?;
        let raw = if line == 1 {
            raw.strip_prefix('\u{feff}').unwrap_or(raw)
        } else {
            raw
        };
        if raw.trim().is_empty() {
            continue;
        }
        let fields = json_fields(raw).map_err(|m| malformed(path, line, m))?;
        for k in fields.keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
        let cols = Columns {
            names: &columns,
            complete: false,
        };
        if each(cols, Record { line, fields }).is_break() {
            break;
        }
    }
    Ok(columns)
}

fn json_fields(raw: &str) -> Result<BTreeMap<String, String>, String> {
    let value: serde_json::Value =
        serde_json::from_str(raw).map_err(|e| format!("not valid JSON: {e}"))?;
    let serde_json::Value::Object(map) = value else {
        return Err(
            "each line must be a JSON object such as {\"text\": \"…\", \"label\": \"…\"}".into(),
        );
    };
    let mut fields = BTreeMap::new();
    for (k, v) in map {
        let s = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => String::new(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            other => {
                return Err(format!(
                    "field {k:?} is {}, but only strings, numbers and booleans can fill a template",
                    if other.is_array() {
                        "an array"
                    } else {
                        "an object"
                    }
                ))
            }
        };
        fields.insert(k, s);
    }
    Ok(fields)
}
