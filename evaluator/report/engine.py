"""The verdict engine: which iteration actually improved, on one gold set, with the evidence next to it.

:func:`build_report` gathers everything a report shows into one plain dict (stored in the results table, kind
``report``, keyed by the gold content hash, every run's artifact hash and name, the A/B judgments so far and the
settings), which the Report page, the HTML/Markdown/JSON exports (:mod:`evaluator.report.export`) and the charts
(:mod:`evaluator.report.charts`) read:

* **Iterations.** Trained models are grouped into *families* (trainer, config overrides, round mode); a family's
  iterations are its rounds, each with all its runs (seeds). Each iteration is compared with its predecessor (the
  previous round of the family: its round lineage) and, when that is another round, with the best one so far
  (highest mean F1 among the earlier rounds), over all runs with the two-level bootstrap of
  :func:`evaluator.scoring.iterations.compare_candidates`. The p-values of every comparison in the report are
  Holm-corrected together (:func:`evaluator.scoring.iterations.holm_steps`); an iteration trained once with a
  stochastic trainer is marked ``single_run`` and its step is never decided.
* **Per label and by bucket** (:mod:`evaluator.report.buckets`): B − A per label, entity length, entity seen in
  the training rounds, text length, with intervals and Holm across the buckets; the example diff of the two
  iterations' first runs lists the entities gained and lost.
* **A/B beside it.** A blind A/B session that compared a run of A with a run of B is shown next to the step: its
  decided or undecided preference, the win rate of B with its Wilson interval. When the session decided the
  other way from the metrics, the step is ``conflicting`` and the judged items where the annotators preferred
  the metrics' loser are listed to look at.
* **Candidate gold-set errors** (:mod:`evaluator.report.gold_errors`).

:func:`gate` answers one question for a CI pipeline: is the candidate model not significantly worse than the
baseline (or, with ``min_delta``, better by at least that much)?

>>> rep = build_report(ws, "test")                           # doctest: +SKIP
>>> [(r["iteration"], r["verdict"]) for r in rep["table"]]   # doctest: +SKIP
[('round 2', 'improved'), ('round 3', 'improved')]
"""
from __future__ import annotations

import json
import threading
from typing import Any, Sequence

import numpy as np

from evaluator.errors import ConfigError, NotFoundError
from evaluator.progress import Progress, check_cancel, report
from evaluator.report.verdict import ALPHA, format_p
from evaluator.stats import DEFAULT_RESAMPLES, DEFAULT_SEED
from evaluator.workspace import Workspace

#: bump when the layout of a report changes (stored reports of an older layout are computed again)
REPORT_FORMAT = 1
#: rows of gained / lost entities, items to look at and candidate gold errors kept per list
LIST_LIMIT = 25
SIGNALS = ("agree", "conflicting", "A/B undecided", "metrics inconclusive", "no A/B")


# ------------------------------------------------------------------------------------------------ families

def family_key(model: dict[str, Any]) -> tuple[str, str, bool] | None:
    """(trainer, config overrides as JSON, cumulative) of a trained model with a round; None otherwise."""
    if model.get("kind") != "trained" or model.get("round") is None:
        return None
    cfg = model.get("config") or {}
    return (model["trainer"], json.dumps(cfg.get("overrides") or {}, sort_keys=True, default=str),
            bool(cfg.get("cumulative", True)))


def family_title(key: tuple[str, str, bool]) -> str:
    """``crf-ner``, ``spacy-ner {"training.max_steps": 200}``, ``crf-ner (round only)``."""
    trainer, cfg, cumulative = key
    return trainer + ("" if cfg == "{}" else f" {cfg}") + ("" if cumulative else " (round only)")


def families(ws: Workspace, *, trainer: str | None = None) -> list[dict[str, Any]]:
    """Families of trained models: ``{"key", "title", "trainer", "config", "cumulative", "rounds": {round: [runs
    by seed]}}``, in the order of their first model."""
    from evaluator.models import list_models

    out: dict[tuple, dict[str, Any]] = {}
    for m in list_models(ws):
        key = family_key(m)
        if key is None or (trainer is not None and m["trainer"] != trainer):
            continue
        fam = out.setdefault(key, {"key": list(key), "title": family_title(key), "trainer": key[0],
                                   "config": json.loads(key[1]), "cumulative": key[2], "rounds": {}})
        fam["rounds"].setdefault(int(m["round"]), []).append(m)
    for fam in out.values():
        fam["rounds"] = {r: sorted(ms, key=lambda m: (m["seed"] or 0, m["id"])) for r, ms in sorted(fam["rounds"].items())}
    return list(out.values())


def pick_gold(ws: Workspace, gold: str | None) -> str:
    """``gold``, or the workspace's only gold set; an error naming the gold sets otherwise."""
    from evaluator.gold import list_gold

    if gold:
        return gold
    names = sorted({g["name"] for g in list_gold(ws)})
    if len(names) == 1:
        return names[0]
    raise ConfigError("Which gold set should the report use?" if names else "There is no gold set to report on.",
                      hint=f"pass --gold NAME (gold sets: {', '.join(names)})" if names else
                      "import one: evaluator import FILE --into gold:test, then freeze it")


# ------------------------------------------------------------------------------------------------ helpers

def _micro(counts: Any) -> np.ndarray:
    """``[documents, 1, 3]``: a run's counts summed over labels (its micro F1 is the run's F1)."""
    return counts.counts.sum(axis=1, keepdims=True)


def _pts(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:+.1f}"


def _ci_text(ci: Sequence[float | None] | None) -> str:
    lo, hi = ci or (None, None)
    return "–" if lo is None or hi is None else f"{100 * lo:+.1f} to {100 * hi:+.1f}"


def _model_record(m: dict[str, Any]) -> dict[str, Any]:
    cfg = m.get("config") or {}
    return {"name": m["name"], "kind": m["kind"], "trainer": m["trainer"], "round": m["round"],
            "parent": (m.get("lineage") or {}).get("parent"), "rounds": (m.get("lineage") or {}).get("rounds"),
            "cumulative": cfg.get("cumulative"), "seed": m["seed"], "config_overrides": cfg.get("overrides") or {},
            "deterministic": bool(cfg.get("deterministic")), "examples": (m.get("counts") or {}).get("examples"),
            "train_hash": m.get("train_hash"), "artifact_hash": m.get("artifact_hash"),
            "versions": m.get("versions"), "created_at": str(m.get("created_at") or "")}


def _ab_state(ws: Workspace) -> list[list[int]]:
    """(session id, judgments) of every session: part of the report's key, so a new judgment recomputes it."""
    from evaluator.ab import sessions

    return [[s["session_id"], s["judgments"]] for s in sessions(ws)]


# ------------------------------------------------------------------------------------------------ A/B

def ab_summaries(ws: Workspace) -> list[dict[str, Any]]:
    """Every A/B session with judgments, names revealed: the :func:`evaluator.ab.results` dict with the judged
    items (the report is read after judging)."""
    from evaluator.ab import results, sessions

    return [results(ws, s["session_id"], reveal=True, items=True) for s in sessions(ws) if s["judgments"]]


def ab_beside(sessions: Sequence[dict[str, Any]], runs_a: Sequence[str], runs_b: Sequence[str],
              verdict: str) -> dict[str, Any] | None:
    """The A/B evidence for a step (B = a run of ``runs_b`` against A = a run of ``runs_a``) from revealed
    session results, or None when no session compared them.

    Returns ``session_id``, ``source``, ``model_a``, ``model_b``, ``judgments``, ``decisive``, ``wins_b``,
    ``wins_a``, ``ties``, ``win_rate_b`` and ``ci95`` (Wilson, ties as half), ``decided``, ``preferred``
    (``"a"``, ``"b"`` or None), ``p_always_valid``, ``sentence``, ``signals`` (one of :data:`SIGNALS`) and, when
    conflicting, ``look_at``: judged items where the annotators preferred the output of the metrics' loser, the
    items whose gold F1 disagrees most first.
    """
    set_a, set_b = set(runs_a), set(runs_b)
    found = []
    for s in sessions:
        for p in s["pairs"]:
            if {p["a"], p["b"]} & set_a and {p["a"], p["b"]} & set_b and p["a"] != p["b"]:
                found.append((s, p))
    if not found:
        return None
    # the session with the most decisive judgments speaks for the step
    s, p = max(found, key=lambda sp: (sp[1]["decided"], sp[1]["decisive"], sp[0]["session_id"]))
    b_first = p["a"] in set_b
    model_b, model_a = (p["a"], p["b"]) if b_first else (p["b"], p["a"])
    lo, hi = p["ci95"]
    rate = p["win_rate"]
    preferred = None if p["preferred"] is None else ("b" if p["preferred"] == model_b else "a")
    out = {"session_id": s["session_id"], "source": s["source"], "model_a": model_a, "model_b": model_b,
           "judgments": p["judgments"], "decisive": p["decisive"],
           "wins_b": p["wins"] if b_first else p["losses"], "wins_a": p["losses"] if b_first else p["wins"],
           "ties": p["ties"], "win_rate_b": rate if b_first or rate is None else 1 - rate,
           "ci95": [lo, hi] if b_first or lo is None else [1 - hi, 1 - lo], "decided": bool(p["decided"]),
           "preferred": preferred, "p_always_valid": (p.get("sequential") or {}).get("p_always_valid"),
           "sentence": p["sentence"], "alpha": (p.get("sequential") or {}).get("alpha")}
    out["signals"] = signals(verdict, preferred)
    if out["signals"] == "conflicting":
        # the metrics' loser: A when they say B improved, B when it regressed
        loser, winner = (model_a, model_b) if verdict == "improved" else (model_b, model_a)
        out["look_at"] = look_at(s.get("judged_items") or [], loser=loser, winner=winner)
    return out


def signals(verdict: str, preferred: str | None) -> str:
    """How the metrics' verdict and the A/B preference relate.

    >>> signals("improved", "b"), signals("improved", "a"), signals("regressed", "b"), signals("inconclusive", "b")
    ('agree', 'conflicting', 'conflicting', 'metrics inconclusive')
    >>> signals("improved", None)
    'A/B undecided'
    """
    if preferred is None:
        return "A/B undecided"
    if verdict not in ("improved", "regressed"):
        return "metrics inconclusive"
    return "agree" if (verdict == "improved") == (preferred == "b") else "conflicting"


def look_at(items: Sequence[dict[str, Any]], *, loser: str, winner: str,
            limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """Judged items whose first answer preferred ``loser`` (the metrics' worse model) over ``winner``; items where
    the gold F1 favours ``winner`` most come first."""
    out = []
    for it in items:
        sides = {it["left"]["system"]: it["left"], it["right"]["system"]: it["right"]}
        if set(sides) != {loser, winner} or not it.get("answers"):
            continue
        if it["answers"][0]["winner"] != loser:
            continue
        fw, fl = sides[winner].get("f1"), sides[loser].get("f1")
        out.append({"item_id": it["item_id"], "text": it["text"], "preferred": loser,
                    "preferred_output": _output(sides[loser]), "other": winner, "other_output": _output(sides[winner]),
                    "f1_preferred": fl, "f1_other": fw,
                    "comments": [a["comment"] for a in it["answers"] if a.get("comment")],
                    "gap": None if fw is None or fl is None else fw - fl})
    out.sort(key=lambda r: -(r["gap"] if r["gap"] is not None else -1.0))
    return out[:limit]


def _output(side: dict[str, Any]) -> Any:
    return side.get("label") if "label" in side else side.get("spans") or []


# ------------------------------------------------------------------------------------------------ the report

def build_report(ws: Workspace, gold: str | None = None, *, version: int | None = None, trainer: str | None = None,
                 mode: str = "default", scheme: str | None = None, resamples: int = DEFAULT_RESAMPLES,
                 seed: int = DEFAULT_SEED, unit: str = "auto", alpha: float = ALPHA, reuse: bool = True,
                 progress: Progress | None = None, cancel: threading.Event | None = None) -> dict[str, Any]:
    """Everything the report shows, as plain data (see the module docstring); stored and reused.

    Keys: ``format``, ``title``, ``gold`` (name, version, hash, frozen, examples), ``task``, ``labels``,
    ``settings`` (mode, scheme, resamples, seed, unit, alpha, metric, ...), ``models`` (every run with its
    lineage, seed, training-data and artifact hashes), ``families`` (iterations with F1 and intervals, per label
    and per bucket; steps with verdicts), ``table`` (one row per step: the verdict table), ``headline``
    (sentences), ``ab`` (session summaries), ``gold_errors``, ``reused``.
    """
    from evaluator import __version__, db
    from evaluator.gold import gold_records
    from evaluator.results import get_result, put_result, result_key
    from evaluator.scoring.evaluate import resampling_groups, scoring_settings

    gold = pick_gold(ws, gold)
    settings = {**scoring_settings(ws, mode=mode, scheme=scheme, resamples=resamples, seed=seed, unit=unit),
                "alpha": float(alpha), "metric": "micro_f1", "trainer": trainer}
    info, gold_recs = gold_records(ws, gold, version=version)
    if not gold_recs:
        raise NotFoundError(f"gold:{gold} version {info['version']} has no accepted examples.",
                            hint="import or accept examples into the gold set first")
    fams = families(ws, trainer=trainer)
    if not fams:
        raise NotFoundError("There are no trained models to report on" + (f" for {trainer}" if trainer else "") + ".",
                            hint="train one per round: evaluator train --round 1 --seeds 3")
    every = [m for f in fams for runs in f["rounds"].values() for m in runs]
    key = result_key({"kind": "report", "format": REPORT_FORMAT, "gold_hash": info["gold_hash"],
                      "settings": settings, "models": sorted([m["name"], m["artifact_hash"]] for m in every),
                      "ab": _ab_state(ws)})
    hit = get_result(ws, "report", key) if reuse else None
    if hit is not None and hit.payload is not None:
        report(progress, 1, 1, "stored report reused")
        return {**hit.payload, "reused": True}

    from evaluator.scoring.iterations import compare_candidates, holm_steps, score_runs

    if ws.task == "ner":
        from evaluator.tokenize import ensure_tokens

        ensure_tokens([r for r in gold_recs if r.tokens is None], lang=ws.lang)
    groups, unit_used = resampling_groups(gold_recs, settings["unit"])
    total = len(every) + 4 * sum(max(0, len(f["rounds"]) - 1) for f in fams) + 2  # steps: about 2 per round
    done = [0]

    def tick(message: str) -> None:
        done[0] += 1
        report(progress, done[0], total, message)

    scored: dict[str, Any] = {}
    for m in every:
        check_cancel(cancel, "The report")
        score_runs(ws, gold, [m], gold_data=(info, gold_recs), settings=settings, scored=scored, cancel=cancel)
        tick(f"scored {m['name']}")

    # iterations: mean F1 over runs with its interval, and F1 per bucket
    plan = _plan(ws, gold_recs)
    from evaluator.report.buckets import bucket_changes, bucket_scores, mean_f1

    for fam in fams:
        fam["iterations"] = []
        for rnd, runs in fam["rounds"].items():
            counts = [scored[m["name"]] for m in runs]
            overall = mean_f1([_micro(c) for c in counts], resamples=settings["resamples"], seed=settings["seed"],
                              groups=groups)
            deterministic = all((m["config"] or {}).get("deterministic") for m in runs)
            fam["iterations"].append({
                "round": rnd, "name": f"round {rnd}", "runs": [m["name"] for m in runs],
                "seeds": [m["seed"] for m in runs], "examples": (runs[0].get("counts") or {}).get("examples"),
                "deterministic": deterministic, "single_run": len(runs) == 1 and not deterministic,
                "f1": overall["f1"][0], "ci95": overall["ci95"][0], "runs_f1": [r[0] for r in overall["runs"]],
                "buckets": bucket_scores(plan, counts, resamples=settings["resamples"], seed=settings["seed"],
                                         groups=groups)})
    # steps: each iteration against its predecessor and against the best so far (and the pairs of iterations an
    # A/B session compared, so that its preference has the metrics beside it)
    sessions = ab_summaries(ws)
    steps: list[dict[str, Any]] = []
    for fam in fams:
        its = fam["iterations"]
        plan_steps = []
        for i in range(1, len(its)):
            plan_steps.append(("previous", i - 1, i))
            best = max(range(i), key=lambda j: (its[j]["f1"] if its[j]["f1"] is not None else -1.0, its[j]["round"]))
            if best != i - 1:
                plan_steps.append(("best so far", best, i))
        index = {m["name"]: k for k, it in enumerate(its) for m in fam["rounds"][it["round"]]}
        for sess in sessions:
            for p in sess["pairs"]:
                if p["a"] in index and p["b"] in index and index[p["a"]] != index[p["b"]]:
                    j, i = sorted((index[p["a"]], index[p["b"]]))
                    if not any((a, b) == (j, i) for _, a, b in plan_steps):
                        plan_steps.append(("A/B session", j, i))
        for what, j, i in plan_steps:
            check_cancel(cancel, "The report")
            runs_a, runs_b = fam["rounds"][its[j]["round"]], fam["rounds"][its[i]["round"]]
            step = compare_candidates(ws, gold, runs_a, runs_b, version=info["version"], mode=mode,
                                      scheme=scheme, resamples=resamples, seed=seed, unit=unit, alpha=alpha,
                                      scored=scored, gold_data=(info, gold_recs), cancel=cancel)
            step.update(round_a=its[j]["round"], round_b=its[i]["round"], against=what, family=fam["title"],
                        single_run=its[i]["single_run"] or its[j]["single_run"])
            steps.append(step)
            tick(f"{fam['title']}: round {step['round_b']} against round {step['round_a']}")
    holm_steps(steps, alpha=alpha)
    for step in steps:
        check_cancel(cancel, "The report")
        a = [scored[n] for n in step["runs_a"]]
        b = [scored[n] for n in step["runs_b"]]
        step["buckets"] = bucket_changes(plan, a, b, resamples=settings["resamples"], seed=settings["seed"],
                                         groups=groups, alpha=alpha, stochastic=bool(step.get("stochastic", True)),
                                         unit=unit_used)
        step["per_label"] = step["buckets"]["label"]
        step["diff"] = _diff(ws, gold, info["version"], step["runs_a"][0], step["runs_b"][0])
        step["ab"] = ab_beside(sessions, step["runs_a"], step["runs_b"], step["verdict"])
        step["signals"] = step["ab"]["signals"] if step["ab"] else "no A/B"
        tick(f"round {step['round_b']} against round {step['round_a']}: where it changed")
    from evaluator.report.gold_errors import gold_errors

    errors = gold_errors(ws.task, gold_recs, {n: c for n, c in scored.items()},
                         probabilities=_probabilities(ws, gold, info, gold_recs, fams), limit=LIST_LIMIT)
    tick("candidate gold-set errors")
    models = [_model_record(m) for m in every]
    out = {
        "format": REPORT_FORMAT, "title": f"Which iteration improved? gold:{gold} v{info['version']}",
        "created_at": str(db.utcnow())[:19],
        "task": ws.task, "labels": sorted(ws.labels),
        "gold": {"name": gold, "version": info["version"], "hash": info["gold_hash"],
                 "frozen": bool(info.get("frozen_at")), "examples": len(gold_recs), "unit": unit_used},
        "settings": {**settings, "unit_used": unit_used, "evaluator": __version__, "interval":
                     "two-level bootstrap over runs and gold units (runs part scaled by sqrt(R/(R-1)))",
                     "correction": "Holm across every comparison in the report; per bucket, Holm across the "
                                   "buckets of an attribute",
                     "buckets": {"text_length_edges": plan.text_edges, "rounds": plan.rounds,
                                 "entity_key": "case-folded, whitespace-collapsed text and label"}},
        "models": models,
        "families": [{k: v for k, v in f.items() if k != "rounds"} | {"steps": [s for s in steps
                                                                             if s["family"] == f["title"]]}
                     for f in fams],
        "ab": [_ab_record(s) for s in sessions],
        "gold_errors": errors,
    }
    if ws.task == "textcat":
        from evaluator.metrics.textcat import confusion_matrix

        main = max(fams, key=lambda f: len(f["rounds"]))
        name = list(main["rounds"].values())[-1][0]["name"]
        out["confusion"] = {"model": name, "labels": list(scored[name].labels),
                            "matrix": confusion_matrix(scored[name]).tolist()}
    out["table"] = verdict_table(out)
    out["headline"] = headline(out)
    out = put_result(ws, "report", key, out, settings=settings, collection_id=info["id"], gold_hash=info["gold_hash"],
                     artifacts={"models": [m["artifact_hash"] for m in every]})
    report(progress, total, total, "report ready")
    return {**out, "reused": False}


def _plan(ws: Workspace, gold_recs: list):
    from evaluator.report.buckets import make_plan
    from evaluator.store import load_records, rounds

    with ws.engine.connect() as conn:
        available = rounds(conn)
    training = {r: load_records(ws, f"round:{r}") for r in available} if ws.task == "ner" else {}
    return make_plan(gold_recs, task=ws.task, labels=ws.labels, training=training)


def _diff(ws: Workspace, gold: str, version: int, model_a: str, model_b: str) -> dict[str, Any]:
    """Counts of each kind and the first gained / lost rows of the example diff of two models."""
    from evaluator.metrics.diff import count_kinds
    from evaluator.scoring.compare import example_diff

    rows = example_diff(ws, gold, model_a, model_b, version=version)
    keep = lambda kind: [_diff_row(r) for r in rows if r["kind"] == kind][:LIST_LIMIT]  # noqa: E731
    return {"model_a": model_a, "model_b": model_b, "counts": count_kinds(rows, ws.task), "gained": keep("gained"),
            "lost": keep("lost")}


def _diff_row(r: dict[str, Any]) -> dict[str, Any]:
    item = r["b"] if r["kind"] == "gained" else r["a"]
    if isinstance(item, dict):
        return {"document": r["document"] + 1, "label": item["label"], **context(r["text"], item["start"], item["end"])}
    return {"document": r["document"] + 1, "label": str(r["gold"]), "left": r["text"][:300], "entity": "",
            "right": "…" if len(r["text"]) > 300 else ""}


def context(text: str, start: int, end: int, *, width: int = 60) -> dict[str, str]:
    """The entity and up to ``width`` characters of text on each side.

    >>> context("Ada Lovelace wrote the first program", 0, 12, width=6)
    {'left': '', 'entity': 'Ada Lovelace', 'right': ' wrote…'}
    """
    left = text[max(0, start - width):start]
    right = text[end:end + width]
    return {"left": ("…" if start > width else "") + left, "entity": text[start:end],
            "right": right + ("…" if end + width < len(text) else "")}


def _probabilities(ws: Workspace, gold: str, info: dict, gold_recs: list, fams: list) -> Any:
    """Text classification: class probabilities on the gold texts, averaged over the runs of the last iteration
    of each family whose predictions carry them (for cleanlab); None when there are none."""
    if ws.task != "textcat":
        return None
    from evaluator.predictions import predictions_for

    labels = sorted(ws.labels)
    mats = []
    for fam in fams:
        last = list(fam["rounds"].values())[-1]
        for m in last:
            preds = predictions_for(ws, m["name"], f"gold:{gold}@{info['version']}", gold_recs)
            if all(p.scores for p in preds):
                mats.append(np.array([[float((p.scores or {}).get(lab, 0.0)) for lab in labels] for p in preds]))
    if not mats:
        return None
    probs = np.mean(mats, axis=0)
    probs = probs / np.where(probs.sum(axis=1, keepdims=True) > 0, probs.sum(axis=1, keepdims=True), 1.0)
    return {"labels": labels, "matrix": probs}


def _ab_record(s: dict[str, Any]) -> dict[str, Any]:
    """What the report keeps of a session: its pairs, ranking, verdict and settings (not every judged item)."""
    keep = ("session_id", "source", "task", "owner", "created_at", "systems", "settings", "gold_hash", "items",
            "judgments", "annotators", "pairs", "ranking", "gold_check", "verdict", "stop", "position_bias",
            "agreement")
    return {k: s.get(k) for k in keep} | {"models": [{"name": m["name"], "artifact_hash": m.get("artifact_hash")}
                                                     for m in s.get("models") or []]}


def verdict_table(rep: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per step: family, iteration, compared with, runs, F1 of both, B − A with its interval, p, p after
    Holm, verdict, single-run mark, A/B preference and how the two signals relate."""
    rows = []
    for fam in rep["families"]:
        for s in fam["steps"]:
            ab = s.get("ab")
            rows.append({
                "family": fam["title"], "iteration": f"round {s['round_b']}",
                "compared_with": f"round {s['round_a']} ({s['against']})",
                "runs": f"{len(s['runs_a'])} vs {len(s['runs_b'])}", "f1_a": s.get("mean_a"), "f1_b": s.get("mean_b"),
                "delta": s.get("delta"), "ci95": s.get("ci95"), "p": s.get("p"), "p_holm": s.get("p_holm"),
                "verdict": s["verdict"], "single_run": bool(s.get("single_run")), "kind": s.get("kind"),
                "ab": None if ab is None else (
                    f"{'B' if ab['preferred'] == 'b' else 'A'} preferred (decided)" if ab["decided"]
                    else "undecided") + f", B wins {_rate(ab['win_rate_b'])} of {ab['judgments']}",
                "signals": s.get("signals", "no A/B")})
    return rows


def _rate(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def headline(rep: dict[str, Any]) -> list[str]:
    """Which iteration actually improved, one sentence per family, plus the conflicts to look at."""
    out = []
    for fam in rep["families"]:
        its = fam["iterations"]
        prev = [s for s in fam["steps"] if s["against"] == "previous"]
        if not prev:
            out.append(f"{fam['title']}: one iteration (round {its[0]['round']}, F1 {_f(its[0]['f1'])}); train "
                       "another round to compare.")
            continue
        parts = []
        for s in prev:
            what = {"improved": "improved on", "regressed": "regressed from"}.get(s["verdict"])
            if what:
                parts.append(f"round {s['round_b']} {what} round {s['round_a']} ({_pts(s['delta'])} F1 points, 95% CI "
                             f"{_ci_text(s['ci95'])}, p after Holm = {format_p(s['p_holm'])})")
            else:
                parts.append(f"round {s['round_b']} vs round {s['round_a']}: {s['verdict']}"
                             + (" (single run: train more seeds)" if s.get("single_run") else "")
                             + f" ({_pts(s['delta'])} F1 points, 95% CI {_ci_text(s['ci95'])})")
        for s in fam["steps"]:
            if s["against"] != "previous" and s["verdict"] in ("improved", "regressed"):
                parts.append(f"round {s['round_b']} {'improved on' if s['verdict'] == 'improved' else 'regressed from'}"
                             f" round {s['round_a']} ({s['against']}; {_pts(s['delta'])} F1 points, 95% CI "
                             f"{_ci_text(s['ci95'])}, p after Holm = {format_p(s['p_holm'])})")
        best = max(its, key=lambda it: it["f1"] if it["f1"] is not None else -1.0)
        out.append(f"{fam['title']}: " + "; ".join(parts) + f". Highest mean F1: round {best['round']} "
                   f"({_f(best['f1'])} over {len(best['runs'])} run{'s' if len(best['runs']) != 1 else ''}).")
        for s in fam["steps"]:
            if s.get("signals") == "conflicting":
                ab = s["ab"]
                out.append(f"Conflicting: the metrics say round {s['round_b']} {s['verdict']} against round "
                           f"{s['round_a']}, but A/B session {ab['session_id']} decided for "
                           f"{ab['model_b'] if ab['preferred'] == 'b' else ab['model_a']}; look at the "
                           f"{len(ab.get('look_at') or [])} listed item(s).")
    return out


# ------------------------------------------------------------------------------------------------ the gate

def gate(ws: Workspace, gold: str, baseline: str, candidate: str, *, version: int | None = None,
         min_delta: float | None = None, mode: str = "default", resamples: int = DEFAULT_RESAMPLES,
         seed: int = DEFAULT_SEED, unit: str = "auto", alpha: float = ALPHA) -> dict[str, Any]:
    """Should ``candidate`` replace ``baseline``? For a CI pipeline: ``passed`` and a one-line ``reason``.

    When both models are runs of candidates with 2 or more runs each, the two candidates are compared over all
    their runs (``basis: "runs"``, :func:`evaluator.scoring.iterations.compare_candidates`); otherwise the two
    model artifacts are compared (``basis: "artifacts"``, :func:`evaluator.scoring.compare.compare_models`).
    Without ``min_delta`` the gate passes unless the candidate is significantly worse; with ``min_delta`` (F1 as
    a fraction, 0.01 = one point) it passes only when B − A is at least ``min_delta`` *and* its 95% interval is
    above 0.
    """
    from evaluator.models import runs_of

    runs_a, runs_b = runs_of(ws, baseline), runs_of(ws, candidate)
    basis = "runs" if len(runs_a) >= 2 and len(runs_b) >= 2 else "artifacts"
    if basis == "runs":
        from evaluator.scoring.iterations import compare_candidates

        res = compare_candidates(ws, gold, runs_a, runs_b, version=version, mode=mode, resamples=resamples,
                                 seed=seed, unit=unit, alpha=alpha)
        worse = res["verdict"] == "regressed"
        verdict, p = res["verdict"], res["p"]
        what = (f"{len(runs_b)} runs of {candidate} against {len(runs_a)} runs of {baseline} (mean F1 "
                f"{_f(res['mean_b'])} vs {_f(res['mean_a'])})")
    else:
        from evaluator.report.verdict import headline_p
        from evaluator.scoring.compare import compare_models

        res = compare_models(ws, gold, baseline, candidate, version=version, mode=mode, resamples=resamples,
                             seed=seed, unit=unit)
        verdict = {"b_better": "improved", "a_better": "regressed"}.get(res["verdict"], "inconclusive"
                                                                         if res["verdict"] != "undefined"
                                                                         else "undefined")
        worse, p = res["verdict"] == "a_better", headline_p(res)
        what = f"{candidate} against {baseline} (F1 {_f(res['b'].get('f1'))} vs {_f(res['a'].get('f1'))})"
    delta, (lo, hi) = res.get("delta"), (res.get("ci95") or [None, None])
    numbers = f"B − A = {_pts(delta)} F1 points (95% CI {_ci_text([lo, hi])}, p = {format_p(p)})"
    on = f"on gold:{gold}"
    if verdict == "undefined" or delta is None:
        passed, why = False, f"cannot be compared with {baseline} {on}: F1 is undefined"
    elif min_delta is not None:
        passed = delta >= min_delta and lo is not None and lo > 0
        why = (f"{'improved' if passed else 'did not improve'} on {baseline} by at least {100 * min_delta:.1f} F1 "
               f"points with its interval above 0 {on}")
    else:
        passed = not worse
        why = f"is {'not ' if passed else ''}significantly worse than {baseline} {on}"
    basis_words = "iteration comparison over runs" if basis == "runs" else "artifact comparison (one model each)"
    reason = f"{'PASS' if passed else 'FAIL'}: {candidate} {why} ({numbers}; {basis_words})."
    return {"passed": bool(passed), "reason": reason, "basis": basis, "verdict": verdict, "baseline": baseline,
            "candidate": candidate, "runs_a": [m["name"] for m in runs_a], "runs_b": [m["name"] for m in runs_b],
            "delta": delta, "ci95": [lo, hi], "p": p, "min_delta": min_delta, "comparison": what,
            "gold": gold, "gold_version": res.get("gold_version"), "gold_hash": res.get("gold_hash"),
            "settings": res.get("settings"), "alpha": alpha}


def _f(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


__all__ = ["LIST_LIMIT", "REPORT_FORMAT", "SIGNALS", "ab_beside", "ab_summaries", "build_report", "context",
           "families", "family_key", "family_title", "gate", "headline", "look_at", "pick_gold", "signals",
           "verdict_table"]
