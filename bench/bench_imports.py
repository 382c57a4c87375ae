"""Benchmark: ``evaluator import`` of 100,000 examples as a process, next to a bare load script.

Run:  .venv/bin/python bench/bench_imports.py  [--examples 100000] [--runs 3] [--keep DIR]

Files (seeded, written for the run):

* text classification: a CSV (``text,label``) of ~40-word texts, four categories;
* NER: Prodigy ``db-out`` JSONL of ~20-token sentences with spans, ``tokens`` included (as Prodigy writes them);
* NER without tokens: the same records without ``tokens`` (the importer tokenizes them with spaCy to check the
  span boundaries).

Ours: ``evaluator import FILE --into round:1`` into a fresh workspace (reading, validating every record, the
leakage guard, the duplicate report, writing in one transaction). Reference: the bare load a user would write
instead, the same number of runs: read the file with the standard library and insert the texts and labels into
one SQLite table with ``executemany`` (no validation, no guard, no tokens). Both as processes; medians of CPU
seconds and peak memory. Goal: < 15 s CPU and < 500 MiB for 100,000 examples.
"""
from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import ner_rows, textcat_rows, write_jsonl  # noqa: E402
from _proc import EVALUATOR, PYTHON, machine, measure  # noqa: E402

BARE_LOAD = '''\
import csv, json, sqlite3, sys

path, db = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db)
con.execute("CREATE TABLE IF NOT EXISTS examples (id INTEGER PRIMARY KEY, text TEXT, label TEXT, spans TEXT)")
with open(path, encoding="utf-8", newline="") as fh:
    if path.endswith(".csv"):
        rows = [(r["text"], r["label"], None) for r in csv.DictReader(fh)]
    else:
        rows = []
        for line in fh:
            obj = json.loads(line)
            rows.append((obj["text"], None, json.dumps([[s["start"], s["end"], s["label"]] for s in obj["spans"]])))
con.executemany("INSERT INTO examples (text, label, spans) VALUES (?, ?, ?)", rows)
con.commit()
print(len(rows))
'''


def make_files(folder: Path, n: int) -> dict[str, tuple[Path, str]]:
    csv_path = folder / "textcat.csv"
    if not csv_path.exists():
        with open(csv_path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["text", "label"])
            w.writerows(textcat_rows(n, seed=5))
    ner = folder / "ner.jsonl"
    if not ner.exists():
        write_jsonl(ner, ner_rows(n, seed=6))
    bare = folder / "ner-no-tokens.jsonl"
    if not bare.exists():
        write_jsonl(bare, ner_rows(n, seed=6, with_tokens=False))
    return {"text classification CSV": (csv_path, "textcat"), "Prodigy NER JSONL with tokens": (ner, "ner"),
            "Prodigy NER JSONL without tokens": (bare, "ner")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="write the files into this folder and keep them")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        script = Path(tmp) / "bare_load.py"
        script.write_text(BARE_LOAD, encoding="utf-8")
        files = make_files(folder, args.examples)
        for n, (what, (path, task)) in enumerate(files.items()):
            ours = []
            for k in range(args.runs):  # a fresh workspace for every run, outside the timing
                work = Path(tmp) / f"ws-{n}-{k}"
                subprocess.run(EVALUATOR + ["init", "--workspace", work, "--task", task] +
                               ([] if task == "textcat" else ["--labels", "PERSON,ORG,LOCATION,PRODUCT"]),
                               check=True, capture_output=True)
                ours += measure(EVALUATOR + ["import", path, "--into", "round:1", "--workspace", work, "--json"],
                                runs=1, label=f"evaluator import ({what})").runs
                shutil.rmtree(work, ignore_errors=True)
            refs = []
            for _ in range(args.runs):
                (Path(tmp) / "bare.db").unlink(missing_ok=True)
                refs += measure([PYTHON, script, path, Path(tmp) / "bare.db"], runs=1,
                                label=f"bare load ({what})").runs
            from _proc import Measured

            rows.append((what, Measured(refs), Measured(ours)))
    print()
    print(f"| import of {args.examples:,} examples | bare load CPU s | bare load peak MiB | `evaluator import` CPU s "
          f"| `evaluator import` peak MiB | goal (< 15 s, < 500 MiB) |")
    print("|---|---:|---:|---:|---:|---|")
    for what, ref, ours in rows:
        ok = ours.cpu < 15 and ours.peak_mib < 500
        print(f"| {what} | {ref.cpu:.1f} | {ref.peak_mib:.0f} | {ours.cpu:.1f} | {ours.peak_mib:.0f} | "
              f"{'met' if ok else '**not met**'} |")
    print()
    print(f"Whole processes, median of {args.runs} runs on each side; {machine()}.")


if __name__ == "__main__":
    main()
