"""Evaluate: every model's scores on a gold-set version, per-label F1, a paired comparison of two models (the
difference with its 95% interval, p-values in words) and the example-level diff between them."""
import pandas as pd
import streamlit as st

import ui
from evaluator.models import candidate_key
from evaluator.scoring.compare import compare_to_previous, format_p, headline_p
from evaluator.scoring.evaluate import evaluate_models
from evaluator.scoring.iterations import compare_rounds
from evaluator.stats import DEFAULT_RESAMPLES, DEFAULT_SEED
from ui import cache, render
from ui.progress import running
from ui.report import workspace_with_gold

#: the kinds of change chosen in the example diff (kept across pairs of models)
DIFF_KINDS = "eval.diff_kinds"

st.title("📊 Evaluate")
st.caption("Every model scored on the same frozen, hash-checked gold set; a paired test says whether the newer "
           "one is really better. Scores are stored with their settings and reused.")
ws, status = workspace_with_gold()
models = ui.call(cache.models, ws) or []
if not models:
    st.info("No models yet: train one on the **Train** page.")
    st.stop()

# ------------------------------------------------------------------------------------------------ choices
g1, g2 = st.columns([3, 1])
gold_names = sorted({g["name"] for g in status["gold_sets"]})
gold = g1.selectbox("Gold set", gold_names, key="eval.gold")
versions = sorted((g for g in status["gold_sets"] if g["name"] == gold), key=lambda g: g["version"])
info = g2.selectbox("Version", versions, index=len(versions) - 1, key="eval.version",
                    format_func=lambda g: f"v{g['version']}" + ("" if g["frozen"] else " (open)"))
version = info["version"]
if not info["frozen"]:
    st.warning(f"gold:{gold} v{version} is not frozen: scores on it may change when it is edited. Freeze it on the "
               "**Gold sets** page.")

with st.expander("⚙️ Settings"):
    s1, s2, s3, s4 = st.columns(4)
    if ws.task == "ner":
        mode = s1.radio("Scoring mode", ["default", "strict"], key="eval.mode", horizontal=True,
                        help="default = conlleval-compatible (seqeval's default); strict = entities must follow the "
                             "scheme. Workspace gold sets hold character spans, so both give the same numbers here; "
                             "the mode is stored with the scores.")
        scheme = s2.selectbox("Scheme (strict mode)", ["IOB2", "IOBES", "BILOU"], key="eval.scheme",
                              disabled=mode != "strict")
    else:
        mode, scheme = "default", None
    resamples = int(s3.number_input("Resamples", min_value=100, max_value=100_000, value=DEFAULT_RESAMPLES,
                                    step=1000, key="eval.resamples",
                                    help="Paired bootstrap resamples and randomization permutations (and the "
                                         "bootstrap of each model's F1 interval)."))
    seed = int(s4.number_input("Seed", min_value=0, value=DEFAULT_SEED, step=1, key="eval.seed"))
scheme = scheme if mode == "strict" else None
settings = {"version": version, "mode": mode, "scheme": scheme, "resamples": resamples, "seed": seed}
settings_text = (f"gold:{gold} v{version} (hash `{(info.get('content_hash') or '')[:12] or 'open'}`) · mode {mode}"
                 + (f" {scheme}" if scheme else "") + f" · {resamples:,} resamples · seed {seed}")

# ------------------------------------------------------------------------------------------------ scores
st.subheader("Scores")
skipped: list[dict] = []
with running(f"scoring {len(models)} model{'s' if len(models) != 1 else ''} on gold:{gold} v{version} "
             "(predictions are computed once and stored)") as progress:
    evals = ui.call(evaluate_models, ws, gold, models="all", progress=progress, skipped=skipped, **settings)
for item in skipped:
    st.warning(f"**{render.escape_md(item['model'])}** is not in the table: {render.escape_md(item['error'])}"
               + (f"\n\n**Fix:** {render.escape_md(item['hint'])}" if item.get("hint") else ""))
if not evals:
    st.stop()
for e in evals:
    if e.get("gold_overlap"):
        st.warning(f"**{render.escape_md(e['model'])}** was trained on {e['gold_overlap']} example(s) that are now "
                   f"in gold:{render.escape_md(gold)} (the gold set was made or changed after it was trained); its "
                   "score here is not a fair estimate. Train it again on rounds without these texts.")
st.dataframe(pd.DataFrame(render.score_rows(evals, ws.task)), hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="%.3f")
                            for c in ("accuracy", "micro P", "micro R", "micro F1", "macro F1")})
st.caption(f"{settings_text}. F1 95% CI: bootstrap over the gold documents.")
label_rows = [r for r in render.per_label_rows(evals) if r["f1"] is not None]
if label_rows:
    st.altair_chart(render.per_label_chart(label_rows), width="stretch")

# ------------------------------------------------------------------------------------------------ compare two
st.subheader("Is B really better than A?")
names = [e["model"] for e in evals]
if len(names) < 2:
    st.info("Train a second model to compare two.")
    st.stop()
# default pair: the latest iteration (B) against its previous round of the same trainer (A)
parents = {m["name"]: (m.get("lineage") or {}).get("parent") for m in models}
default_b = next((n for n in reversed(names) if parents.get(n) in names), names[-1])
by_name = {m["name"]: m for m in models}
if candidate_key(by_name.get(default_b) or {}) is not None:  # the first run (lowest seed) of that round
    default_b = next(n for n in names if candidate_key(by_name.get(n) or {}) == candidate_key(by_name[default_b]))
default_a = parents.get(default_b) if parents.get(default_b) in names else names[names.index(default_b) - 1]
c1, c2 = st.columns(2)
model_a = c1.selectbox("Model A (baseline)", names, index=names.index(default_a), key="eval.model_a",
                       help="Defaults to the previous round of the same trainer as B.")
model_b = c2.selectbox("Model B (candidate)", names, index=names.index(default_b), key="eval.model_b")
if model_a == model_b:
    st.info("Pick two different models.")
    st.stop()

# the iteration verdict: A's and B's rounds compared over all the runs of their candidate (one run per round
# cannot tell new data from a lucky seed)
family = render.same_family(by_name.get(model_a), by_name.get(model_b))
if family is not None:
    trainer_, overrides, cumulative, (round_a, round_b) = family
    st.markdown(f"**Did round {round_b} make `{trainer_}` better than round {round_a}?** (every run of each round)")
    with running(f"comparing round {round_b} with round {round_a} over all their runs") as progress:
        it = ui.call(compare_rounds, ws, gold, trainer=trainer_, config=overrides or None, cumulative=cumulative,
                     pairs=[(round_a, round_b)], progress=progress, **settings)
    if it is not None:
        step = it["steps"][0]
        head, *rest = step["sentences"]
        {"improved": st.success, "regressed": st.error}.get(step["verdict"], st.info)(render.escape_md(head))
        for sentence in rest:
            st.markdown(f"- {render.escape_md(sentence)}")
        run_rows = render.run_rows(evals, models, trainer=trainer_, overrides=overrides, cumulative=cumulative)
        if run_rows:
            st.altair_chart(render.runs_chart(run_rows), width="stretch")
            st.caption("Dots: each run (seed) of a round's candidate scored on the gold set; bar: their mean. Train "
                       "more seeds on the **Train** page (Runs) or with `evaluator train --round N --seeds 3`.")
    st.markdown("**About these two model files** (artifacts: whether this file beats that one, not the round)")
else:
    st.caption("The iteration verdict (rounds compared over all their runs) needs A and B to be models of the same "
               "trainer and config on different rounds; below is the comparison of the two model files.")
res = ui.call(cache.comparison, ws, gold, model_a, model_b, **settings)
if res is None:
    st.stop()
key = {"micro_f1": "f1", "macro_f1": "macro_f1", "accuracy": "accuracy"}[res["metric"]]
what = render.METRIC_TITLES[res["metric"]]
m1, m2, m3, m4 = st.columns(4)
m1.metric(f"A: {what}", f"{res['a'][key]:.3f}" if res["a"][key] is not None else "–")
m2.metric(f"B: {what}", f"{res['b'][key]:.3f}" if res["b"][key] is not None else "–")
lo, hi = res["ci95"]
m3.metric("B − A (points)", f"{100 * res['delta']:+.1f}" if res["delta"] is not None else "–",
          help="95% interval: " + (f"{100 * lo:+.1f} to {100 * hi:+.1f}" if lo is not None else "undefined"))
m4.metric("p", format_p(headline_p(res)), help="The larger (more cautious) of the paired-bootstrap and the "
                                             "approximate-randomization p-values.")
headline, *more = res["sentences"]
{"b_better": st.success, "a_better": st.error}.get(res["verdict"], st.info)(render.escape_md(headline))
for sentence in more:
    st.markdown(f"- {render.escape_md(sentence)}")
left, right = st.columns(2)
with left:
    rows = render.delta_rows(res)
    if rows:
        st.markdown("**Overall**")
        st.altair_chart(render.delta_chart(rows), width="stretch")
with right:
    rows = render.delta_rows(res, per_label=True)
    if rows:
        st.markdown("**Per label (F1)**")
        st.altair_chart(render.delta_chart(rows), width="stretch")
st.caption(f"{settings_text} · paired bootstrap over documents and approximate randomization; delta = B − A"
           + (" · stored result reused" if res.get("reused") else "") + ".")

# ------------------------------------------------------------------------------------------------ example diff
st.subheader("What changed, example by example")
with running(f"listing what changed between {model_a} and {model_b}"):
    diff = ui.call(cache.example_diff, ws, gold, model_a, model_b, version=version)
if diff is not None:
    kinds = list(render.DIFF_KINDS) if ws.task == "ner" else ["gained", "lost", "changed"]
    f1_, f2_ = st.columns([1, 3])
    label = f1_.selectbox("Label", ["all labels"] + sorted(ws.labels), key="eval.diff_label")
    label = None if label == "all labels" else label
    counts = render.diff_counts(diff, ws.task, label=label)
    # The chips show each kind's count for this pair and label. The browser keeps a multiselect's choice as the
    # chips' text, so a widget whose texts changed would lose it (empty chips, every kind in the table): the
    # widget is keyed by its texts, and the kinds chosen are kept under a plain key and carried over.
    kept = [k for k in st.session_state.get(DIFF_KINDS, kinds) if k in kinds]
    widget = render.diff_kinds_key(counts, kinds)
    chosen = f2_.multiselect("Kind", kinds, default=kept, key=widget,
                             format_func=lambda k: f"{render.DIFF_KINDS[k]} ({counts[k]})",
                             on_change=lambda key: st.session_state.update({DIFF_KINDS: st.session_state[key]}),
                             args=(widget,))
    rows = render.diff_rows(diff, ws.task, kinds=chosen, label=label) if chosen else []
    if ws.task == "ner":
        st.caption("gained: a gold entity B finds and A misses; lost: the reverse; changed: A and B predict "
                   "overlapping but different entities (boundaries or type); new error: a wrong prediction only B "
                   "makes; fixed error: a wrong prediction only A makes.")
    else:
        st.caption("gained: only B is right; lost: only A is right; changed: both wrong, with different labels.")
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={"text": st.column_config.TextColumn("text", width="large")})
        st.caption(f"{len(rows):,} change{'' if len(rows) == 1 else 's'} listed: "
                   + ", ".join(f"{render.DIFF_KINDS[k]} {counts[k]:,}" for k in chosen) + ".")
    elif not chosen:
        st.write("Pick at least one kind of change to list.")
    else:
        st.write("No differences of these kinds.")

# ------------------------------------------------------------------------------------------------ all rounds
with st.expander("Each model against the previous one (Holm-corrected)"):
    trainer_of = {m["name"]: (m["kind"], m["trainer"], (m.get("lineage") or {}).get("cumulative")) for m in models}
    same = [n for n in names if trainer_of.get(n) == trainer_of.get(default_b)]
    chain_models = st.multiselect("Models, in order (round k against round k−1)", names,
                                  default=same if len(same) >= 2 else names,
                                  key="eval.holm_models",
                                  help="Defaults to the rounds of B's trainer in round order; reorder, add or "
                                       "drop models.")
    st.caption("k−1 paired comparisons, p-values corrected with Holm's method so that the chance of any false "
               "“better” stays below 5%.")
    if st.toggle("Compare", key="eval.holm"):
        with running(f"comparing each of {len(chain_models)} models with the one before it") as progress:
            chain = ui.call(compare_to_previous, ws, gold, chain_models, progress=progress, **settings)
        if chain:
            st.dataframe(pd.DataFrame([{
                "A": r["model_a"], "B": r["model_b"], "A score": r["a"], "B score": r["b"],
                "B − A (points)": None if r["delta"] is None else 100 * r["delta"],
                "95% CI": "–" if r["ci95"][0] is None else f"{100 * r['ci95'][0]:+.1f} to {100 * r['ci95'][1]:+.1f}",
                "p": r["p"], "p (Holm)": r["p_holm"], "verdict": render.CHAIN_VERDICTS[r["verdict"]]}
                for r in chain]), hide_index=True, width="stretch",
                column_config={"A score": st.column_config.NumberColumn(format="%.3f"),
                               "B score": st.column_config.NumberColumn(format="%.3f"),
                               "B − A (points)": st.column_config.NumberColumn(format="%+.1f"),
                               "p": st.column_config.NumberColumn(format="%.4f"),
                               "p (Holm)": st.column_config.NumberColumn(format="%.4f")})
            for r in chain:
                st.markdown(f"- {render.escape_md(r['sentence'])}")
