"""The report's charts (Altair), built from a report dict: the Report page shows them and the exports render them.

:func:`report_charts` returns ``[{"key", "title", "caption", "chart"}]``; every chart carries its data inline (no
URL, no file), so :func:`to_svg` / :func:`to_png` (vl-convert, in process, no network) render it anywhere.

* ``learning_curve`` — mean F1 over runs with its 95% interval against the number of training examples, each
  run as a dot, one line per family.
* ``per_label`` — per-label F1 by iteration (bars, interval as a rule).
* ``deltas`` — B − A in F1 points with its 95% interval for every step, coloured by verdict.
* ``buckets_*`` — where it changed: B − A per bucket of the latest step, with intervals.
* ``ab_win_rates`` / ``ab_ranking`` — A/B win rates with Wilson intervals; Bradley-Terry strengths with bootstrap
  intervals for sessions of three or more models.
* ``confusion`` — the confusion matrix of the last iteration (text classification).
"""
from __future__ import annotations

from typing import Any

from evaluator.report.buckets import ATTRIBUTES

VERDICT_COLORS = {"improved": "#2e7d32", "regressed": "#c62828", "inconclusive": "#9e9e9e", "undefined": "#bdbdbd"}


def _alt():
    import altair as alt

    return alt


def _data(rows: list[dict[str, Any]]):
    return _alt().Data(values=rows)


def _verdict_color():
    alt = _alt()
    return alt.Color("verdict:N", title="verdict", scale=alt.Scale(domain=list(VERDICT_COLORS),
                                                                    range=list(VERDICT_COLORS.values())),
                     legend=alt.Legend(orient="bottom"))


def _multi(rep: dict[str, Any]) -> bool:
    return len(rep["families"]) > 1


def _it_name(rep: dict[str, Any], fam: dict[str, Any], it: dict[str, Any]) -> str:
    return f"{fam['title']} · {it['name']}" if _multi(rep) else it["name"]


def primary_family(rep: dict[str, Any]) -> dict[str, Any] | None:
    """The family with the most iterations (the first one on a tie)."""
    fams = rep.get("families") or []
    return max(fams, key=lambda f: len(f["iterations"])) if fams else None


def learning_curve(rep: dict[str, Any]):
    alt = _alt()
    pts, runs = [], []
    for fam in rep["families"]:
        for it in fam["iterations"]:
            lo, hi = it["ci95"] or (None, None)
            if it["f1"] is None or it["examples"] is None:
                continue
            pts.append({"family": fam["title"], "iteration": it["name"], "examples": it["examples"],
                        "f1": it["f1"], "low": lo, "high": hi, "runs": len(it["runs"])})
            runs += [{"family": fam["title"], "examples": it["examples"], "f1": f, "run": n}
                     for f, n in zip(it["runs_f1"], it["runs"]) if f is not None]
    if not pts:
        return None
    x = alt.X("examples:Q", title="training examples")
    color = alt.Color("family:N", title="family", legend=alt.Legend(orient="bottom"))
    band = alt.Chart(_data(pts)).mark_errorbar(ticks=True).encode(
        x=x, y=alt.Y("low:Q", title="F1 (mean over runs, 95% CI)", scale=alt.Scale(zero=False)),
        y2="high:Q", color=color)
    line = alt.Chart(_data(pts)).mark_line(point=alt.OverlayMarkDef(size=60)).encode(
        x=x, y="f1:Q", color=color,
        tooltip=["family:N", "iteration:N", "examples:Q", alt.Tooltip("f1:Q", format=".3f"),
                 alt.Tooltip("low:Q", format=".3f"), alt.Tooltip("high:Q", format=".3f"), "runs:Q"])
    dots = alt.Chart(_data(runs)).mark_circle(size=22, opacity=0.5, color="gray").encode(
        x=x, y="f1:Q", tooltip=["run:N", alt.Tooltip("f1:Q", format=".3f")])
    return alt.layer(band, dots, line).properties(width=520, height=300)


def _bars_with_ci(rows: list[dict[str, Any]], *, x: str, x_title: str | None, group: str, y_title: str,
                  domain: tuple[float, float] | None = (0, 1)):
    alt = _alt()
    y_scale = alt.Scale(domain=list(domain)) if domain else alt.Scale(zero=False)
    base = alt.Chart(_data(rows))
    enc = {"x": alt.X(f"{x}:N", title=x_title, axis=alt.Axis(labelAngle=0, labelLimit=160), sort=None),
           "xOffset": alt.XOffset(f"{group}:N", sort=None)}
    bars = base.mark_bar().encode(
        **enc, y=alt.Y("f1:Q", title=y_title, scale=y_scale),
        color=alt.Color(f"{group}:N", title=group, sort=None, legend=alt.Legend(orient="bottom")),
        tooltip=[f"{x}:N", f"{group}:N", alt.Tooltip("f1:Q", format=".3f"), alt.Tooltip("low:Q", format=".3f"),
                 alt.Tooltip("high:Q", format=".3f"), "support:Q"])
    rules = base.mark_rule(color="black").encode(**enc, y="low:Q", y2="high:Q")
    return alt.layer(bars, rules).properties(width=alt.Step(22), height=260)


def per_label(rep: dict[str, Any]):
    rows = []
    for fam in rep["families"]:
        for it in fam["iterations"]:
            for b in it["buckets"]["label"]:
                lo, hi = b["ci95"] or (None, None)
                if b["f1"] is not None:
                    rows.append({"label": b["bucket"], "iteration": _it_name(rep, fam, it), "f1": b["f1"], "low": lo,
                                 "high": hi, "support": b["support"]})
    if not rows:
        return None
    return _bars_with_ci(rows, x="label", x_title=None, group="iteration", y_title="F1 (mean over runs, 95% CI)")


def _step_name(rep: dict[str, Any], fam: dict[str, Any], s: dict[str, Any]) -> str:
    name = f"round {s['round_b']} vs {s['round_a']} ({s['against']})"
    return f"{fam['title']} · {name}" if _multi(rep) else name


def _interval_chart(rows: list[dict[str, Any]], *, title: str):
    """Each difference (points) as a dot with its 95% interval, coloured by verdict, against a zero line."""
    alt = _alt()
    values = [0.0] + [float(r[k]) for r in rows for k in ("delta", "low", "high") if r[k] is not None]
    lo, hi = min(values), max(values)
    pad = max(1.0, 0.05 * (hi - lo))
    x = alt.X("low:Q", title=title, scale=alt.Scale(domain=[lo - pad, hi + pad], nice=True),
              axis=alt.Axis(format=".3~r"))
    y = alt.Y("name:N", title=None, sort=None, axis=alt.Axis(labelLimit=260))
    base = alt.Chart(_data(rows))
    bars = base.mark_rule(strokeWidth=3).encode(x=x, x2="high:Q", y=y, color=_verdict_color())
    dots = base.mark_point(filled=True, size=90).encode(
        x="delta:Q", y=y, color=_verdict_color(),
        tooltip=["name:N", "verdict:N", alt.Tooltip("delta:Q", format="+.2f"), alt.Tooltip("low:Q", format="+.2f"),
                 alt.Tooltip("high:Q", format="+.2f")])
    zero = alt.Chart(_data([{"x": 0.0}])).mark_rule(strokeDash=[4, 4], color="black").encode(x="x:Q")
    return alt.layer(bars, dots, zero).properties(width=440, height=alt.Step(30))


def _pt(x: float | None) -> float | None:
    return None if x is None else 100 * x


def deltas(rep: dict[str, Any]):
    rows = []
    for fam in rep["families"]:
        for s in fam["steps"]:
            lo, hi = s.get("ci95") or (None, None)
            if s.get("delta") is None or lo is None:
                continue
            rows.append({"name": _step_name(rep, fam, s), "delta": _pt(s["delta"]), "low": _pt(lo), "high": _pt(hi),
                         "verdict": s["verdict"]})
    return _interval_chart(rows, title="B − A (F1 points), 95% CI") if rows else None


def bucket_change(rep: dict[str, Any], attribute: str):
    fam = primary_family(rep)
    steps = [s for s in (fam or {}).get("steps", []) if s["against"] == "previous"]
    if not steps:
        return None
    s = steps[-1]
    rows = []
    for b in s["buckets"].get(attribute, []):
        lo, hi = b.get("ci95") or (None, None)
        if b.get("delta") is None or lo is None:
            continue
        rows.append({"name": f"{b['bucket']} ({b['support']})", "delta": _pt(b["delta"]), "low": _pt(lo),
                     "high": _pt(hi), "verdict": b["verdict"]})
    if not rows:
        return None
    return _interval_chart(rows, title=f"round {s['round_b']} − round {s['round_a']} (F1 points), 95% CI")


def ab_win_rates(rep: dict[str, Any]):
    alt = _alt()
    rows = []
    for sess in rep.get("ab") or []:
        for p in sess["pairs"]:
            lo, hi = p["ci95"]
            if p["win_rate"] is None:
                continue
            rows.append({"pair": f"#{sess['session_id']} {p['a']} vs {p['b']}", "win_rate": p["win_rate"],
                         "low": lo, "high": hi, "judgments": p["judgments"],
                         "decided": "decided" if p["decided"] else "undecided"})
    if not rows:
        return None
    y = alt.Y("pair:N", title=None, sort=None, axis=alt.Axis(labelLimit=320))
    x = alt.X("low:Q", title="win rate of the first model (ties count half), 95% Wilson CI",
              scale=alt.Scale(domain=[0, 1]))
    color = alt.Color("decided:N", title=None, scale=alt.Scale(domain=["decided", "undecided"],
                                                               range=["#1565c0", "#9e9e9e"]),
                      legend=alt.Legend(orient="bottom"))
    base = alt.Chart(_data(rows))
    bars = base.mark_rule(strokeWidth=3).encode(x=x, x2="high:Q", y=y, color=color)
    dots = base.mark_point(filled=True, size=90).encode(
        x="win_rate:Q", y=y, color=color, tooltip=["pair:N", alt.Tooltip("win_rate:Q", format=".2f"), "judgments:Q"])
    half = alt.Chart(_data([{"x": 0.5}])).mark_rule(strokeDash=[4, 4], color="black").encode(x="x:Q")
    return alt.layer(bars, dots, half).properties(width=440, height=alt.Step(30))


def ab_ranking(rep: dict[str, Any]):
    alt = _alt()
    rows = []
    for sess in rep.get("ab") or []:
        for r in ((sess.get("ranking") or {}).get("systems") or []):
            lo, hi = r["ci95"]
            rows.append({"system": f"#{sess['session_id']} rank {r['rank']}: {r['system']}", "score": r["score"],
                         "low": lo, "high": hi})
    if not rows:
        return None
    y = alt.Y("system:N", title=None, sort=None, axis=alt.Axis(labelLimit=320))
    base = alt.Chart(_data(rows))
    bars = base.mark_rule(strokeWidth=3).encode(
        x=alt.X("low:Q", title="Bradley-Terry strength (log scale units), 95% bootstrap CI"), x2="high:Q", y=y)
    dots = base.mark_point(filled=True, size=90).encode(x="score:Q", y=y,
                                                        tooltip=["system:N", alt.Tooltip("score:Q", format=".2f")])
    return alt.layer(bars, dots).properties(width=440, height=alt.Step(30))


def confusion(rep: dict[str, Any]):
    alt = _alt()
    cm = rep.get("confusion")
    if not cm:
        return None
    rows = [{"gold": g, "predicted": p, "texts": int(cm["matrix"][i][j])}
            for i, g in enumerate(cm["labels"]) for j, p in enumerate(cm["labels"])]
    base = alt.Chart(_data(rows)).encode(x=alt.X("predicted:N", sort=cm["labels"], axis=alt.Axis(labelAngle=0)),
                                         y=alt.Y("gold:N", sort=cm["labels"]))
    heat = base.mark_rect().encode(color=alt.Color("texts:Q", scale=alt.Scale(scheme="blues"), title="texts"),
                                   tooltip=["gold:N", "predicted:N", "texts:Q"])
    text = base.mark_text().encode(text="texts:Q")
    return alt.layer(heat, text).properties(width=alt.Step(60), height=alt.Step(40))


def report_charts(rep: dict[str, Any]) -> list[dict[str, Any]]:
    """Every chart the report has data for, in reading order: ``{"key", "title", "caption", "chart"}``."""
    fam = primary_family(rep)
    last = [s for s in (fam or {}).get("steps", []) if s["against"] == "previous"]
    step_words = f"round {last[-1]['round_b']} against round {last[-1]['round_a']}" if last else ""
    specs = [
        ("learning_curve", "Learning curve across rounds", "Mean F1 over runs with its 95% interval (two-level "
         "bootstrap over runs and gold documents) against the training examples; grey dots are single runs.",
         learning_curve(rep)),
        ("deltas", "F1 difference per iteration", "B − A with its 95% interval; coloured by the verdict after Holm "
         "correction across every comparison in the report.", deltas(rep)),
        ("per_label", "Per-label F1 by iteration", "Mean over runs; the black rule is the 95% interval.",
         per_label(rep)),
    ]
    for attr, words in ATTRIBUTES.items():
        specs.append((f"buckets_{attr}", f"Where it changed: {words}",
                      f"{fam['title'] if fam else ''}, {step_words}; bucket (gold entities or texts in it), B − A "
                      "with its 95% interval, Holm across the buckets.", bucket_change(rep, attr)))
    specs += [
        ("ab_win_rates", "A/B win rates", "Per pair of a blind A/B session (#id): the first model's win rate (ties count "
         "half) with its 95% Wilson interval; decided = the always-valid sequential test stopped.", ab_win_rates(rep)),
        ("ab_ranking", "A/B ranking", "Sessions of three or more models: Bradley-Terry strengths with 95% bootstrap "
         "intervals, best first.", ab_ranking(rep)),
        ("confusion", "Confusion matrix", "Rows: gold class; columns: predicted class "
         f"({(rep.get('confusion') or {}).get('model', '')}).", confusion(rep)),
    ]
    return [{"key": k, "title": t, "caption": c, "chart": ch} for k, t, c, ch in specs if ch is not None]


def to_svg(chart) -> str:
    """The chart as an SVG document (vl-convert, in process; no network)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_dict())


def to_png(chart, *, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes (vl-convert)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart.to_dict(), scale=scale)


__all__ = ["VERDICT_COLORS", "ab_ranking", "ab_win_rates", "bucket_change", "confusion", "deltas", "learning_curve",
           "per_label", "primary_family", "report_charts", "to_png", "to_svg"]
