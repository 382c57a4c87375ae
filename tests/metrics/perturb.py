"""Seeded corruption of tag sequences and a tiny CoNLL reader, for the equality tests (helper module)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

TYPES = ("PER", "LOC", "ORG", "MISC")


def read_conll_tags(path: Path) -> list[list[str]]:
    """Tag column of a CoNLL file as sentences (``-DOCSTART-`` lines left out), independent of evaluator.formats."""
    sents, cur = [], []
    for line in path.read_text(encoding="utf-8").split("\n"):
        cols = line.split()
        if not cols:
            if cur:
                sents.append(cur)
                cur = []
        elif cols[0] != "-DOCSTART-":
            cur.append(cols[-1])
    if cur:
        sents.append(cur)
    return sents


def entities(tags: list[str]) -> list[tuple[str, int, int]]:
    """Lenient entities (type, start, end exclusive): B/S/U or a type change start one, S/U/E/L end one."""
    out, start, typ = [], None, None
    for i, t in enumerate(tags + ["O"]):
        p, _, ty = t.partition("-")
        if typ is not None and (p in ("O", "B", "S", "U") or ty != typ):
            out.append((typ, start, i))
            typ = None
        if p != "O" and typ is None:
            start, typ = i, ty
        if p in ("S", "U", "E", "L") and typ is not None:
            out.append((typ, start, i + 1))
            typ = None
    return out


def encode(n: int, ents: list[tuple[str, int, int]], scheme: str) -> list[str]:
    tags = ["O"] * n
    for typ, s, e in sorted(ents, key=lambda x: x[1]):
        if scheme == "IOB2":
            tags[s:e] = [f"B-{typ}"] + [f"I-{typ}"] * (e - s - 1)
        else:
            single, last = ("S", "E") if scheme == "IOBES" else ("U", "L")
            tags[s:e] = [f"{single}-{typ}"] if e - s == 1 else \
                [f"B-{typ}"] + [f"I-{typ}"] * (e - s - 2) + [f"{last}-{typ}"]
    return tags


def convert(sents: list[list[str]], scheme: str) -> list[list[str]]:
    """Re-encode sentences in IOB2, IOBES or BILOU."""
    return [encode(len(s), entities(s), scheme) for s in sents]


def perturb(sents: list[list[str]], seed: int, *, rate: float = 0.12, prefixes: str = "BI") -> list[list[str]]:
    """Corrupt a copy: entity deletions, boundary shifts, type swaps, insertions, invalid I- starts and random
    prefixes (from ``prefixes``), each at roughly ``rate`` per entity or token."""
    rng = np.random.default_rng(seed)
    out = []
    for s in sents:
        s = list(s)
        n = len(s)
        for typ, a, b in entities(s):
            r = rng.random()
            if r < rate / 3:  # delete the entity
                s[a:b] = ["O"] * (b - a)
            elif r < 2 * rate / 3 and b < n and s[b] == "O":  # extend by one token (boundary shift)
                s[b] = f"I-{typ}" if "I" in prefixes else s[b - 1]
            elif r < rate and b - a > 1:  # cut the first token (the rest starts with I-: an invalid start in IOB2)
                s[a] = "O"
        for i in range(n):
            r = rng.random()
            if r < rate / 4:  # type swap keeping the prefix
                p, _, ty = s[i].partition("-")
                if p != "O":
                    s[i] = f"{p}-{TYPES[int(rng.integers(len(TYPES)))]}"
            elif r < rate / 2:  # insertion / random prefix
                s[i] = f"{prefixes[int(rng.integers(len(prefixes)))]}-{TYPES[int(rng.integers(len(TYPES)))]}"
            elif r < 3 * rate / 4 and "I" in prefixes:  # invalid I- start
                s[i] = f"I-{TYPES[int(rng.integers(len(TYPES)))]}"
        out.append(s)
    return out
