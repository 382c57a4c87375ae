"""Label: pool texts into a training round (in order, at random or least confident first, optionally pre-filled
by a model, with auto-accept) or into a gold set (a seeded random sample, blind, never model-chosen); round
progress with a hand-over to Train; inter-annotator agreement and a review that settles disagreements."""
import pandas as pd
import streamlit as st

import ui
from evaluator import active, labeling
from evaluator.models import candidate_key
from evaluator.records import Record
from ui import cache, progress, render
from ui import label as lab

st.title("✍️ Label")
st.caption("Label pool texts into a training round (in order, at random, or where a model is least sure, "
           "optionally pre-filled with its predictions) or into a gold set (a seeded random sample, never chosen "
           "or pre-filled by a model). Every answer is saved at once with your name.")
ws = ui.require_workspace()
status = ui.call(cache.workspace_status, ws)
if status is None:
    st.stop()
labels = ws.labels
if not labels:
    st.info("The workspace has no labels yet: import labeled data on the **Data** page, or create the workspace "
            "with its labels (`evaluator init --labels A,B`).")
    st.stop()
annotator = ui.annotator()
models = [m["name"] for m in ui.call(cache.models, ws) or []]

# ------------------------------------------------------------------------------------------------ where and how
#: the settings keep their values while hidden and across pages; a change shows the new order's next example
KEPT = {"persist_state": "session", "on_change": lab.settings_changed}
c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
mode = c1.segmented_control("Label into", ["round", "gold"], key=lab.MODE, default="round", required=True,
                            format_func={"round": "🏋️ round", "gold": "🥇 gold set"}.get, **KEPT)
strategy, method, model, committee, suggest, seed = "random", active.METHODS[0], None, (), False, 0
if mode == "round":
    rounds = [r["round"] for r in status["rounds"]]
    new = max(rounds, default=0) + 1
    rnd = c2.selectbox("Round", rounds + [new], index=max(len(rounds) - 1, 0), key=lab.ROUND,
                       format_func=lambda r: f"round {r}" if r in rounds else f"➕ new round {r}", **KEPT)
    target = f"round:{rnd}"
    o1, o2, o3, o4 = st.columns(4)
    strategy = o1.selectbox("Order", active.STRATEGIES, key=lab.STRATEGY, **KEPT,
                            format_func={"in-order": "as imported", "random": "random (seeded)",
                                         "uncertainty": "least confident first"}.get)
    model = o2.selectbox("Model", [None] + models, key=lab.MODEL, **KEPT,
                         format_func=lambda m: m or "(none)",
                         help="Ranks the items (least confident first) and, in correct mode, pre-fills its "
                              "predictions for you to correct.")
    method = o3.selectbox("Uncertainty measure", active.METHODS, key=lab.METHOD, **KEPT,
                          disabled=strategy != "uncertainty")
    seed = int(o4.number_input("Seed", min_value=0, value=0, step=1, key=lab.SEED, **KEPT,
                               disabled=strategy != "random"))
    suggest = st.toggle("Correct mode: pre-fill the model's predictions", key=lab.SUGGEST, disabled=not model,
                        **KEPT) and bool(model)
    if strategy == "uncertainty" and not model:
        st.info("Pick the model whose uncertainty should choose the next examples.")
        st.stop()
    if strategy == "uncertainty" and lab.confidence_source(ws, model) is None:
        trained = {m["name"]: m for m in ui.call(cache.models, ws) or []}
        crf = [n for n, m in trained.items() if m["trainer"] == "crf-ner"]
        key = candidate_key(trained[model])  # None for a model trained elsewhere
        same = [n for n, m in trained.items() if key and candidate_key(m) == key]  # its seed runs
        st.warning(f"`{model}` gives no confidence: spaCy's NER predicts greedily, without probabilities. Rank by "
                   + (f"a CRF model's token marginals (choose {' or '.join(f'`{n}`' for n in crf)} as the model), "
                      if crf else
                      "a CRF model's token marginals (train a `crf-ner` model on the **Train** page), ")
                   + "or by the disagreement of two or more models below (e.g. seed runs of this one"
                   + ("" if len(same) > 1 or not key else f": `evaluator train --round {trained[model]['round']} "
                      "--seeds 3` trains them") + ").")
        committee = tuple(st.multiselect("Committee: rank by the disagreement of these models", models,
                                         default=same if len(same) > 1 else [], key=lab.COMMITTEE, **KEPT))
        if len(committee) < 2:
            st.stop()
else:
    latest = {}
    for g in status["gold_sets"]:
        if g["version"] >= latest.get(g["name"], {"version": 0})["version"]:
            latest[g["name"]] = g
    NEW = "➕ new gold set"
    choice = c2.selectbox("Gold set", sorted(latest) + [NEW], key=lab.GOLD, **KEPT,
                          format_func=lambda n: n if n == NEW else f"{n} v{latest[n]['version']}"
                          + (" (frozen)" if latest[n]["frozen"] else ""))
    name = choice
    if choice == NEW:
        name = c3.text_input("Name of the new gold set", key=lab.NEW_GOLD, placeholder="e.g. test", **KEPT).strip()
        if not name:
            st.stop()
    elif latest[choice]["frozen"]:
        st.warning(f"gold:{choice} v{latest[choice]['version']} is frozen. Make a new version on the **Gold sets** "
                   "page to add examples, or start a new gold set.")
        st.stop()
    target = f"gold:{name}"
    seed = int(c4.number_input("Seed", min_value=0, value=0, step=1, key=lab.SEED, **KEPT,
                               help="The seed of the random draw (stored with the order, so another annotator "
                                    "with the same seed sees the same sequence)."))
    st.info("A gold set is a seeded **random** sample of the pool: no model chooses, orders or pre-fills it, and "
            "nobody sees another annotator's answers, so it measures every model fairly.")
overlap = st.checkbox("Also label examples others have answered here (for inter-annotator agreement)",
                      key=lab.OVERLAP, **KEPT)

view = st.segmented_control("View", ["label", "progress", "agreement"], key=lab.VIEW, persist_state="session",
                            default="label", required=True, label_visibility="collapsed",
                            format_func={"label": "✍️ Label", "progress": "📈 Progress",
                                         "agreement": "🤝 Agreement and review"}.get)

# ------------------------------------------------------------------------------------------------ label
if view == "label":
    rec = ui.call(labeling.recipe, ws, target=target, annotator=annotator, strategy=strategy, method=method,
                  model=model, committee=committee, seed=seed, overlap=overlap, suggest=suggest)
    if rec is None:
        st.stop()
    if not annotator:
        st.warning("Type your name in the sidebar (**Annotator**) first: every answer is saved with it, and "
                   "nothing is saved without it.")
    lab.show_flash()
    bars: list = []  # a bar only when the pool has to be scored first

    def scoring(done, total, message) -> None:
        if not bars:
            bars.append(progress.progress_bar())
        bars[0](done, total, message)

    item = ui.call(lab.current_item, rec, progress=scoring)
    for bar in bars:
        bar.clear()
    if item is None:
        st.success(f"Nothing left to label into {target} in this order.")
        if st.button("↩ Undo my last answer", key="label.undo_end"):
            lab.undo(rec, None)
            st.rerun()
        st.stop()
    where = "already in " + target if item.where == "target" else "from the pool"
    conf = "" if item.confidence is None else f" · model confidence {item.confidence:.3f}"
    st.caption(f"Example #{item.example_id} · {where}{conf} · {rec.remaining()} left in this order")
    colors = render.label_colors(labels)
    keys = {lab_: str(k + 1) for k, lab_ in enumerate(labels[:9])}
    if ws.task == "ner":
        current = lab.spans(item)
        with st.container(border=True):
            st.markdown(render.spans_markdown(Record(item.text, spans=current), colors) or " ")
        shown = lab.token_markdown(item, current, colors)
        st.pills("Click the first and the last token of an entity (or every token), then its label:", list(shown),
                 selection_mode="multi", format_func=shown.get, key=lab.tokens_key(item.example_id),
                 on_change="ignore")
        with st.container(horizontal=True):
            for lab_ in labels:
                st.button(f"{lab_}", key=f"label.add.{lab_}", shortcut=keys.get(lab_), on_click=lab.add_span,
                          args=(item, lab_), help=f"Mark the selected tokens as {lab_}")
        if current:
            st.pills("Spans (click one to remove it):", list(range(len(current))), key=lab.remove_key(item.example_id),
                     format_func=lambda k: f"{render.escape_md(item.text[current[k].start:current[k].end])} · "
                                           f"{render.escape_md(current[k].label)} ✕",
                     on_change=lab.remove_span, args=(item,))
        with st.container(horizontal=True):
            st.button("✅ Accept", key="label.accept", type="primary", shortcut="A", on_click=lab.answer,
                      args=(rec, item, "accept"), disabled=not annotator)
            st.button("❌ Reject", key="label.reject", shortcut="X", on_click=lab.answer, args=(rec, item, "reject"),
                      disabled=not annotator)
            st.button("⏭ Ignore", key="label.ignore", shortcut="I", on_click=lab.answer, args=(rec, item, "ignore"),
                      disabled=not annotator)
            st.button("↩ Undo span" if lab.can_undo_span(item) else "↩ Undo answer", key="label.undo",
                      shortcut="Backspace", on_click=lab.undo, args=(rec, item),
                      disabled=not annotator and not lab.can_undo_span(item))
        st.caption("Keys (when no text field has the focus): 1-9 a label · A accept · X reject · I ignore · "
                   "Backspace undo. Accept saves the spans shown (none = no entity in this text).")
    else:
        with st.container(border=True):
            st.markdown(render.escape_md(item.text))
        if item.suggestion:
            st.caption(f"The model suggests **{render.escape_md(item.suggestion)}**"
                       + (f" (probability {item.scores[item.suggestion]:.2f})" if item.scores else "") + ".")
        with st.container(horizontal=True):
            for lab_ in labels:
                st.button(f"{lab_}", key=f"label.cat.{lab_}", shortcut=keys.get(lab_),
                          type="primary" if lab_ == item.suggestion else "secondary", on_click=lab.answer,
                          args=(rec, item, "accept", lab_), disabled=not annotator,
                          help=f"Accept this text as {lab_}")
        with st.container(horizontal=True):
            st.button("❌ Reject", key="label.reject", shortcut="X", on_click=lab.answer, disabled=not annotator,
                      args=(rec, item, "reject", item.suggestion if isinstance(item.suggestion, str) else None),
                      help="The text does not fit (in correct mode: the suggested category is wrong)")
            st.button("⏭ Ignore", key="label.ignore", shortcut="I", on_click=lab.answer, args=(rec, item, "ignore"),
                      disabled=not annotator)
            st.button("↩ Undo answer", key="label.undo", shortcut="Backspace", on_click=lab.undo, args=(rec, item),
                      disabled=not annotator)
        st.caption("Keys (when no text field has the focus): 1-9 a category · X reject · I ignore · "
                   "Backspace undo.")

# ------------------------------------------------------------------------------------------------ progress
elif view == "progress":
    prog = ui.call(lab.progress, ws, target)
    if prog is None:
        st.stop()
    a = prog["answers"]
    m = st.columns(5)
    m[0].metric("Examples", prog["examples"])
    m[1].metric("Accepted by people", a["accept"] - prog["auto_accepted"])
    m[2].metric("Auto-accepted", prog["auto_accepted"])
    m[3].metric("Rejected / ignored", f"{a['reject']} / {a['ignore']}")
    m[4].metric("Answers per hour", "–" if prog["per_hour"] is None else f"{prog['per_hour']:.0f}",
                help=f"Answers given in the app per hour of labeling time (pauses over "
                     f"{labeling.BREAK_SECONDS // 60} minutes count as breaks).")
    orders = "; ".join(render.order_text(o) for o in prog["orders"])
    st.caption(f"{prog['pool_left']} pool example(s) left to label into {target}."
               + (f" Items were chosen by: {orders}." if orders else ""))
    left, right = st.columns(2)
    left.markdown("**Per label** (" + ("spans" if ws.task == "ner" else "texts") + ")")
    left.dataframe(pd.DataFrame(render.label_progress_rows(prog) or [{"label": "–", "accepted": 0,
                                                                      "auto-accepted": 0}]),
                   hide_index=True, width="stretch")
    right.markdown("**Per annotator**")
    right.dataframe(pd.DataFrame(render.annotator_rows(prog["per_annotator"]) or [{"annotator": "–"}]),
                    hide_index=True, width="stretch")
    if mode == "round":
        settings = prog["settings"]
        with st.expander("⚡ Auto-accept confident predictions (this round)"):
            st.caption("Predictions whose confidence is at or above the threshold are accepted without review, "
                       "stored as auto-accepted (annotator model:NAME), counted apart, and never enter a gold set.")
            ok = [n for n in models if lab.confidence_source(ws, n)]
            if not ok:
                st.write("No model with a confidence yet (a text classifier or a `crf-ner` model).")
            else:
                s1, s2, s3 = st.columns(3)
                auto_model = s1.selectbox("Model", ok, key="label.auto_model",
                                          index=ok.index(settings["auto_model"]) if settings["auto_model"] in ok else 0)
                threshold = s2.number_input("Threshold", min_value=0.5, max_value=1.0, step=0.01,
                                            value=float(settings["auto_accept"] or 0.9), key="label.auto_threshold")
                auto_method = s3.selectbox("Measure", active.METHODS, key="label.auto_method")
                if st.button("⚡ Auto-accept now", key="label.auto_run"):
                    res = ui.call(labeling.auto_accept, ws, round=rnd, model=auto_model, threshold=threshold,
                                  method=auto_method, progress=progress.progress_bar("scoring the pool"))
                    if res:
                        lab.flash("success", f"Auto-accepted {res['accepted']} of {res['pool']} pool examples "
                                             f"({res['method']} ≥ {res['threshold']}).")
                        cache.clear()
                        lab.clear()
                        st.rerun()
            train_auto = st.toggle("Train on the auto-accepted answers of this round", key="label.train_on_auto",
                                   value=bool(settings["train_on_auto"]))
            if train_auto != bool(settings["train_on_auto"]):
                from evaluator.store import set_round_settings
                if ui.call(set_round_settings, ws, rnd, train_on_auto=train_auto) is not None:
                    lab.clear()
                    st.rerun()
        lab.show_flash()
        accepted = a["accept"]
        if st.button(f"🏋️ Train this round (rounds 1..{rnd})", type="primary", key="label.train",
                     disabled=not accepted, help="Opens the Train page with this round chosen."):
            st.session_state["train.round"] = rnd
            st.switch_page("pages/train.py")
        if not accepted:
            st.caption("Accept some answers in this round to train on it.")

# ------------------------------------------------------------------------------------------------ agreement
else:
    res = ui.call(lab.agreement, ws, target)
    if res is None:
        st.stop()
    lab.show_flash()
    measure = "kappa" if ws.task == "textcat" else "f1"
    m = st.columns(4)
    m[0].metric("Examples answered by 2+ people", res["items"])
    m[1].metric("Cohen's kappa (mean over pairs)" if measure == "kappa" else "Span F1 between annotators",
                "–" if res[measure] is None else f"{res[measure]:.3f}")
    m[2].metric("Disagreements to settle", len(res["disagreements"]))
    m[3].metric("Settled by review", res["settled"])
    if measure == "kappa" and res.get("alpha") is not None:
        st.caption(f"Krippendorff's alpha over every annotator: {res['alpha']:.3f} (reject and ignore count as "
                   "categories of their own).")
    if not res["items"]:
        st.info("No example has answers from two people yet. Tick “Also label examples others have answered "
                "here” above so that a second annotator sees them.")
        st.stop()
    st.dataframe(pd.DataFrame(render.pair_rows(res["pairs"], ws.task)), hide_index=True, width="stretch",
                 column_config={"identical": st.column_config.NumberColumn(format="percent"),
                                "kappa": st.column_config.NumberColumn("Cohen's kappa", format="%.3f"),
                                "span F1": st.column_config.NumberColumn(format="%.3f")})
    if res["disagreements"] and st.toggle("Review: show everyone's answers", key=lab.REVIEWER,
                                          help="Only for the reviewer: annotators should not see each other's "
                                               "answers while they still label."):
        colors = render.label_colors(labels)
        for d in res["disagreements"][:20]:
            with st.container(border=True):
                st.caption(f"Example #{d['example_id']}")
                options = list(range(len(d["answers"])))

                def show(k: int, d=d) -> str:
                    x = d["answers"][k]
                    what = (render.spans_markdown(Record(d["text"], spans=x["spans"]), colors) if ws.task == "ner"
                            else f"**{render.escape_md(x['label'] or '–')}**")
                    return f"{render.escape_md(x['annotator'])}: {x['answer']} · {what}"

                if ws.task != "ner":
                    st.markdown(render.escape_md(d["text"]))
                pick = st.radio("Settle as", options, format_func=show, key=f"label.settle_pick.{d['example_id']}")
                if st.button("Settle", key=f"label.settle.{d['example_id']}", disabled=not annotator):
                    x = d["answers"][pick]
                    done = ui.call(labeling.settle, ws, d["example_id"], target=target, annotator=annotator,
                                   answer=x["answer"], spans=x["spans"] if ws.task == "ner" else None,
                                   label=x["label"])
                    if done:
                        lab.flash("success", f"Settled #{d['example_id']} as {x['annotator']}'s answer.")
                        lab.clear()
                        st.rerun()
        if not annotator:
            st.caption("Type your name in the sidebar to settle disagreements (the review is saved with it).")
