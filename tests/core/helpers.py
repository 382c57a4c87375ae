"""Small file builders for core tests."""
from __future__ import annotations

import json
from pathlib import Path


def ner_line(text: str, spans=(), answer: str = "accept") -> dict:
    """A Prodigy-style record with whitespace tokens and char spans given as (word_start, word_end_incl, label)."""
    words = text.split(" ")
    tokens, pos = [], 0
    for i, w in enumerate(words):
        tokens.append({"text": w, "start": pos, "end": pos + len(w), "id": i})
        pos += len(w) + 1
    out_spans = [{"start": tokens[a]["start"], "end": tokens[b]["end"], "token_start": a, "token_end": b,
                  "label": lab} for a, b, lab in spans]
    return {"text": text, "tokens": tokens, "spans": out_spans, "answer": answer}


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


GOLD = [
    ner_line("Alice Smith joined Acme Corp in Paris .", [(0, 1, "PER"), (3, 4, "ORG"), (6, 6, "LOC")]),
    ner_line("Bob visited Berlin last week .", [(0, 0, "PER"), (2, 2, "LOC")]),
    ner_line("Globex shares rose on Monday .", [(0, 0, "ORG")]),
    ner_line("Nothing to see here .", []),
]
TRAIN = [
    ner_line("Carol works for Initech in Austin .", [(0, 0, "PER"), (3, 3, "ORG"), (5, 5, "LOC")]),
    ner_line("Dave met Erin in Rome .", [(0, 0, "PER"), (2, 2, "PER"), (4, 4, "LOC")]),
    ner_line("Hooli opened an office in Dublin .", [(0, 0, "ORG"), (5, 5, "LOC")]),
]


def run_together(fn, n: int, *, timeout: float = 180) -> list[BaseException]:
    """Run ``fn()`` in ``n`` threads released at the same moment; returns the exceptions they raised."""
    import threading

    errors: list[BaseException] = []
    gate = threading.Barrier(n)

    def run():
        try:
            gate.wait(30)
            fn()
        except BaseException as err:  # noqa: BLE001 - collected for the caller's assertion
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return errors
