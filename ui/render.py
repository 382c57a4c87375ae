"""Pure helpers that turn library results into what pages show (no streamlit import; unit-testable)."""
from __future__ import annotations

import re
from typing import Iterable

from evaluator.records import Record

#: Streamlit markdown colours, assigned to labels in sorted order
COLORS = ("blue", "green", "orange", "violet", "red", "yellow", "gray")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|$~:])")


def escape_md(text: str) -> str:
    """Escape characters Streamlit markdown would interpret (emphasis, links, LaTeX ``$``, ``:color[]``)."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def label_colors(labels: Iterable[str]) -> dict[str, str]:
    return {lab: COLORS[i % len(COLORS)] for i, lab in enumerate(sorted(set(labels)))}


def spans_inline(rec: Record) -> str:
    """Plain text with spans marked inline: ``[Maria Okafor · PERSON] joined ...``."""
    out, pos = [], 0
    for s in sorted(rec.spans):
        if s.start < pos:  # overlapping spans are refused on import; keep the first if one slips through
            continue
        out.append(rec.text[pos:s.start])
        out.append(f"[{rec.text[s.start:s.end]} · {s.label}]")
        pos = s.end
    out.append(rec.text[pos:])
    return "".join(out)


def spans_markdown(rec: Record, colors: dict[str, str]) -> str:
    """Markdown with each span on a coloured background followed by a small label badge."""
    out, pos = [], 0
    for s in sorted(rec.spans):
        if s.start < pos:
            continue
        color = colors.get(s.label, "gray")
        out.append(escape_md(rec.text[pos:s.start]))
        out.append(f":{color}-background[{escape_md(rec.text[s.start:s.end])}] :{color}-badge[{escape_md(s.label)}]")
        pos = s.end
    out.append(escape_md(rec.text[pos:]))
    return "".join(out)


def preview_rows(records: list[Record], task: str) -> list[dict]:
    """Rows for a preview table: position, text (spans inline), label/spans count, answer."""
    rows = []
    for i, r in enumerate(records, 1):
        row = {"#": i, "text": spans_inline(r) if task == "ner" else r.text}
        if task == "ner":
            row["spans"] = len(r.spans)
        else:
            row["label"] = r.label or ""
        row["answer"] = r.answer
        rows.append(row)
    return rows


def targets(status: dict) -> list[str]:
    """Every collection of a workspace as a target string: ``gold:NAME@V``, ``round:N``, ``pool``."""
    out = [f"gold:{g['name']}@{g['version']}" for g in status["gold_sets"]]
    out += [f"round:{r['round']}" for r in status["rounds"]]
    if status.get("pool"):
        out.append("pool")
    return out


def round_rows(status: dict) -> list[dict]:
    """One row per round: examples, accepted, cumulative accepted, and counts per label."""
    rows, total = [], 0
    for r in status["rounds"]:
        total += r["accepted"]
        rows.append({"round": r["round"], "examples": r["examples"], "accepted": r["accepted"],
                     "cumulative": total, **r["per_label"]})
    return rows


def round_label_counts(status: dict) -> list[dict]:
    """Long-form (round, label, count) rows for a stacked bar chart; count is spans (NER) or texts (textcat)."""
    return [{"round": f"round {r['round']}", "label": lab, "count": n}
            for r in status["rounds"] for lab, n in r["per_label"].items()]


def gold_rows(gold_sets: list[dict]) -> list[dict]:
    """Gold-set versions for a table (from ``status()['gold_sets']`` or ``gold.list_gold``)."""
    rows = []
    for g in gold_sets:
        rows.append({"gold set": g["name"], "version": g["version"],
                     "status": "🔒 frozen" if g["frozen"] else "✏️ open",
                     "content hash": (g.get("content_hash") or "")[:12],
                     "examples": g["examples"], "accepted": g["accepted"],
                     "frozen at": str(g["frozen_at"] or "")[:19]})
    return rows


def next_steps(status: dict, *, pages: Iterable[str] = ()) -> list[str]:
    """What to do next, in order, given a workspace status (markdown strings).

    ``pages`` are the titles of pages that exist, so hints only point at pages the app has.
    """
    pages = set(pages)
    hints: list[str] = []
    gold = status["gold_sets"]
    if not gold:
        hints.append("No gold set yet: import one on the **Data** page (target `gold:NAME`), or split one off "
                     "a round on the **Gold sets** page.")
    elif not any(g["frozen"] for g in gold):
        hints.append("Your gold set is still open: freeze it on the **Gold sets** page so every score is "
                     "measured on the same, hash-checked data.")
    if not status["rounds"]:
        hints.append("No annotation rounds yet: import your labeled data on the **Data** page into `round:1`.")
    if not status["labels"]:
        hints.append("The workspace has no labels yet; they are added by the first import.")
    if gold and status["rounds"] and any(g["frozen"] for g in gold):
        if "Train" in pages:
            hints.append("Train a model per round on the **Train** page.")
        if "Evaluate" in pages:
            hints.append("Score every model on the frozen gold set on the **Evaluate** page.")
        if not hints:
            hints.append("Ready: a frozen gold set and annotation rounds. Check the leakage report on the "
                         "**Gold sets** page before training.")
    return hints
