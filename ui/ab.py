"""The A/B page's cached reads, session-state keys and pure rendering helpers (HTML of an output, charts, rows).

Blinding: nothing here puts a model's identity into what the judging view shows. Widget keys are fixed words
(they become CSS classes ``st-key-...`` in the page), outputs are rendered from the blinded ``next_item`` dict,
and systems are named by their random letters until the results view reveals them.
"""
from __future__ import annotations

import html
from typing import Any

import streamlit as st

from evaluator.workspace import Workspace, open_workspace
from ui import cache
from ui.render import HEX, label_colors

#: session-state keys (UI selections only; the database holds sessions and judgments)
VIEW, SESSION, COMMENT, ERROR, REVEAL = "ab.view", "ab.session", "ab.comment", "ab.error", "ab.reveal"
VIEWS = ("Judge", "Results", "New session")
#: button label per choice, in screen order
BUTTONS = {"left": "⬅️ Left is better", "right": "Right is better ➡️", "tie": "🟰 Tie", "neither": "❌ Both wrong"}
#: Bradley-Terry resamples for the live statistics while judging (the results view uses the session's setting)
LIVE_RESAMPLES = 200


@st.cache_data(max_entries=64, ttl=600, show_spinner=False)
def _results(path: str, url: str, fp: tuple, session_id: int, reveal: bool, items: bool,
             resamples: int | None) -> dict:
    from evaluator.ab import results
    return results(open_workspace(path, db_url=url), session_id, reveal=reveal, items=items, resamples=resamples)


@st.cache_data(max_entries=16, ttl=600, show_spinner=False)
def _sessions(path: str, url: str, fp: tuple) -> list[dict]:
    from evaluator.ab import sessions
    return sessions(open_workspace(path, db_url=url))


def _direct_results(ws: Workspace, session_id: int, reveal: bool, items: bool, resamples: int | None) -> dict:
    from evaluator.ab import results as direct
    return direct(ws, session_id, reveal=reveal, items=items, resamples=resamples)


def _direct_sessions(ws: Workspace) -> list[dict]:
    from evaluator.ab import sessions as direct
    return direct(ws)


def results(ws: Workspace, session_id: int, *, reveal: bool = False, items: bool = False,
            resamples: int | None = None) -> dict:
    """``evaluator.ab.results``, cached until the workspace changes."""
    return cache.read(ws, cache.everything, _results, _direct_results, int(session_id), bool(reveal), bool(items),
                      resamples)


def sessions(ws: Workspace) -> list[dict]:
    """``evaluator.ab.sessions``, cached until the workspace changes."""
    return cache.read(ws, cache.everything, _sessions, _direct_sessions)


def clear() -> None:
    _results.clear()
    _sessions.clear()


# ------------------------------------------------------------------------------------------------ rendering

def session_label(s: dict) -> str:
    """How a session is named in the chooser: number, source, size, owner; never its models. No judgment count:
    the chooser is drawn outside the judging fragment, so a count there would lag behind (the progress line under
    it is current)."""
    cap = f", at most {s['cap']} items" if s.get("cap") else ""
    return f"Session {s['session_id']} · {s['source']} · {s['systems']} systems{cap} · by {s['owner']}"


def output_html(text: str, output: dict[str, Any], labels: list[str]) -> str:
    """One system's output as HTML: the text with its spans highlighted (escaped; one colour per label, the same
    on both sides), or the predicted category above the text."""
    colors = {lab: HEX[c] for lab, c in label_colors(labels).items()}
    box = ('<div style="font-size:1.05rem;line-height:2.1;padding:0.8rem 1rem;border:1px solid #d0d3da;'
           'border-radius:0.5rem;min-height:5rem">{}</div>')
    if "label" in output:
        lab = output["label"]
        badge = (f'<span style="background:{colors.get(lab, "#808495")};color:white;padding:0.15rem 0.6rem;'
                 f'border-radius:0.4rem;font-weight:600">{html.escape(str(lab))}</span>' if lab else "<em>none</em>")
        return box.format(f"<div>Category: {badge}</div><div>{html.escape(text)}</div>")
    parts, pos = [], 0
    for s in output.get("spans", []):
        if s["start"] < pos:
            continue
        c = colors.get(s["label"], "#808495")
        parts.append(html.escape(text[pos:s["start"]]))
        parts.append(f'<mark style="background:{c}33;border:1px solid {c};border-radius:0.3rem;padding:0.1rem '
                     f'0.25rem;box-decoration-break:clone;-webkit-box-decoration-break:clone">{html.escape(text[s["start"]:s["end"]])} <span style="font-size:0.7rem;'
                     f'font-weight:700;color:{c}">{html.escape(s["label"])}</span></mark>')
        pos = s["end"]
    parts.append(html.escape(text[pos:]))
    if not output.get("spans"):
        parts.append(' <span style="color:#808495;font-size:0.85rem">(no entities)</span>')
    return box.format("".join(parts))


def output_text(text: str, output: dict[str, Any]) -> str:
    """Plain text of an output for tables: spans inline as ``[text · LABEL]``, or the category."""
    if "label" in output:
        return str(output["label"])
    parts, pos = [], 0
    for s in output.get("spans", []):
        parts.append(text[pos:s["start"]] + f"[{text[s['start']:s['end']]} · {s['label']}]")
        pos = s["end"]
    return "".join(parts) + text[pos:]


def pair_rows(res: dict) -> list[dict]:
    rows = []
    for p in res["pairs"]:
        lo, hi = p["ci95"]
        rows.append({"A": p["a"], "B": p["b"], "A wins": p["wins"], "B wins": p["losses"], "ties": p["ties"],
                     "of which both wrong": p["neither"],
                     "A win rate": p["win_rate"], "95% CI": f"{lo:.2f} – {hi:.2f}" if lo is not None else "–",
                     "sign test p": p["p_sign"], "always-valid p": p["sequential"]["p_always_valid"],
                     "decided": "✅ " + p["preferred"] if p["decided"] else "not yet"})
    return rows


def win_rate_chart(res: dict):
    """Altair: each pair's win rate (ties as half) with its Wilson 95% interval and a rule at 0.5."""
    import altair as alt
    import pandas as pd

    df = pd.DataFrame([{"pair": f"{p['a']} vs {p['b']}", "win rate": p["win_rate"], "low": p["ci95"][0],
                        "high": p["ci95"][1], "judgments": p["judgments"]}
                       for p in res["pairs"] if p["win_rate"] is not None])
    if df.empty:
        return None
    y = alt.Y("pair:N", title=None, sort=None, axis=alt.Axis(labelLimit=420))
    x = alt.X("low:Q", title="win rate of the first system (ties count half), 95% interval",
              scale=alt.Scale(domain=[0, 1]))
    return alt.layer(
        alt.Chart(df).mark_rule(strokeWidth=3).encode(x=x, x2="high:Q", y=y),
        alt.Chart(df).mark_point(filled=True, size=90).encode(
            x="win rate:Q", y=y, tooltip=["pair", alt.Tooltip("win rate:Q", format=".2f"),
                                          alt.Tooltip("low:Q", format=".2f"), alt.Tooltip("high:Q", format=".2f"),
                                          "judgments"]),
        alt.Chart(pd.DataFrame({"x": [0.5]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q"),
    ).properties(height=alt.Step(36))


def position_rows(res: dict) -> list[dict]:
    pb = res["position_bias"]
    rows = [{"who": "everyone", **_side_row(pb)}]
    rows += [{"who": r["annotator"], **_side_row(r)} for r in pb.get("per_annotator", [])]
    return rows


def _side_row(r: dict) -> dict:
    return {"left": r["left"], "right": r["right"], "left share": r["share_left"], "low": r["ci95"][0],
            "high": r["ci95"][1], "p": r.get("p_holm", r["p"]), "flagged": "⚠️ position bias" if r["flagged"] else ""}


def position_chart(res: dict):
    """Altair: share of decisive judgments for the left side, overall and per annotator, with 95% intervals."""
    import altair as alt
    import pandas as pd

    df = pd.DataFrame([r for r in position_rows(res) if r["left share"] is not None])
    if df.empty:
        return None
    y = alt.Y("who:N", title=None, sort=None, axis=alt.Axis(labelLimit=300))
    return alt.layer(
        alt.Chart(df).mark_rule(strokeWidth=3).encode(
            x=alt.X("low:Q", title="left side chosen (share of decisive judgments), 95% interval",
                    scale=alt.Scale(domain=[0, 1])), x2="high:Q", y=y),
        alt.Chart(df).mark_point(filled=True, size=90).encode(
            x="left share:Q", y=y, color=alt.condition("datum.flagged != ''", alt.value("#ff2b2b"),
                                                       alt.value("#1c83e1")),
            tooltip=["who", "left", "right", alt.Tooltip("left share:Q", format=".2f"), alt.Tooltip("p:Q", format=".3g")]),
        alt.Chart(pd.DataFrame({"x": [0.5]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q"),
    ).properties(height=alt.Step(30))


def ranking_chart(res: dict):
    """Altair: Bradley-Terry strengths (log scale, mean 0) with bootstrap 95% intervals, best on top."""
    import altair as alt
    import pandas as pd

    rows = [{"system": s["system"], "rank": s["rank"], "strength": s["score"], "low": s["ci95"][0],
             "high": s["ci95"][1]} for s in (res.get("ranking") or {}).get("systems", []) if s["score"] is not None]
    if not rows:
        return None
    df = pd.DataFrame(rows)
    y = alt.Y("system:N", title=None, sort=[r["system"] for r in rows], axis=alt.Axis(labelLimit=300))
    return alt.layer(
        alt.Chart(df).mark_rule(strokeWidth=3).encode(
            x=alt.X("low:Q", title="Bradley-Terry strength (log odds, mean 0), 95% bootstrap interval"),
            x2="high:Q", y=y),
        alt.Chart(df).mark_point(filled=True, size=90).encode(
            x="strength:Q", y=y, tooltip=["rank", "system", alt.Tooltip("strength:Q", format="+.2f"),
                                          alt.Tooltip("low:Q", format="+.2f"), alt.Tooltip("high:Q", format="+.2f")]),
    ).properties(height=alt.Step(36))


def judged_rows(res: dict) -> list[dict]:
    rows = []
    for it in res.get("judged_items", []):
        answers = "; ".join(f"{a['annotator']}: {a['choice']} ({a['winner']})" for a in it["answers"])
        comments = "; ".join(f"{a['annotator']}: {a['comment']}" for a in it["answers"] if a["comment"])
        rows.append({"left system": it["left"]["system"],
                     "left output": output_text(it["text"], it["left"]), "right system": it["right"]["system"],
                     "right output": output_text(it["text"], it["right"]), "answers": answers, "comments": comments,
                     "left F1": it["left"]["f1"], "right F1": it["right"]["f1"]})
    return rows
