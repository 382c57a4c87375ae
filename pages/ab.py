"""A/B: blind side-by-side judgments of two or more models' outputs, live statistics that say when to stop, and
the results (revealed names, tallies, win rates, position bias, ranking, agreement, the judged items).

Blinding: the judging view shows only what ``evaluator.ab.next_item`` returns (no model names, ids, paths or
hashes) and the systems' random letters; its widget keys are fixed words. Model names appear in the "New
session" form and, after revealing (or for the session's owner), in the results view; only one view is drawn.
"""
import json

import pandas as pd
import streamlit as st

import ui
from evaluator.ab import judge, next_item, start_session, undo
from ui import ab as abui
from ui import cache, render
from ui.errors import error_markdown

st.title("🆚 A/B")
st.caption("Two models' outputs on the same text, names hidden and sides shuffled. Click the better one; a "
           "sequential test that stays valid when you look after every judgment says when the answer is in.")
ws = ui.require_workspace()
who = ui.annotator()

for key in (abui.VIEW, abui.SESSION):  # set by the previous run (a widget's value cannot change after it is drawn)
    if f"{key}.next" in st.session_state:
        st.session_state[key] = st.session_state.pop(f"{key}.next")

sessions = ui.call(abui.sessions, ws) or []
st.session_state.setdefault(abui.VIEW, abui.VIEWS[0] if sessions else abui.VIEWS[2])
c1, c2 = st.columns([2, 3])
view = c1.radio("View", abui.VIEWS, key=abui.VIEW, horizontal=True, label_visibility="collapsed")
sid = None
if sessions and view != "New session":
    ids = [s["session_id"] for s in sessions]
    if st.session_state.get(abui.SESSION) not in ids:
        st.session_state[abui.SESSION] = ids[0]
    labels = {s["session_id"]: abui.session_label(s) for s in sessions}
    sid = c2.selectbox("Session", ids, key=abui.SESSION, format_func=labels.get, label_visibility="collapsed")
elif view != "New session":
    st.info("No A/B session yet: start one under **New session**.")
    st.stop()


# ------------------------------------------------------------------------------------------------ new session

def new_session() -> None:
    models = ui.call(cache.models, ws) or []
    status = ui.call(cache.workspace_status, ws)
    if status is None:
        return
    if len(models) < 2:
        st.info("An A/B session needs two models: train them on the **Train** page (or register prediction files "
                "with `evaluator model add`).")
        return
    names = [m["name"] for m in models]
    sources = [f"gold:{g['name']}@{g['version']}" for g in status["gold_sets"]]
    sources += (["pool"] if status.get("pool") else []) + [f"round:{r['round']}" for r in status["rounds"]]
    with st.form("ab.new"):
        chosen = st.multiselect("Models to compare (two or more)", names, default=names[-2:], key="ab.new.models",
                                help="With three or more, a Bradley-Terry ranking is fitted and each item shows "
                                     "the pair whose order is least certain.")
        a, b, c = st.columns(3)
        source = a.selectbox("Items from", sources, key="ab.new.source",
                             help="The pool is where A/B matters most: texts without gold that no metric scores.")
        cap = b.number_input("At most this many items (0 = all)", min_value=0, value=100, step=10, key="ab.new.cap",
                             help="Items whose outputs are identical are skipped and do not count.")
        seed = c.number_input("Seed", min_value=0, value=0, step=1, key="ab.new.seed",
                              help="Seeds the item order, the sides and which items are shared.")
        d, e, f = st.columns(3)
        overlap = d.slider("Share judged by several annotators", 0.0, 1.0, 0.2, 0.05, key="ab.new.overlap",
                           help="Shared items measure agreement between annotators.")
        judges = e.number_input("Annotators per shared item", min_value=2, value=2, key="ab.new.judges")
        alpha = f.select_slider("Error rate of the stopping rule", [0.01, 0.05, 0.1], value=0.05, key="ab.new.alpha")
        go = st.form_submit_button("Start the session", type="primary")
    if not go:
        return
    bar = st.progress(0.0, text="drawing items")
    res = ui.call(start_session, ws, chosen, source=source, max_items=int(cap) or None, seed=int(seed),
                  overlap=float(overlap), judges=int(judges), alpha=float(alpha), owner=who or "owner",
                  progress=lambda d_, t, msg="": bar.progress(min(1.0, d_ / t) if t else 1.0, text=msg))
    bar.empty()
    if res is None:
        return
    abui.clear()
    st.session_state[f"{abui.SESSION}.next"] = res["session_id"]
    st.session_state[f"{abui.VIEW}.next"] = "Judge"
    st.rerun()


# ------------------------------------------------------------------------------------------------ judge

def _judge(session_id: int, item_id: str, choice: str) -> None:
    try:
        judge(ws, session_id, item_id, who, choice, comment=st.session_state.get(abui.COMMENT))
        st.session_state[abui.COMMENT] = ""
    except Exception as err:  # shown by the fragment's next run, never as a traceback
        st.session_state[abui.ERROR] = error_markdown(err)


def _undo(session_id: int) -> None:
    try:
        undo(ws, session_id, who)
    except Exception as err:
        st.session_state[abui.ERROR] = error_markdown(err)


@st.fragment
def judging(session_id: int) -> None:
    """One item: the text twice with each side's output, four buttons; a click stores the answer and reruns only
    this fragment, which serves the next item."""
    if abui.ERROR in st.session_state:
        st.error(st.session_state.pop(abui.ERROR))
    item = ui.call(next_item, ws, session_id, who, prefetch=True)
    if item is None:
        return
    live = ui.call(abui.results, ws, session_id, resamples=abui.LIVE_RESAMPLES)
    if item["done"]:
        st.success(f"Nothing left for you in this session ({item['progress']['judged_by_you']} judged). See "
                   "**Results**.")
    else:
        cap = item["progress"]["cap"]
        done = item["progress"]["judged_by_you"]
        if cap:
            total = live["items"]["judged"] if live else done
            st.progress(min(1.0, total / cap), text=f"{total} of at most {cap} items judged · {done} by you")
        else:
            st.caption(f"{done} judged by you")
        labels = ws.labels
        left, right = st.columns(2)
        with left:
            st.markdown("**Left**")
            st.html(abui.output_html(item["text"], item["left"], labels))
        with right:
            st.markdown("**Right**")
            st.html(abui.output_html(item["text"], item["right"], labels))
        cols = st.columns(4)
        for col, (choice, label) in zip(cols, abui.BUTTONS.items()):
            col.button(label, key=f"ab.{choice}", on_click=_judge, args=(session_id, item["item_id"], choice),
                       width="stretch", type="primary" if choice in ("left", "right") else "secondary")
        c, u = st.columns([5, 1])
        c.text_input("Comment (optional, stored with your next answer)", key=abui.COMMENT)
        u.button("↩️ Undo last", key="ab.undo", on_click=_undo, args=(session_id,), width="stretch")
    if live and live["judgments"]:
        (st.success if live["stop"] else st.info)(render.escape_md(live["verdict"]))
        mine = [r for r in live["position_bias"].get("per_annotator", []) if r["annotator"] == who]
        if mine and mine[0]["flagged"]:
            st.warning(f"You chose the left side in {mine[0]['share_left']:.0%} of your decisive judgments: look "
                       "at both sides before you click.")


# ------------------------------------------------------------------------------------------------ results

def results_view(session_id: int) -> None:
    owner = next(s["owner"] for s in sessions if s["session_id"] == session_id)
    is_owner = bool(who) and who == owner
    reveal = is_owner or st.toggle("Reveal model names", key=abui.REVEAL,
                                   help="Shows which model is which. Your later judgments in this session are "
                                        "then no longer blind.")
    if is_owner:
        st.caption("You started this session, so you see the model names.")
    res = ui.call(abui.results, ws, session_id, reveal=reveal, items=True)
    if res is None:
        return
    (st.success if res["stop"] else st.info)(render.escape_md(res["verdict"]))
    it = res["items"]
    m = st.columns(5)
    m[0].metric("judgments", res["judgments"])
    m[1].metric("items judged", it["judged"])
    m[2].metric("skipped: identical outputs", it["skipped_identical"])
    m[3].metric("annotators", len(res["annotators"]))
    ag = res["agreement"]
    raw = "–" if ag["raw"] is None else f"{ag['raw']:.0%}"
    m[4].metric({"cohen_kappa": "agreement (κ)", "krippendorff_alpha": "agreement (α)"}.get(ag["method"], "agreement"),
                "–" if ag["value"] is None else f"{ag['value']:.2f}",
                help=f"{'Cohen' if ag['method'] == 'cohen_kappa' else 'Krippendorff'}'s "
                     f"{'kappa' if ag['method'] == 'cohen_kappa' else 'alpha'} on {ag['items']} item(s) judged by "
                     "several annotators, coded by the winning system (not the screen side); raw "
                     f"agreement {raw}.")
    st.subheader("Pairs")
    st.dataframe(pd.DataFrame(abui.pair_rows(res)), hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.3g")
                                for c in ("A win rate", "sign test p", "always-valid p")})
    chart = abui.win_rate_chart(res)
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    st.caption(f"Win rate counts ties and 'both wrong' as half; Wilson 95% interval. 'decided' is the always-valid "
               f"sequential test at α = {res['settings']['pair_alpha']:.3g} per pair (α = {res['settings']['alpha']}"
               + (" split over the pairs" if len(res["systems"]) > 2 else "") + "); the sign test p is for a "
               "sample size fixed in advance. Settings: seed " f"{res['settings']['seed']}, overlap "
               f"{res['settings']['overlap']}, source {res['source']}.")
    if res["ranking"]:
        st.subheader("Ranking")
        chart = abui.ranking_chart(res)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
        rk = res["ranking"]
        st.dataframe(pd.DataFrame([{"rank": s["rank"], "system": s["system"], "strength": s["score"],
                                    "95% CI": "–" if s["ci95"][0] is None else
                                    f"{s['ci95'][0]:+.2f} – {s['ci95'][1]:+.2f}",
                                    "rank 95% CI": "–" if s["rank_ci95"][0] is None else
                                    f"{s['rank_ci95'][0]} – {s['rank_ci95'][1]}"} for s in rk["systems"]]),
                     hide_index=True, width="stretch")
        st.caption(f"Bradley-Terry fit (choix), {rk['resamples']:,} bootstrap resamples of the judgments, seed "
                   f"{rk['seed']}. Next items show the pair the ranking is least sure about, now "
                   f"{' vs '.join(rk['next_pair'])}.")
    st.subheader("Position bias")
    for r in res["position_bias"].get("per_annotator", []):
        if r["flagged"]:
            st.warning(f"**{render.escape_md(str(r['annotator']))}** chose the left side in {r['share_left']:.0%} of "
                       f"{r['decisive']} decisive judgments (Holm-adjusted p = {r['p_holm']:.3g}): position bias.")
    chart = abui.position_chart(res)
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    st.caption("Share of decisive judgments for the left side (dashed: one half), overall and per annotator "
               "(Holm-adjusted over annotators). Below: how often each system was shown on the left (seeded coin "
               "per item).")
    st.dataframe(pd.DataFrame(res["placement"]), hide_index=True, width="stretch",
                 column_config={"share_left": st.column_config.NumberColumn("shown on the left", format="%.2f")})
    if res["gold_check"]:
        g = res["gold_check"]
        st.subheader("Judges vs gold")
        st.metric("preferred output is the one closer to gold", "–" if g["share"] is None else f"{g['share']:.0%}",
                  help=f"Per-document F1 against {res['source']}; {g['compared']} decisive judgments compared, "
                       f"{g['same_f1']} with equal F1 left out.")
    st.subheader("Judged items")
    rows = abui.judged_rows(res)
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.download_button("Download the results (JSON)", json.dumps(res, indent=2, default=str),
                       file_name=f"ab-session-{session_id}.json", mime="application/json", key="ab.download")


if view == "New session":
    new_session()
elif not who:
    st.info("Type your name as **Annotator** in the sidebar: judgments are stored per annotator, and a session "
            "resumes where you stopped.")
    if view == "Results" and sid is not None:
        results_view(sid)
elif view == "Judge":
    judging(sid)
else:
    results_view(sid)
