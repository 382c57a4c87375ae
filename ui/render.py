"""Pure helpers that turn library results into what pages show (no streamlit import; unit-testable)."""
from __future__ import annotations

import json

import re
from pathlib import Path
from typing import Iterable

from evaluator.records import Record

#: Streamlit markdown colours, assigned to labels in sorted order
COLORS = ("blue", "green", "orange", "violet", "red", "yellow", "gray")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|$~:!])")
#: what GitHub-flavoured Markdown links on its own, from the text after parsing (so escapes do not help): a word
#: joiner (U+2060, invisible) is put inside each
_AUTOLINK = re.compile(r"(?i)(://|\bwww\.|@)")


def escape_md(text: str) -> str:
    """Escape characters Streamlit markdown would interpret (emphasis, links and images, LaTeX ``$``,
    ``:color[]``), and break the patterns GitHub-flavoured Markdown turns into links on its own (``http://``,
    ``www.``, e-mail addresses) with an invisible word joiner: user-supplied text shows as text and never makes
    the browser fetch or link anything.

    >>> escape_md("![x](http://host/a.png) www.host.org a@b.org").replace("\u2060", "^")
    '\\\\!\\\\[x\\\\](http^\\\\://host/a.png) www^.host.org a@^b.org'
    """
    text = _AUTOLINK.sub(lambda m: {"://": "\u2060://", "@": "@\u2060"}.get(m.group(1), m.group(1)[:3] + "\u2060."),
                         text)
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def code_md(text: str) -> str:
    """Inline code that shows ``text`` literally, whatever it holds (paths, file names): the fence is longer than
    any run of backticks inside, so nothing in it is read as Markdown.

    >>> code_md("a`b"), code_md("x.txt")
    ('``a`b``', '`x.txt`')
    """
    text = text.replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` (resolved) is ``folder`` or below it.

    >>> inside(Path("/srv/app/data/ws"), Path("/srv/app")), inside(Path("/srv/x"), Path("/srv/app"))
    (True, False)
    """
    path, folder = Path(path).resolve(), Path(folder).resolve()
    return path == folder or folder in path.parents


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


def preview_rows(records: list[Record], task: str, *, start: int = 1) -> list[dict]:
    """Rows for a preview table: position (from ``start``), text (spans inline), label/spans count, answer."""
    rows = []
    for i, r in enumerate(records, start):
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


def round_admin_rows(status: dict, imports: list[dict], in_use: dict[int, list[str]]) -> list[dict]:
    """One row per round for the Data page's Rounds table: examples, accepted, its imports (id and file) and the
    models trained on it."""
    rows = []
    for r in status["rounds"]:
        mine = [i for i in imports if i["target"] == f"round:{r['round']}"]
        rows.append({"round": r["round"], "examples": r["examples"], "accepted": r["accepted"],
                     "imports": "; ".join(f"import {i['id']}: {i['file']} ({i['examples']:,})" for i in mine) or "—",
                     "trained models": ", ".join(in_use.get(r["round"], [])) or "—"})
    return rows


def move_sources(status: dict, imports: list[dict]) -> dict[str, str]:
    """What the Data page can move: ``{"import:ID" | "round:N" | "pool": description}`` (imports of rounds and
    the pool, whole rounds, the pool; never gold sets).

    >>> move_sources({"rounds": [{"round": 1, "examples": 5}], "pool": None},
    ...              [{"id": 3, "file": "b.jsonl", "target": "round:1", "examples": 5}])
    {'import:3': 'import 3: b.jsonl (5 examples in round 1)', 'round:1': 'round 1 (all 5 examples)'}
    """
    out: dict[str, str] = {}
    for i in imports:
        if i["target"].startswith("round:") or i["target"] == "pool":
            where = "the pool" if i["target"] == "pool" else f"round {i['target'].split(':')[1]}"
            out[f"import:{i['id']}"] = f"import {i['id']}: {i['file']} ({_n(i['examples'], 'example')} in {where})"
    for r in status["rounds"]:
        out[f"round:{r['round']}"] = f"round {r['round']} (all {_n(r['examples'], 'example')})"
    if status.get("pool"):
        out["pool"] = f"the pool (all {_n(status['pool']['examples'], 'example')})"
    return out


def _n(count: int, word: str) -> str:
    """``1 example``, ``2 examples``, ``1,000 examples``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def round_rows(status: dict) -> list[dict]:
    """One row per round: examples, accepted, cumulative accepted, and counts per label."""
    rows, total = [], 0
    for r in status["rounds"]:
        total += r["accepted"]
        rows.append({"round": r["round"], "examples": r["examples"], "accepted": r["accepted"],
                     "cumulative": total, **r["per_label"]})
    return rows


#: the hex colours of Streamlit's markdown colour names (light theme), so charts colour a label as its badge
HEX = {"blue": "#1c83e1", "green": "#21c354", "orange": "#ff8700", "violet": "#803df5", "red": "#ff2b2b",
       "yellow": "#faca2b", "gray": "#808495"}


def label_color_scale(labels: Iterable[str]):
    """An Altair colour scale giving each label the colour of its badge (:func:`label_colors`)."""
    import altair as alt

    colors = label_colors(labels)
    return alt.Scale(domain=list(colors), range=[HEX[c] for c in colors.values()])


def round_chart(status: dict):
    """Altair stacked bars: spans (NER) or texts (textcat) per label in each annotation round."""
    import altair as alt
    import pandas as pd

    unit = "spans" if status["task"] == "ner" else "texts"
    rows = round_label_counts(status)
    labels = sorted(set(status["labels"]) | {r["label"] for r in rows})
    return alt.Chart(pd.DataFrame(rows)).mark_bar().encode(
        x=alt.X("round:N", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("count:Q", title=f"{unit} per label"),
        color=alt.Color("label:N", title="label", scale=label_color_scale(labels)),
        tooltip=["round", "label", "count"],
    ).properties(height=240)


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
    pool = (status.get("pool") or {}).get("unlabeled", 0)
    if pool and status["labels"] and "Label" in pages:
        hints.append(f"{pool:,} pool text(s) wait for labels: label a round on the **Label** page (next items by "
                     "the model's uncertainty), or a gold set (a random sample).")
    if gold and status["rounds"] and any(g["frozen"] for g in gold):
        if "Train" in pages:
            hints.append("Train a model per round on the **Train** page.")
        if "Evaluate" in pages:
            hints.append("Score every model on the frozen gold set on the **Evaluate** page.")
        if not hints:
            hints.append("Ready: a frozen gold set and annotation rounds. Check the leakage report on the "
                         "**Gold sets** page before training.")
    return hints


# ------------------------------------------------------------------------------------------ Label page

def label_progress_rows(progress: dict) -> list[dict]:
    """Rows of the Label page's per-label table: accepted by people and auto-accepted, per label."""
    done, auto = progress["per_label"], progress["per_label_auto"]
    return [{"label": k, "accepted": done.get(k, 0), "auto-accepted": auto.get(k, 0)}
            for k in sorted(set(done) | set(auto))]


def annotator_rows(per_annotator: list[dict]) -> list[dict]:
    """Rows of the Label page's per-annotator table (answers, by answer, answers per hour, last answer)."""
    return [{"annotator": p["annotator"], "answers": p["answers"], "accepted": p["accept"], "rejected": p["reject"],
             "ignored": p["ignore"], "auto": p["auto"],
             "per hour": None if p["per_hour"] is None else round(p["per_hour"]),
             "last answer": str(p["last"] or "")[:16].replace("T", " ")} for p in per_annotator]


def pair_rows(pairs: list[dict], task: str) -> list[dict]:
    """Rows of the agreement table: one per pair of annotators."""
    rows = []
    for p in pairs:
        row = {"annotator A": p["a"], "annotator B": p["b"], "examples": p["items"], "identical": p["observed"]}
        if task == "textcat":
            row["kappa"] = p["kappa"]
        else:
            row.update({"both accepted": p["accepted_items"], "span F1": p["f1"]})
        rows.append(row)
    return rows


def order_text(order: dict) -> str:
    """One stored labeling order in words: ``random (seed 3)``, ``least confident first (margin, model X)``."""
    if order.get("strategy") == "random":
        text = f"random (seed {order.get('seed', 0)})"
    elif order.get("strategy") == "uncertainty":
        by = ", ".join(order.get("committee") or []) or order.get("model") or "?"
        text = f"least confident first ({order.get('method')}, {'committee ' if order.get('committee') else ''}{by})"
    else:
        text = "as imported"
    return text + (f", pre-filled by {order['suggestions']}" if order.get("suggestions") else "")


# ------------------------------------------------------------------------------------------ Train page

def default_model_name(round: int, trainer: str, *, cumulative: bool = True) -> str:
    """The name ``train_round`` gives a model when none is passed (kept in step with the registry)."""
    return f"round-{round}-{trainer}" if cumulative else f"round-{round}-only-{trainer}"


def parse_config(text: str) -> dict | None:
    """Trainer config overrides typed as a JSON object (``{"training.max_steps": 500}``); empty -> None."""
    from evaluator.training.base import parse_config_overrides
    return parse_config_overrides(text)


def _short(x, n: int = 12) -> str:
    return (x or "")[:n]


def gold_column(gold: str, version: int) -> str:
    return f"F1 {gold} v{version}"


def model_rows(models: list[dict], scores: list[dict] = ()) -> list[dict]:
    """One row per model: name, one ``F1 <gold> v<N>`` column per gold-set version it was evaluated on (current
    evaluations only; micro F1, or accuracy for single-label text classification), then round, trainer,
    training data, parent, examples, seed, seconds, created and, last, the training-data hash (the scores come
    first so that a narrow window still shows them)."""
    by_model: dict[str, dict] = {}
    cols: list[str] = []
    for s in sorted(scores, key=lambda s: (s["gold"], s["version"])):
        if not s.get("current", True):
            continue
        col = gold_column(s["gold"], s["version"])
        if col not in cols:
            cols.append(col)
        by_model.setdefault(s["model"], {})[col] = s["f1"]
    rows = []
    for m in models:
        kind = m.get("kind") or "trained"
        row = {"model": m["name"]}
        for col in cols:
            row[col] = by_model.get(m["name"], {}).get(col)
        row |= {"round": m["round"],
                "trainer": m["trainer"] if kind == "trained" else f"external ({kind})",
                "training": ("cumulative" if (m.get("lineage") or {}).get("cumulative") else "this round only")
                if kind == "trained" else "",
                "parent": (m.get("lineage") or {}).get("parent") or "",
                "examples": (m.get("counts") or {}).get("examples"),
                "seed": m.get("seed"),
                "seconds": m.get("seconds"),
                "created": str(m.get("created_at") or "")[:19],
                "trained on gold": ", ".join(f"gold:{g} ({n})"
                                             for g, n in sorted((m.get("gold_overlap") or {}).items())),
                "train hash": _short(m.get("train_hash"))}
        rows.append(row)
    return rows


def curve_points(curve: dict) -> list[dict]:
    """Long-form rows of a learning curve: one per (fraction, seed) with examples and F1."""
    rows = []
    for p in curve.get("points", []):
        for seed, f1 in zip(p.get("seeds", []), p.get("f1", [])):
            rows.append({"fraction": p["fraction"], "examples": p["examples"], "seed": seed, "f1": f1})
    return rows


def curve_chart(curve: dict):
    """Altair chart: mean F1 (line and points) with the min-max band over seeds against training examples."""
    import altair as alt
    import pandas as pd

    pts = pd.DataFrame([{"examples": p["examples"], "fraction": f"{p['fraction']:.0%}", "mean": p["mean"],
                         "min": p["min"], "max": p["max"]} for p in curve.get("points", [])])
    runs = pd.DataFrame(curve_points(curve))
    x = alt.X("examples:Q", title="training examples")
    y_title = curve.get("metric") or "F1"
    band = alt.Chart(pts).mark_area(opacity=0.25).encode(
        x=x, y=alt.Y("min:Q", title=f"{y_title} on the gold set", scale=alt.Scale(zero=False)), y2="max:Q")
    line = alt.Chart(pts).mark_line(point=True).encode(
        x=x, y="mean:Q", tooltip=["fraction", "examples", alt.Tooltip("mean:Q", format=".3f"),
                                  alt.Tooltip("min:Q", format=".3f"), alt.Tooltip("max:Q", format=".3f")])
    layers = [band, line]
    if len(runs):
        layers.append(alt.Chart(runs).mark_circle(size=25, opacity=0.6, color="gray").encode(
            x=x, y="f1:Q", tooltip=["seed", "examples", alt.Tooltip("f1:Q", format=".3f")]))
    return alt.layer(*layers).properties(height=320)


# ------------------------------------------------------------------------------------------ Evaluate page

def f1_interval(evaluation: dict) -> tuple[float | None, float | None]:
    """The 95% bootstrap interval of a model's micro F1 in an ``evaluate_models`` result: ``ci95.micro_f1``
    (``[low, high]``), or the older ``f1_ci`` (``{"low", "high"}``)."""
    ci = (evaluation.get("ci95") or {}).get("micro_f1") if isinstance(evaluation.get("ci95"), dict) else None
    if ci:
        return ci[0], ci[1]
    old = evaluation.get("f1_ci") or {}
    return old.get("low"), old.get("high")


def score_rows(evaluations: list[dict], task: str) -> list[dict]:
    """One row per model of ``evaluate_models``: micro P/R/F1 with the F1 interval, macro F1, documents."""
    rows = []
    for e in evaluations:
        lo, hi = f1_interval(e)
        row = {"model": e["model"]}
        if task == "textcat":
            row["accuracy"] = e.get("accuracy")
        row.update({"micro P": e["micro"]["precision"], "micro R": e["micro"]["recall"], "micro F1": e["micro"]["f1"],
                    "F1 95% CI": f"{lo:.3f} – {hi:.3f}" if lo is not None and hi is not None else "–",
                    "macro F1": e["macro"]["f1"], "docs": e.get("documents")})
        if task == "ner":
            row["misaligned"] = e.get("misaligned")
        rows.append(row)
    return rows


def per_label_rows(evaluations: list[dict]) -> list[dict]:
    """Long-form (model, label, f1, support) rows for a grouped bar chart."""
    return [{"model": e["model"], "label": lab, "f1": v.get("f1"), "support": v.get("support")}
            for e in evaluations for lab, v in (e.get("per_label") or {}).items()]


def per_label_chart(rows: list[dict]):
    """Altair grouped bars: F1 per label, one bar per model."""
    import altair as alt
    import pandas as pd

    return alt.Chart(pd.DataFrame(rows)).mark_bar().encode(
        x=alt.X("label:N", title=None, axis=alt.Axis(labelAngle=0)),
        xOffset="model:N",
        y=alt.Y("f1:Q", title="F1", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("model:N", title="model"),
        tooltip=["model", "label", alt.Tooltip("f1:Q", format=".3f"), "support"],
    ).properties(height=300)


METRIC_TITLES = {"micro_f1": "micro F1", "macro_f1": "macro F1", "accuracy": "accuracy"}


def delta_rows(res: dict, *, per_label: bool = False) -> list[dict]:
    """Rows (name, delta, low, high in points; clear = the interval excludes 0) for the interval chart."""
    items = (res.get("per_label") or {}).items() if per_label else (res.get("metrics") or {}).items()
    rows = []
    for name, v in items:
        lo, hi = (v.get("ci95") or [None, None])
        if v.get("delta") is None or lo is None:
            continue
        rows.append({"name": name if per_label else METRIC_TITLES.get(name, name),
                     "delta": 100 * v["delta"], "low": 100 * lo, "high": 100 * hi,
                     "clear": "interval excludes 0" if (lo > 0 or hi < 0) else "interval includes 0"})
    return rows


def delta_chart(rows: list[dict], *, title: str = "B − A (points), 95% interval"):
    """Altair: each difference as a point with its 95% interval and a rule at zero."""
    import altair as alt
    import pandas as pd

    df = pd.DataFrame(rows)
    y = alt.Y("name:N", title=None, sort=None)
    color = alt.Color("clear:N", title=None, scale=alt.Scale(domain=["interval excludes 0", "interval includes 0"],
                                                             range=["#2e7d32", "#9e9e9e"]),
                      legend=alt.Legend(orient="bottom"))
    # the axis spans at least -1..+1 points around the values and 0: identical systems (every interval 0 wide)
    # get a readable axis instead of one tick labelled 0.000000
    values = [0.0] + [float(v) for c in ("delta", "low", "high") for v in df[c] if v is not None and v == v]
    lo, hi = min(values), max(values)
    pad = max(1.0, 0.05 * (hi - lo))
    x = alt.X("low:Q", title=title, scale=alt.Scale(domain=[lo - pad, hi + pad], nice=True),
              axis=alt.Axis(format="~g"))
    bars = alt.Chart(df).mark_rule(strokeWidth=3).encode(x=x, x2="high:Q", y=y, color=color)
    dots = alt.Chart(df).mark_point(filled=True, size=90).encode(
        x="delta:Q", y=y, color=color,
        tooltip=["name", alt.Tooltip("delta:Q", format="+.2f"), alt.Tooltip("low:Q", format="+.2f"),
                 alt.Tooltip("high:Q", format="+.2f")])
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4], color="black").encode(x="x:Q")
    return alt.layer(bars, dots, zero).properties(height=alt.Step(32))


DIFF_KINDS = {"gained": "gained", "lost": "lost", "changed": "changed", "new_error": "new error",
              "fixed_error": "fixed error"}


def _sp(s) -> str:
    """A span dict as ``text · LABEL``, a list of them joined, a category as it is, nothing as a dash."""
    from evaluator.metrics.diff import show

    return show(s, sep=" · ", quote=False, none="—")


def diff_rows(diff: list[dict], task: str, *, kinds=None, label: str | None = None) -> list[dict]:
    """The table of the example diff: one row per flat row of ``example_diff`` (example number, kind, label(s),
    gold, A, B, text). ``kinds`` (keys of :data:`DIFF_KINDS`) and ``label`` filter."""
    kinds = set(kinds) if kinds else set(DIFF_KINDS)
    rows = []
    for r in diff:
        if r["kind"] not in kinds or (label is not None and label not in r["labels"]):
            continue
        row = {"#": r["document"] + 1, "kind": DIFF_KINDS[r["kind"]]}
        if task == "ner":
            row["label"] = r["label"]
            row["gold"] = _sp(r["gold"])
            row["A"] = _sp(r["a"])
            row["B"] = _sp(r["b"]) + (f" ({r['change']})" if r.get("change") else "")
        else:
            row.update({"gold": r["gold"], "A": r["a"] or "—", "B": r["b"] or "—"})
        row["text"] = r["text"]
        rows.append(row)
    return rows


def diff_counts(diff: list[dict], task: str, *, label: str | None = None) -> dict[str, int]:
    """How many rows of each kind the diff has (of ``label`` only, when given): the number of rows
    :func:`diff_rows` shows for each kind."""
    from evaluator.metrics.diff import count_kinds

    return count_kinds([r for r in diff if label is None or label in r["labels"]], task)


def diff_kinds_key(counts: dict[str, int], kinds: Iterable[str]) -> str:
    """The widget key of the Kind filter: it changes whenever a chip's text (kind and count) changes.

    >>> diff_kinds_key({"gained": 3, "lost": 0}, ["gained", "lost"])
    'eval.diff_kinds.gained3.lost0'
    """
    return "eval.diff_kinds." + ".".join(f"{k}{counts[k]}" for k in kinds)


def same_family(a: dict | None, b: dict | None) -> tuple | None:
    """(trainer, config overrides, cumulative, (round of A, round of B)) when A and B are trained models of one
    candidate family (trainer, overrides, round mode) on different rounds, else None."""
    if not a or not b or a.get("kind") != "trained" or b.get("kind") != "trained":
        return None
    ca, cb = a.get("config") or {}, b.get("config") or {}
    key = lambda m, c: (m["trainer"], json.dumps(c.get("overrides") or {}, sort_keys=True),  # noqa: E731
                        bool(c.get("cumulative", True)))
    if key(a, ca) != key(b, cb) or a.get("round") is None or b.get("round") is None or a["round"] == b["round"]:
        return None
    return a["trainer"], ca.get("overrides") or {}, bool(ca.get("cumulative", True)), (a["round"], b["round"])


def run_rows(evals: list[dict], models: list[dict], *, trainer: str, overrides: dict, cumulative: bool) -> list[dict]:
    """One row per run of the family's candidates that has a score: round, model, seed, F1 (points)."""
    f1 = {e["model"]: (e.get("micro") or {}).get("f1") for e in evals}
    want = json.dumps(overrides or {}, sort_keys=True)
    rows = []
    for m in models:
        cfg = m.get("config") or {}
        if (m.get("kind") == "trained" and m["trainer"] == trainer and m.get("round") is not None
                and bool(cfg.get("cumulative", True)) == cumulative
                and json.dumps(cfg.get("overrides") or {}, sort_keys=True) == want and f1.get(m["name"]) is not None):
            rows.append({"round": m["round"], "model": m["name"], "seed": m.get("seed"), "f1": 100 * f1[m["name"]]})
    return rows


def runs_chart(rows: list[dict]):
    """Altair: the F1 of every run as a dot per round, and the mean of each round as a tick."""
    import altair as alt
    import pandas as pd

    data = pd.DataFrame(rows)
    x = alt.X("round:O", title="round")
    y = alt.Y("f1:Q", title="F1 on the gold set (points)", scale=alt.Scale(zero=False))
    dots = alt.Chart(data).mark_circle(size=70, opacity=0.7).encode(
        x=x, y=y, tooltip=["model", "seed", alt.Tooltip("f1:Q", format=".1f")])
    mean = alt.Chart(data).mark_tick(thickness=3, size=30, color="black").encode(
        x=x, y=alt.Y("mean(f1):Q"), tooltip=[alt.Tooltip("mean(f1):Q", format=".1f", title="mean F1")])
    return alt.layer(dots, mean).properties(height=220)


#: how the "each model against the previous one" table words a verdict
CHAIN_VERDICTS = {"b_better": "B better", "a_better": "A better (B worse)", "no_difference": "no difference",
                  "undefined": "undefined"}
