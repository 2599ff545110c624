//! Reading an evaluation data file: 100,000 CSV and JSON Lines rows, streamed (issue 10: the
//! old reader recounted lines from the file start per record, 136 s for 100k rows).
//! `howdah eval --data FILE -m /missing.gguf` under `/usr/bin/time -v` gives the whole-command
//! time and peak memory for larger files (the data is read before the model).

use std::hint::black_box;
use std::io::Write;
use std::ops::ControlFlow;

use criterion::{criterion_group, criterion_main, Criterion};
use howdah::compare::Dataset;

const ROWS: usize = 100_000;

fn write_file(dir: &std::path::Path, name: &str, jsonl: bool) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    if !jsonl {
        writeln!(f, "text,label").unwrap();
    }
    for i in 0..ROWS {
        let label = if i % 2 == 0 { "positive" } else { "negative" };
        if jsonl {
            writeln!(
                f,
                "{{\"text\":\"row {i}: the film was, in a word, fine\",\"label\":\"{label}\"}}"
            )
            .unwrap();
        } else {
            writeln!(f, "\"row {i}: the film was, in a word, fine\",{label}").unwrap();
        }
    }
    path
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("eval_data_100k_rows");
    g.sample_size(10);
    for (name, jsonl) in [("d.csv", false), ("d.jsonl", true)] {
        let path = write_file(dir.path(), name, jsonl);
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0;
                Dataset::for_each(&path, |_, r| {
                    n += black_box(r).line;
                    ControlFlow::Continue(())
                })
                .unwrap();
                n
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
