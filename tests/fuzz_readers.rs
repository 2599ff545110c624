//! Property tests (bounded: a few hundred cases each, well under a second) for the readers of
//! outside files: the session parser and the CSV / JSON Lines reader never panic, whatever the
//! bytes, and the CSV reader returns every field and the line each record starts on.

use std::path::Path;

use proptest::prelude::*;

use howdah::compare::Dataset;
use howdah::session::{decode, encode, Message, Session, SessionKind};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn a_session_file() -> Vec<u8> {
    let mut s = Session::new(SessionKind::Chat);
    s.title = Some("t".into());
    s.messages
        .push(Message::new(howdah::engine::Role::User, "hi"));
    s.messages.push(Message::new(
        howdah::engine::Role::Assistant,
        "hello \"there\"",
    ));
    encode(&s)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn session_parser_survives_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(Path::new("s.json"), &bytes);
    }

    #[test]
    fn session_parser_survives_damaged_files(
        cut in 0usize..2000,
        flips in proptest::collection::vec((0usize..2000, any::<u8>()), 0..4),
    ) {
        let mut bytes = a_session_file();
        for (at, b) in flips {
            let n = bytes.len();
            bytes[at % n] = b;
        }
        bytes.truncate(cut.min(bytes.len()));
        if let Err(e) = decode(Path::new("s.json"), &bytes) {
            prop_assert!(e.to_string().contains("s.json"), "{e}");
        }
    }

    #[test]
    fn data_reader_survives_any_text(text in "(?s).{0,300}", jsonl in any::<bool>()) {
        let name = if jsonl { "d.jsonl" } else { "d.csv" };
        if let Err(e) = Dataset::parse(Path::new(name), &text) {
            prop_assert!(e.to_string().contains(name), "{e}");
        }
    }

    #[test]
    fn csv_records_and_their_lines_come_back(
        rows in proptest::collection::vec(
            ("[a-z ,\"\n\r\u{e9}\u{4e16}]{0,10}", "[a-z]{1,6}", 0usize..3),
            1..40,
        ),
        crlf in any::<bool>(),
    ) {
        let mut file = String::from("text,label");
        file.push_str(if crlf { "\r\n" } else { "\n" });
        let mut want = Vec::new();
        for (text, label, blanks) in &rows {
            for _ in 0..*blanks {
                file.push_str(if crlf { "\r\n" } else { "\n" });
            }
            let line = 1 + file.matches('\n').count();
            let mut w = csv::WriterBuilder::new()
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .from_writer(Vec::new());
            w.write_record([text, label]).unwrap();
            file.push_str(&String::from_utf8(w.into_inner().unwrap()).unwrap());
            want.push((line, text.clone(), label.clone()));
        }
        let d = Dataset::parse(Path::new("d.csv"), &file).unwrap();
        let got: Vec<(usize, String, String)> = d
            .records
            .iter()
            .map(|r| (r.line, r.fields["text"].clone(), r.fields["label"].clone()))
            .collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn jsonl_records_keep_their_lines(
        rows in proptest::collection::vec(("(?s).{0,12}", 0usize..3), 1..30),
    ) {
        let mut file = String::new();
        let mut want = Vec::new();
        for (text, blanks) in &rows {
            file.push_str(&"\n".repeat(*blanks));
            want.push((1 + file.matches('\n').count(), text.clone()));
            file.push_str(&serde_json::json!({ "text": text, "label": "x" }).to_string());
            file.push('\n');
        }
        let d = Dataset::parse(Path::new("d.jsonl"), &file).unwrap();
        let got: Vec<(usize, String)> =
            d.records.iter().map(|r| (r.line, r.fields["text"].clone())).collect();
        prop_assert_eq!(got, want);
    }
}
