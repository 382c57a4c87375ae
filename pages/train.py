"""Train: a model per annotation round in the background (live progress, log, cancel), the model registry with
lineage and gold-set scores (rename, delete), and learning curves."""
import time

import pandas as pd
import streamlit as st

import ui
from evaluator import jobs
from evaluator.models import free_name, run_name, train_round, train_runs
from evaluator.scoring.curves import learning_curve
from evaluator.training import default_trainer, list_trainers
from ui import cache, render

st.title("🏋️ Train")
st.caption("Each round becomes a candidate model, trained in the background on the accepted annotations of "
           "rounds 1..k (gold texts can never enter them). Every model records its training-data hash, counts, "
           "trainer config, seed and library versions.")
ws = ui.require_workspace()
status = ui.call(cache.workspace_status, ws)
if status is None:
    st.stop()

META = {"workspace": str(ws.path.resolve()), "db": ws.url}
rounds = [r["round"] for r in status["rounds"]]
gold_names = sorted({g["name"] for g in status["gold_sets"]})
trainers = {t.name: t for t in list_trainers(task=ws.task)}
live_ids = [j.id for j in jobs.list_jobs(meta=META) if j.running]
busy = bool(live_ids)

#: ids of the jobs this browser session started or watched run: their outcome is shown here until dismissed;
#: other finished jobs only for RECENT seconds (so old "Trained ..." banners do not greet every later visit)
SEEN = "train.seen_jobs"
RECENT = 120
seen: set = st.session_state.setdefault(SEEN, set())


def shown(job: jobs.Job) -> bool:
    return job.id in seen or time.time() - (job.finished or 0) < RECENT


if "train.flash" in st.session_state:
    st.success(st.session_state.pop("train.flash"))


def done(message: str) -> None:
    cache.clear()
    st.session_state["train.flash"] = message
    st.rerun()


def show_finished(job: jobs.Job) -> None:
    """The outcome of the latest finished job of one kind: success, error (message and fix) or cancelled."""
    snap = job.snapshot()
    res = snap["result"]
    with st.container(border=True):
        if snap["state"] == "done" and job.kind == "train" and "runs" in (res or {}):
            st.success(f"{render.escape_md(res['message'])} Compare rounds over all their runs on the **Evaluate** "
                       "page.")
        elif snap["state"] == "done" and job.kind == "train":
            st.success(f"Trained **{render.escape_md(res['name'])}** in {res['seconds']:.1f} s on "
                       f"{res['counts']['examples']} examples ({res['trainer']}, seed {res['seed']}, training-data "
                       f"hash `{res['train_hash'][:12]}`). Score it on the **Evaluate** page.")
        elif snap["state"] == "done" and job.kind == "curve":
            st.success(f"Learning curve of **{res['trainer']}** ready: {res['verdict']}"
                       + (" (stored result reused)" if res.get("reused") else "") + ".")
        elif snap["state"] == "done":
            st.success(f"{snap['title']}: done.")
        elif snap["state"] == "cancelled":
            st.warning(f"{snap['title']}: cancelled after {snap['seconds']:.0f} s; nothing was kept.")
        else:
            st.error(f"{render.escape_md(snap['title'])} failed: {render.escape_md(snap['error'] or '')}"
                     + (f"\n\n**Fix:** {render.escape_md(snap['hint'])}" if snap["hint"] else ""))
        left, right = st.columns([5, 1])
        with left.expander("Log"):
            st.code("\n".join(snap["log"]) or "(empty)", language=None)
        if right.button("Dismiss", key=f"train.dismiss.{job.id}"):
            seen.discard(job.id)
            jobs.forget_job(job.id)
            st.rerun()


@st.fragment(run_every=1.0 if live_ids else None)
def job_panel() -> None:
    """Running jobs of this workspace with a live progress bar, the log's tail and Cancel (refreshed every
    second while one runs); when one finishes the whole page reruns so the tables show its result."""
    if any((j := jobs.get_job(i)) is None or not j.running for i in live_ids):
        cache.clear()
        st.rerun()
    current = jobs.list_jobs(meta=META)
    for job in [j for j in current if j.running]:
        seen.add(job.id)
        snap = job.snapshot()
        with st.container(border=True):
            st.markdown(f"**{render.escape_md(snap['title'])}** · running for {snap['seconds']:.0f} s")
            st.progress(snap["progress"], text=snap["message"][:200])
            st.code("\n".join(snap["log"][-12:]), language=None)
            if st.button("⏹ Cancel", key=f"train.cancel.{job.id}", disabled=job.cancel_event.is_set()):
                jobs.cancel_job(job.id)
                st.rerun(scope="fragment")
    for kind in ("train", "curve"):
        finished = [j for j in current if j.kind == kind and not j.running and shown(j)]
        if finished:
            show_finished(finished[0])


job_panel()

# ------------------------------------------------------------------------------------------------ train
st.subheader("Train a model")
if not rounds:
    st.info("No annotation rounds yet: import labeled data on the **Data** page into `round:1`.")
else:
    models = ui.call(cache.models, ws) or []
    existing = {m["name"] for m in models}
    c1, c2, c3, c4, c5 = st.columns([1, 2, 2, 1, 1])
    if st.session_state.get("train.round") not in rounds:
        st.session_state.pop("train.round", None)
    # "Train this round" on the Label page sets train.round; no default index then (Streamlit would log a warning)
    rnd = c1.selectbox("Round", rounds, index=None if "train.round" in st.session_state else len(rounds) - 1,
                       key="train.round")
    cumulative = c2.radio("Training data", [True, False], key="train.cumulative", horizontal=True,
                          format_func=lambda c: "rounds 1..k (cumulative)" if c else "round k only")
    names = list(trainers)
    trainer = c3.selectbox("Trainer", names, index=names.index(default_trainer(ws.task)) if default_trainer(ws.task)
                           in names else 0, key="train.trainer")
    seed = int(c4.number_input("Seed", min_value=0, value=0, step=1, key="train.seed"))
    n_runs = int(c5.number_input("Runs", min_value=1, max_value=10, value=1, step=1, key="train.runs",
                                 help="Train this many seeds (from the seed on), one model each, so that the "
                                      "Evaluate page can tell what the round did from the luck of a seed. Runs "
                                      "that exist are kept; a deterministic trainer is trained once."))
    st.caption(f"`{trainer}`: {trainers[trainer].description}")
    base_name = run_name(render.default_model_name(rnd, trainer, cumulative=cumulative), seed)
    default_name = ui.call(free_name, ws, base_name) or base_name  # never one that is taken
    with st.expander("Advanced: model name and trainer config"):
        typed = st.text_input("Model name", key="train.name", placeholder=default_name).strip()
        config_text = st.text_area("Config overrides (JSON)", key="train.config", height=80,
                                   placeholder='{"training.max_steps": 500}',
                                   help="Merged into the trainer's default config and stored with the model.")
    name = typed or default_name
    taken = name in existing and n_runs == 1  # several runs keep the runs that exist
    if taken:
        st.warning(f"A model named `{name}` exists already: call this one `{ui.call(free_name, ws, name)}` (under "
                   "**Advanced**), or delete the existing model below.")
    else:
        st.caption(f"Will be saved as `{name}`" + (f" (`{base_name}` exists already)." if base_name != name
                                                    and not typed else "."))
    if busy:
        st.caption("A job is running in this workspace; start the next one when it has finished (or cancel it).")
    if st.button("🏋️ Train", type="primary", key="train.start", disabled=busy or taken):
        config = ui.call(render.parse_config, config_text)
        if config is None and config_text.strip():
            st.stop()  # the error is shown
        # in a process of its own: the model is then the one `evaluator train` makes (jobs.in_own_process)
        if n_runs > 1:
            seeds = list(range(seed, seed + n_runs))
            base = typed or render.default_model_name(rnd, trainer, cumulative=cumulative)
            seen.add(jobs.start_job("train", jobs.in_own_process(train_runs), ws, rnd, seeds=seeds, trainer=trainer,
                                    cumulative=cumulative, config=config, name=base,
                                    title=f"Training {base} with seeds {seeds[0]}..{seeds[-1]}", meta=META).id)
        else:
            seen.add(jobs.start_job("train", jobs.in_own_process(train_round), ws, rnd, trainer=trainer, seed=seed,
                                    cumulative=cumulative, config=config, name=name, title=f"Training {name}",
                                    meta=META).id)
        st.rerun()

# ------------------------------------------------------------------------------------------------ models
st.subheader("Models")
models = ui.call(cache.models, ws) or []
if not models:
    st.info("No models yet: train one above (or register one trained elsewhere with `evaluator model add`).")
else:
    scores = ui.call(cache.scores, ws) or []
    rows = render.model_rows(models, scores)
    f1_cols = [c for c in rows[0] if c.startswith("F1 ")]
    config = {"seconds": st.column_config.NumberColumn(format="%.1f"),
              **{c: st.column_config.NumberColumn(format="%.3f") for c in f1_cols}}
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config=config)
    st.caption(("F1 columns are stored evaluations on each gold-set version (default mode); "
                if f1_cols else "No model has been scored yet; ")
               + "score models on the **Evaluate** page or with `evaluator evaluate --gold NAME`.")
    with st.expander("Rename or delete a model"):
        model_names = [m["name"] for m in models]
        target = st.selectbox("Model", model_names, key="train.manage_model")
        r1, r2 = st.columns([3, 1], vertical_alignment="bottom")
        new_name = r1.text_input("New name", key="train.new_name").strip()
        if r2.button("Rename", key="train.rename", disabled=not new_name, width="stretch"):
            from evaluator.models import rename_model
            if ui.call(rename_model, ws, target, new_name):
                done(f"Renamed {target} to {new_name}.")
        d1, d2 = st.columns([3, 1], vertical_alignment="bottom")
        sure = d1.checkbox(f"Delete `{target}`, its predictions, evaluations and artifact folder",
                           key="train.delete_sure")
        if d2.button("🗑 Delete", key="train.delete", disabled=not sure or busy, width="stretch"):
            from evaluator.models import delete_model
            if ui.call(delete_model, ws, target):
                done(f"Deleted {target}.")

# ------------------------------------------------------------------------------------------------ learning curve
st.subheader("Learning curve: will more data help?")
st.caption("Trains on nested subsets of rounds 1..k with several seeds, scores every run on the gold set and says "
           "“more data still helps” only when the paired-bootstrap lower bound of F1(100%) − F1(75%) is above 0 "
           "and the gain exceeds the spread between seeds. Curve models are not kept.")
if not rounds or not gold_names:
    st.info("A learning curve needs at least one annotation round and a gold set.")
else:
    k1, k2, k3, k4, k5 = st.columns([2, 1, 4, 1, 2])
    curve_trainer = k1.selectbox("Trainer", list(trainers), key="train.curve_trainer",
                                 index=list(trainers).index(default_trainer(ws.task))
                                 if default_trainer(ws.task) in trainers else 0)
    curve_round = k2.selectbox("Rounds 1..", rounds, index=len(rounds) - 1, key="train.curve_round")
    fractions = k3.multiselect("Fractions of the data", [0.1, 0.25, 0.5, 0.75, 1.0], default=[0.25, 0.5, 0.75, 1.0],
                               format_func=lambda f: f"{f:.0%}", key="train.curve_fractions")
    n_seeds = int(k4.number_input("Seeds", min_value=3, max_value=10, value=3, step=1, key="train.curve_seeds"))
    curve_gold = k5.selectbox("Gold set", gold_names, key="train.curve_gold")
    runs = len(fractions) * n_seeds
    st.caption(f"{runs} training runs of `{curve_trainer}` (seeds 0..{n_seeds - 1}).")
    if st.button("📈 Run learning curve", key="train.curve_start", disabled=busy or not fractions):
        seen.add(jobs.start_job("curve", jobs.in_own_process(learning_curve), ws, trainer=curve_trainer,
                                round=curve_round, fractions=sorted(fractions), seeds=list(range(n_seeds)),
                                gold=curve_gold, title=f"Learning curve of {curve_trainer} (rounds 1..{curve_round})",
                                meta=META).id)
        st.rerun()

    curves = ui.call(cache.curves, ws, trainer=curve_trainer) or []
    if curves:
        curve = curves[0]
        plan = curve.get("plan") or {}
        helps = curve["verdict"] == "more data still helps"
        (st.success if helps else st.info)(
            f"**{'More data still helps' if helps else 'The curve has flattened'}**: "
            f"{render.escape_md(curve.get('reason') or '')}.")
        st.altair_chart(render.curve_chart(curve), width="stretch")
        st.caption(f"{curve['trainer']} on rounds 1..{curve['round']} ({curve['examples']} examples), scored on "
                   f"gold:{curve['gold']} v{curve['gold_version']}; fractions "
                   f"{', '.join(f'{f:.0%}' for f in plan.get('fractions', []))}, seeds "
                   f"{', '.join(map(str, plan.get('seeds', [])))}; training data `{str(plan.get('train_hash'))[:12]}`; "
                   f"{curve.get('seconds', 0):.0f} s; {str(curve.get('created_at') or '')[:19]}. "
                   "Band: min-max over seeds; line: mean; dots: single runs.")
    else:
        st.caption(f"No learning curve of `{curve_trainer}` yet.")
