"""Synthetic data for the workspace benchmarks (seeded; written for this project).

* :func:`ner_rows` — Prodigy-style NER examples: ~20-token news-like sentences with PER/ORG/LOC/PRODUCT spans,
  with or without Prodigy's ``tokens`` list.
* :func:`textcat_rows` — (text, label) rows of ~40 words for text classification.
Every text is distinct (it carries a serial number), so the leakage guard and the import's duplicate report see
what they would see on real data.
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Iterator

FIRST = ["Ada", "Brian", "Chen", "Dana", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Luca"]
LAST = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Silva", "Keller", "Haddad", "Rossi", "Brandt"]
ORGS = ["Initech", "Globex", "Umbrella Labs", "Stark Freight", "Wayne Foods", "Acme Rail", "Hooli", "Vandelay"]
PLACES = ["Leeds", "Porto", "Lyon", "Gdansk", "Bergen", "Valencia", "Graz", "Turku", "Malmo", "Bilbao"]
PRODUCTS = ["Widget 3000", "Nimbus X", "Aero Max", "Quantum Kettle", "Pixel Slate", "Orbit Pro"]
WORDS = ("the a said on in at with for after before new report market city council plan board shares "
         "week year talks deal launch sales team season match vote rate bank power water school").split()
LABELS = {"PERSON": None, "ORG": ORGS, "LOCATION": PLACES, "PRODUCT": PRODUCTS}
CATEGORIES = ["business", "politics", "sport", "tech"]


def _tokens(text: str) -> list[dict]:
    out, pos = [], 0
    for k, word in enumerate(text.split(" ")):
        out.append({"text": word, "start": pos, "end": pos + len(word), "id": k})
        pos += len(word) + 1
    return out


def ner_rows(n: int, *, seed: int, start: int = 0, with_tokens: bool = True) -> Iterator[dict]:
    """``n`` accepted NER examples numbered from ``start`` (texts are unique across numbers)."""
    rng = random.Random(seed)
    for i in range(start, start + n):
        parts: list[str] = []
        spans = []
        pos = 0
        for _ in range(rng.randint(2, 4)):
            for _ in range(rng.randint(2, 5)):
                parts.append(rng.choice(WORDS))
                pos += len(parts[-1]) + 1
            label = rng.choice(list(LABELS))
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}" if label == "PERSON" else rng.choice(LABELS[label])
            spans.append({"start": pos, "end": pos + len(name), "label": label})
            parts.append(name)
            pos += len(name) + 1
        parts += [rng.choice(WORDS), f"no.{i}", "."]
        text = " ".join(parts)
        row = {"text": text, "spans": spans, "answer": "accept"}
        if with_tokens:
            row["tokens"] = _tokens(text)
            for sp in spans:
                sp["token_start"] = next(t["id"] for t in row["tokens"] if t["start"] == sp["start"])
                sp["token_end"] = next(t["id"] for t in row["tokens"] if t["end"] == sp["end"])
        yield row


def textcat_rows(n: int, *, seed: int, start: int = 0) -> Iterator[tuple[str, str]]:
    rng = random.Random(seed)
    for i in range(start, start + n):
        label = rng.choice(CATEGORIES)
        words = [rng.choice(WORDS) for _ in range(rng.randint(25, 55))]
        words.insert(rng.randrange(len(words)), label)  # a cue a model can learn
        yield " ".join(words) + f" item {i}.", label


def write_jsonl(path: Path, rows) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def perturbed(rows, *, rate: float, seed: int) -> Iterator[dict]:
    """Predictions: each span is dropped or relabelled with probability ``rate``."""
    rng = random.Random(seed)
    for row in rows:
        spans = []
        for sp in row["spans"]:
            r = rng.random()
            if r < rate / 2:
                continue
            if r < rate:
                sp = {**sp, "label": rng.choice([x for x in LABELS if x != sp["label"]])}
            spans.append(sp)
        yield {**row, "spans": spans}
