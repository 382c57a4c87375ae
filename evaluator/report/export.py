"""Exports of a report: one self-contained HTML file, Markdown with PNG charts beside it, and JSON.

The report dict (:func:`evaluator.report.engine.build_report`) is first laid out as a list of plain blocks
(:func:`blocks`: headings, paragraphs, lists, tables, figures); the HTML and Markdown writers only turn blocks into
text, each escaping every string it did not write itself (texts, labels, comments, model names: ``<script>``
stays text, a ``javascript:`` link stays text). The HTML file has its CSS inline and its charts as inline SVG
(vl-convert, in process), and no ``<script>``, link, image or font reference: it makes no network request of
any kind and opens from ``file://``. The JSON is the report dict itself: every number and every setting (gold
hash, metric mode, resamples, seeds, model lineage, training-data and artifact hashes).

>>> html_text(Mark("<b>", "x", "y"))
'&lt;b&gt;<mark>x</mark>y'
>>> md_text("[click](javascript:alert(1)) <img src=x onerror=alert(1)>")
'\\\\[click\\\\]\\\\(javascript:alert\\\\(1\\\\)\\\\) &lt;img src=x onerror=alert\\\\(1\\\\)&gt;'
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from evaluator.metrics.diff import NER_KINDS, TEXTCAT_KINDS
from evaluator.report.buckets import ATTRIBUTES
from evaluator.report.verdict import format_p


@dataclass
class Mark:
    """Text with one highlighted part (an entity in its context)."""

    left: str
    entity: str
    right: str


Cell = Any  # str, Mark, a number or None
Block = tuple


# ------------------------------------------------------------------------------------------------ formatting

def _pts(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:+.1f}"


def _f1(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def _ci(ci: Sequence[float | None] | None) -> str:
    lo, hi = ci or (None, None)
    return "–" if lo is None or hi is None else f"{100 * lo:+.1f} to {100 * hi:+.1f}"


def _p(x: float | None) -> str:
    return "–" if x is None else format_p(x)


def _verdict(v: str, single: bool = False) -> str:
    return v + (" (single run)" if single else "")


def _output(x: Any) -> str:
    if isinstance(x, list):
        return ", ".join(f"{s.get('label')}: {s.get('text', '')}".strip() if isinstance(s, dict) else str(s)
                         for s in x) or "(nothing)"
    return "(nothing)" if x in (None, "") else str(x)


def _spans(text: str, spans: Any) -> str:
    if isinstance(spans, list):
        return ", ".join(f"{text[s['start']:s['end']]} · {s['label']}" for s in spans) or "(no entities)"
    return "(nothing)" if spans in (None, "") else str(spans)


# ------------------------------------------------------------------------------------------------ blocks

def blocks(rep: dict[str, Any], *, charts: Sequence[dict[str, Any]] = ()) -> list[Block]:
    """The report as blocks: ``("h", level, text)``, ``("p", text)``, ``("small", text)``, ``("ul", [text])``,
    ``("table", headers, rows, css_class)``, ``("figure", key, title, caption)``."""
    g = rep["gold"]
    st = rep["settings"]
    out: list[Block] = [("h", 1, rep["title"]),
                        ("small", f"gold:{g['name']} version {g['version']} ({'frozen' if g['frozen'] else 'open'}), "
                                  f"content hash {g['hash']} · {g['examples']} examples · task {rep['task']} · "
                                  f"metric {st['metric']} ({st['mode']} mode) · {st['resamples']:,} resamples of "
                                  f"{g['unit']}s · seed {st['seed']} · alpha {st['alpha']} · evaluator "
                                  f"{st.get('evaluator')} · computed {rep.get('created_at', '')}")]
    out += [("h", 2, "Verdict"), ("ul", rep["headline"])]
    out.append(("table", ["family", "iteration", "compared with", "runs A vs B", "F1 A", "F1 B", "B − A (points)",
                          "95% CI", "p", "p (Holm)", "verdict", "A/B", "signals"],
                [[r["family"], r["iteration"], r["compared_with"], r["runs"], _f1(r["f1_a"]), _f1(r["f1_b"]),
                  _pts(r["delta"]), _ci(r["ci95"]), _p(r["p"]), _p(r["p_holm"]),
                  _verdict(r["verdict"], r["single_run"]), r["ab"] or "–", r["signals"]] for r in rep["table"]],
                "verdicts"))
    out.append(("small", "A step is improved or regressed only when its p-value after Holm correction across every "
                         "comparison in this report is below alpha and its 95% interval excludes 0 (two-level "
                         "bootstrap over runs and gold units). A single run of a stochastic trainer never decides "
                         "a step: train more seeds. Signals: how the metrics' verdict and a blind A/B session "
                         "between the same two iterations relate."))
    if charts:
        out.append(("h", 2, "Charts"))
        out += [("figure", c["key"], c["title"], c["caption"]) for c in charts]
    for fam in rep["families"]:
        out += _family_blocks(rep, fam)
    out += _gold_error_blocks(rep)
    out += _ab_blocks(rep)
    out.append(("h", 2, "Models"))
    out.append(("table", ["model", "trainer", "round", "parent", "seed", "examples", "config", "training-data hash",
                          "artifact hash"],
                [[m["name"], m["trainer"], m["round"], m["parent"] or "–", m["seed"], m["examples"],
                  json.dumps(m["config_overrides"], sort_keys=True) if m["config_overrides"] else "–",
                  m["train_hash"] or "–", m["artifact_hash"] or "–"] for m in rep["models"]], "models"))
    out.append(("h", 2, "Settings (to reproduce these numbers)"))
    flat = {**{k: v for k, v in st.items() if k != "buckets"}, **{f"buckets.{k}": v for k, v in st["buckets"].items()},
            "gold": f"{g['name']}@{g['version']}", "gold hash": g["hash"]}
    out.append(("table", ["setting", "value"], [[k, json.dumps(v) if not isinstance(v, str) else v]
                                                for k, v in flat.items()], "settings"))
    cmd = (f"evaluator report --gold {g['name']}@{g['version']} --mode {st['mode']} --resamples {st['resamples']} "
           f"--seed {st['seed']} --alpha {st['alpha']} --unit {st['unit']}"
           + (f" --trainer {st['trainer']}" if st.get("trainer") else "") + " --json report.json --out report.html")
    out.append(("p", f"Reproduce: {cmd}"))
    return out


def _family_blocks(rep: dict[str, Any], fam: dict[str, Any]) -> list[Block]:
    out: list[Block] = [("h", 2, f"Iterations: {fam['title']}")]
    out.append(("table", ["iteration", "runs", "seeds", "training examples", "mean F1", "95% CI", "runs' F1"],
                [[it["name"] + (" (single run)" if it["single_run"] else ""), len(it["runs"]),
                  ", ".join(str(s) for s in it["seeds"]), it["examples"], _f1(it["f1"]),
                  _ci(it["ci95"]).replace("+", ""), ", ".join(_f1(x) for x in it["runs_f1"])]
                 for it in fam["iterations"]], "iterations"))
    for s in fam["steps"]:
        out.append(("h", 3, f"Round {s['round_b']} against round {s['round_a']} ({s['against']}): {s['verdict']}"))
        out.append(("ul", s["sentences"]))
        out.append(("p", "Per label, over all runs (Holm across labels):"))
        out.append(("table", ["label", "gold entities" if rep["task"] == "ner" else "gold texts", "F1 A", "F1 B",
                              "B − A", "95% CI", "p (Holm)", "verdict"],
                    [[b["bucket"], b["support"], _f1(b.get("a")), _f1(b.get("b")), _pts(b.get("delta")),
                      _ci(b.get("ci95")), _p(b.get("p_holm")), b["verdict"]] for b in s["per_label"]], "buckets"))
        for attr, words in ATTRIBUTES.items():
            if attr == "label" or attr not in s["buckets"]:
                continue
            out.append(("p", f"Where it changed by {words}:"))
            out.append(("table", ["bucket", "gold entities" if rep["task"] == "ner" else "gold texts", "F1 A", "F1 B",
                                  "B − A", "95% CI", "p (Holm)", "verdict"],
                        [[b["bucket"], b["support"], _f1(b.get("a")), _f1(b.get("b")), _pts(b.get("delta")),
                          _ci(b.get("ci95")), _p(b.get("p_holm")), b["verdict"]] for b in s["buckets"][attr]],
                        "buckets"))
        d = s["diff"]
        order = NER_KINDS if rep["task"] == "ner" else TEXTCAT_KINDS
        counts = ", ".join(f"{d['counts'].get(k, 0)} {k.replace('_', ' ')}" for k in order)
        out.append(("p", f"Example diff of {d['model_b']} (B) against {d['model_a']} (A): {counts}."))
        for kind, words in (("gained", "Gained (B finds, A misses)"), ("lost", "Lost (A finds, B misses)")):
            if d[kind]:
                out.append(("table", ["#", "label", f"{words}: the entity in its text"],
                            [[r["document"], r["label"], Mark(r["left"], r["entity"], r["right"])] for r in d[kind]],
                            "entities"))
        out += _ab_step_blocks(s)
    return out


def _ab_step_blocks(s: dict[str, Any]) -> list[Block]:
    ab = s.get("ab")
    if not ab:
        return [("p", "No blind A/B session compared these two iterations.")]
    out: list[Block] = [("p", f"Blind A/B (session {ab['session_id']}, {ab['source']}): {ab['model_b']} (B) against "
                              f"{ab['model_a']} (A): B won {ab['wins_b']}, A won {ab['wins_a']}, {ab['ties']} ties or "
                              f"both wrong; B's win rate {_f1(ab['win_rate_b'])}% (95% CI {_f1(ab['ci95'][0])}–"
                              f"{_f1(ab['ci95'][1])}%); "
                              + ("decided for " + (ab["model_b"] if ab["preferred"] == "b" else ab["model_a"])
                                 if ab["decided"] else "undecided")
                              + f" (always-valid p = {_p(ab['p_always_valid'])}). Signals: {ab['signals']}.")]
    if ab.get("look_at"):
        out.append(("p", f"Conflicting: the annotators preferred {ab['look_at'][0]['preferred']}, which the metrics "
                         "call worse, on these items; look at them:"))
        out.append(("table", ["text", "preferred output", "its F1", "other output", "other F1", "comments"],
                    [[r["text"], _output_text(r["text"], r["preferred_output"]), _f1(r["f1_preferred"]),
                      _output_text(r["text"], r["other_output"]), _f1(r["f1_other"]), " / ".join(r["comments"]) or "–"]
                     for r in ab["look_at"]], "lookat"))
    return out


def _output_text(text: str, output: Any) -> str:
    return _spans(text, output) if isinstance(output, list) else _output(output)


def _gold_error_blocks(rep: dict[str, Any]) -> list[Block]:
    ge = rep.get("gold_errors") or {}
    if not ge.get("models"):
        return []
    out: list[Block] = [("h", 2, "Candidate gold-set errors"),
                        ("small", f"Where every one of the {ge['models']} run(s) in this report disagrees with the "
                                  "gold annotation in the same way: review these gold annotations; they are "
                                  "candidates, not errors.")]
    if rep["task"] == "ner":
        miss, agree = ge["missed_by_all"], ge["predicted_by_all"]
        out.append(("p", f"Gold entities no model finds: {miss['total']} (first {len(miss['rows'])}, those every model "
                         "predicts differently first)."))
        if miss["rows"]:
            out.append(("table", ["#", "gold label", "the gold entity in its text", "predicted instead"],
                        [[r["document"], r["label"], Mark(r["left"], r["entity"], r["right"]),
                          f"{r['instead']['text']} · {r['instead']['label']} ({r['models_instead']} of {ge['models']})"
                          if r.get("instead") else "–"] for r in miss["rows"]], "entities"))
        out.append(("p", f"Entities every model predicts and the gold set does not have: {agree['total']}."))
        if agree["rows"]:
            out.append(("table", ["#", "predicted label", "the predicted entity in its text", "gold there"],
                        [[r["document"], r["label"], Mark(r["left"], r["entity"], r["right"]),
                          ", ".join(f"{x['text']} · {x['label']}" for x in r["gold_there"]) or "(nothing)"]
                         for r in agree["rows"]], "entities"))
        return out
    agree = ge["predicted_by_all"]
    out.append(("p", f"Texts every model puts in the same other class: {agree['total']}."))
    if agree["rows"]:
        out.append(("table", ["#", "gold", "every model", "text"],
                    [[r["document"], r["gold"], r["predicted"], r["text"]] for r in agree["rows"]], "texts"))
    cl = ge.get("cleanlab")
    if cl:
        out.append(("p", f"cleanlab label issues (confident learning on the last iteration's class probabilities): "
                         f"{cl['total']}" + (f" ({cl['error']})" if cl.get("error") else "") + "."))
        if cl["rows"]:
            out.append(("table", ["#", "gold", "suggested", "self-confidence", "text"],
                        [[r["document"], r["gold"], r["suggested"], f"{r['self_confidence']:.2f}", r["text"]]
                         for r in cl["rows"]], "texts"))
    return out


def _ab_blocks(rep: dict[str, Any]) -> list[Block]:
    if not rep.get("ab"):
        return []
    out: list[Block] = [("h", 2, "Blind A/B sessions")]
    for s in rep["ab"]:
        out.append(("h", 3, f"Session {s['session_id']} on {s['source']}: {s['judgments']} judgments by "
                            f"{len(s['annotators'])} annotator(s)"))
        out.append(("p", s["verdict"]))
        out.append(("table", ["pair", "wins", "losses", "ties", "win rate (first)", "95% CI", "sign test p",
                              "always-valid p", "decided"],
                    [[f"{p['a']} vs {p['b']}", p["wins"], p["losses"], p["ties"], _f1(p["win_rate"]),
                      f"{_f1(p['ci95'][0])}–{_f1(p['ci95'][1])}", _p(p["p_sign"]),
                      _p((p.get("sequential") or {}).get("p_always_valid")), "yes" if p["decided"] else "no"]
                     for p in s["pairs"]], "ab"))
        if s.get("ranking"):
            out.append(("table", ["rank", "system", "strength", "95% CI"],
                        [[r["rank"], r["system"], f"{r['score']:.2f}", f"{r['ci95'][0]:.2f} to {r['ci95'][1]:.2f}"]
                         for r in s["ranking"]["systems"]], "ab"))
    return out


# ------------------------------------------------------------------------------------------------ HTML

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:2rem auto;
max-width:1200px;padding:0 1rem;color:#1f2328;line-height:1.45}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}h3{margin-top:1.6rem}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.88rem;display:block;overflow-x:auto}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}small,.small{color:#57606a;font-size:.85rem;display:block}
td.v-improved{background:#e6f4ea;font-weight:600}td.v-regressed{background:#fdecea;font-weight:600}
td.v-conflicting{background:#fff4e5;font-weight:600}
mark{background:#fff3b0;padding:0 .1rem}figure{margin:1rem 0 2rem;display:inline-block;width:49%;vertical-align:top;box-sizing:border-box;padding-right:1rem}figcaption{color:#57606a;font-size:.85rem}
figure svg{max-width:100%;height:auto}table.entities td:last-child{max-width:760px}
"""


def html_text(value: Cell) -> str:
    """A cell or sentence as escaped HTML (a :class:`Mark` highlights its entity)."""
    if isinstance(value, Mark):
        return f"{html.escape(value.left)}<mark>{html.escape(value.entity)}</mark>{html.escape(value.right)}"
    return html.escape("–" if value is None else str(value), quote=True)


_SVG_HEAD = re.compile(r"^\s*(<\?xml[^>]*>)?\s*(<!DOCTYPE[^>]*>)?\s*", re.S)


def _clean_svg(svg: str) -> str:
    """vl-convert's SVG without an XML prologue, ready to inline (it holds no script and no external reference)."""
    return _SVG_HEAD.sub("", svg)


def to_html(rep: dict[str, Any], *, charts: Sequence[dict[str, Any]] | None = None,
            render: Callable[[Any], str] | None = None) -> str:
    """One self-contained HTML document (inline CSS and SVG charts, no script, no external reference)."""
    from evaluator.report.charts import report_charts, to_svg

    charts = report_charts(rep) if charts is None else charts
    render = render or to_svg
    svgs = {c["key"]: _clean_svg(render(c["chart"])) for c in charts}
    body = []
    for b in blocks(rep, charts=charts):
        kind = b[0]
        if kind == "h":
            body.append(f"<h{b[1]}>{html_text(b[2])}</h{b[1]}>")
        elif kind == "p":
            body.append(f"<p>{html_text(b[1])}</p>")
        elif kind == "small":
            body.append(f"<p class=\"small\">{html_text(b[1])}</p>")
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{html_text(x)}</li>" for x in b[1]) + "</ul>")
        elif kind == "table":
            headers, rows, css = b[1], b[2], b[3]
            head = "".join(f"<th>{html_text(h)}</th>" for h in headers)
            trs = []
            for row in rows:
                tds = []
                for h, v in zip(headers, row):
                    cls = ""
                    if h in ("verdict", "signals") and isinstance(v, str):
                        word = v.split(" ")[0]
                        if word in ("improved", "regressed", "conflicting"):
                            cls = f" class=\"v-{word}\""
                    tds.append(f"<td{cls}>{html_text(v)}</td>")
                trs.append("<tr>" + "".join(tds) + "</tr>")
            ident = f" id=\"{css}\"" if css in ("verdicts", "models", "settings") else ""
            body.append(f"<table class=\"{css}\"{ident}><thead><tr>{head}</tr></thead><tbody>"
                        + "".join(trs) + "</tbody></table>")
        elif kind == "figure":
            body.append(f"<figure id=\"chart-{b[1]}\" class=\"chart\"><h3>{html_text(b[2])}</h3>{svgs[b[1]]}"
                        f"<figcaption>{html_text(b[3])}</figcaption></figure>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:\">"
            f"<title>{html_text(rep['title'])}</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def write_html(rep: dict[str, Any], path: str | Path, **kwargs: Any) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_html(rep, **kwargs), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------ Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+!|~$])")


def md_text(value: Cell) -> str:
    """A cell or sentence as escaped Markdown: ``& < >`` as entities, Markdown syntax backslash-escaped, one
    line (a :class:`Mark` puts its entity in bold)."""
    if isinstance(value, Mark):
        return f"{md_text(value.left)}**{md_text(value.entity)}**{md_text(value.right)}"
    text = "–" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\r", " ").replace("\n", " ")


def to_markdown(rep: dict[str, Any], *, charts: Sequence[dict[str, Any]] = (), chart_dir: str = "charts") -> str:
    """The report as Markdown; each chart is an image ``{chart_dir}/{key}.png`` beside the file."""
    lines: list[str] = []
    for b in blocks(rep, charts=charts):
        kind = b[0]
        if kind == "h":
            lines += ["#" * b[1] + " " + md_text(b[2]), ""]
        elif kind in ("p", "small"):
            lines += [("_" + md_text(b[1]) + "_") if kind == "small" else md_text(b[1]), ""]
        elif kind == "ul":
            lines += [f"- {md_text(x)}" for x in b[1]] + [""]
        elif kind == "table":
            headers, rows = b[1], b[2]
            lines.append("| " + " | ".join(md_text(h) for h in headers) + " |")
            lines.append("|" + "|".join("---" for _ in headers) + "|")
            lines += ["| " + " | ".join(md_text(v) for v in row) + " |" for row in rows]
            lines.append("")
        elif kind == "figure":
            lines += [f"### {md_text(b[2])}", "", f"![{md_text(b[2])}]({chart_dir}/{b[1]}.png)", "",
                      f"_{md_text(b[3])}_", ""]
    return "\n".join(lines)


def write_markdown(rep: dict[str, Any], folder: str | Path, *, name: str = "report.md",
                   charts: Sequence[dict[str, Any]] | None = None) -> Path:
    """Write ``folder/report.md`` and its charts as ``folder/charts/*.png``; returns the Markdown file's path."""
    from evaluator.report.charts import report_charts, to_png

    folder = Path(folder)
    (folder / "charts").mkdir(parents=True, exist_ok=True)
    charts = report_charts(rep) if charts is None else charts
    for c in charts:
        (folder / "charts" / f"{c['key']}.png").write_bytes(to_png(c["chart"]))
    path = folder / name
    path.write_text(to_markdown(rep, charts=charts), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------ JSON

def to_json(rep: dict[str, Any]) -> str:
    """The report dict as JSON: every number and every setting."""
    return json.dumps(rep, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def write_json(rep: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_json(rep) + "\n", encoding="utf-8")
    return path


__all__ = ["Mark", "blocks", "html_text", "md_text", "to_html", "to_json", "to_markdown", "write_html", "write_json",
           "write_markdown"]
