"""Did round N make the model better? Candidates compared over all their runs, round by round.

A *candidate* is (rounds, trainer, config); its *runs* are the models trained from it with different seeds
(:func:`evaluator.models.train_runs`). :func:`compare_rounds` scores every run on a gold set (stored predictions,
computed once) and compares each round's candidate with the previous round's over all their runs with
:func:`evaluator.stats.iteration.compare_runs`: the mean F1 over runs, a two-level bootstrap over runs and gold
documents, ASO as a second signal. The p-values of the steps are Holm-corrected; a step is ``improved`` or
``regressed`` only when its corrected p is below alpha and its interval excludes 0. With one run on a side of a
stochastic trainer a step is never decided: its result is the comparison of two artifacts, labelled as such.

Results are stored (kind ``iteration``) keyed by the gold content hash, the artifact hashes of every run and the
settings.

>>> compare_rounds(ws, "test", trainer="spacy-ner")["steps"][0]["verdict"]      # doctest: +SKIP
'improved'
"""
from __future__ import annotations

import json
import threading
from typing import Any, Sequence

from evaluator.errors import ConfigError, NotFoundError
from evaluator.progress import Progress, check_cancel, report
from evaluator.stats import DEFAULT_RESAMPLES, DEFAULT_SEED
from evaluator.workspace import Workspace

ALPHA = 0.05


def candidates(ws: Workspace, *, trainer: str | None = None, config: dict[str, Any] | None = None,
               cumulative: bool = True) -> dict[int, list[dict[str, Any]]]:
    """round -> the runs (model descriptions, by seed) of the candidate (trainer, config, round mode)."""
    from evaluator.models import list_models
    from evaluator.training.base import trainer_for

    tr = trainer_for(ws.task, trainer)
    want = json.dumps(config or {}, sort_keys=True, default=str)
    out: dict[int, list[dict[str, Any]]] = {}
    for m in list_models(ws):
        cfg = m.get("config") or {}
        if (m["kind"] == "trained" and m["trainer"] == tr.name and m["round"] is not None
                and bool(cfg.get("cumulative", True)) == cumulative
                and json.dumps(cfg.get("overrides") or {}, sort_keys=True, default=str) == want):
            out.setdefault(int(m["round"]), []).append(m)
    return {r: sorted(ms, key=lambda m: (m["seed"] or 0, m["id"])) for r, ms in sorted(out.items())}


def _other_candidates(ws: Workspace) -> str:
    """The candidates that have runs, in words: ``spacy-ner (rounds 1, 3), crf-ner --config {...} (rounds 2)``."""
    from evaluator.models import list_models

    seen: dict[tuple, set] = {}
    for m in list_models(ws):
        if m["kind"] == "trained" and m["round"] is not None:
            cfg = m.get("config") or {}
            key = (m["trainer"], json.dumps(cfg.get("overrides") or {}, sort_keys=True),
                   bool(cfg.get("cumulative", True)))
            seen.setdefault(key, set()).add(m["round"])
    return "; ".join(f"{t}" + (f" --config '{c}'" if c != "{}" else "") + ("" if cum else " --only-round")
                     + f" (rounds {', '.join(map(str, sorted(r)))})" for (t, c, cum), r in sorted(seen.items()))


def compare_rounds(ws: Workspace, gold: str, *, trainer: str | None = None, rounds: Sequence[int] | None = None,
                   config: dict[str, Any] | None = None, cumulative: bool = True, version: int | None = None,
                   mode: str = "default", scheme: str | None = None, resamples: int = DEFAULT_RESAMPLES,
                   seed: int = DEFAULT_SEED, unit: str = "auto", alpha: float = ALPHA,
                   pairs: Sequence[tuple[int, int]] | None = None, scored: dict[str, Any] | None = None,
                   progress: Progress | None = None, cancel: threading.Event | None = None) -> dict[str, Any]:
    """Each round's candidate against the previous round's, over all their runs, Holm-corrected across steps.

    ``rounds`` (default: every round with runs) are compared in order, k against k-1; ``pairs`` (``[(a, b),
    ...]``) names the steps instead (round b against round a). Returns ``{"gold", "gold_version", "gold_hash",
    "trainer", "config", "settings", "unit", "candidates" ({round: [run names]}), "steps"}``; each step has
    ``round_a``, ``round_b``, ``runs_a``, ``runs_b`` (names), ``mean_a``, ``mean_b``, ``delta``, ``ci95``, ``p``
    (two-level), ``p_holm``, ``aso``, ``kind`` (``runs`` or ``artifacts``), ``verdict`` (``improved``,
    ``regressed``, ``inconclusive``, ``undefined``), ``reason``, ``settle`` and ``sentences``. With a ``scored``
    dict, each run's counts on the gold set are put there by name (and taken from there when present).
    """
    from evaluator.gold import gold_records
    from evaluator.training.base import trainer_for

    tr = trainer_for(ws.task, trainer)
    by_round = candidates(ws, trainer=tr.name, config=config, cumulative=cumulative)
    if pairs is not None:
        pairs = [(int(a), int(b)) for a, b in pairs]
        wanted = sorted({r for p in pairs for r in p})
    else:
        wanted = sorted(by_round) if rounds is None else [int(r) for r in rounds]
    missing = [r for r in wanted if r not in by_round]
    if missing:
        raise NotFoundError(f"No run of {tr.name} on round(s) {', '.join(map(str, missing))}"
                            + (" with this config" if config else "") + ".",
                            hint=f"train them: evaluator train --round {missing[0]} --trainer {tr.name} --seeds 3")
    if len(wanted) < 2:
        others = _other_candidates(ws)
        raise ConfigError(f"Comparing rounds needs runs of {tr.name}"
                          + (f" with config {json.dumps(config)}" if config else "")
                          + f" on at least two rounds (found: {', '.join(map(str, wanted)) or 'none'}).",
                          hint=f"train another round: evaluator train --round N --trainer {tr.name} --seeds 3"
                               + (f"; runs exist for: {others}" if others else ""))
    pairs = pairs if pairs is not None else list(zip(wanted, wanted[1:]))
    info, gold_recs = gold_records(ws, gold, version=version)
    scored = {} if scored is None else scored
    every = [m for r in wanted for m in by_round[r]]
    total = len(every) + len(pairs)
    steps = []
    for k, (ra, rb) in enumerate(pairs):
        check_cancel(cancel, "Comparing rounds")
        step = compare_candidates(ws, gold, by_round[ra], by_round[rb], version=version, mode=mode, scheme=scheme,
                                  resamples=resamples, seed=seed, unit=unit, alpha=alpha, scored=scored,
                                  gold_data=(info, gold_recs), cancel=cancel,
                                  progress=lambda d, t, m, k=k: report(progress, len(scored) + k, total, m))
        steps.append({**step, "round_a": ra, "round_b": rb})
    holm_steps(steps, alpha=alpha)
    report(progress, 1, 1, "compared")
    first = steps[0]
    return {"gold": gold, "gold_version": info["version"], "gold_hash": info["gold_hash"], "trainer": tr.name,
            "config": config or {}, "cumulative": cumulative, "settings": first["settings"],
            "unit": first["unit"], "candidates": {r: [m["name"] for m in by_round[r]] for r in wanted},
            "steps": steps}


def compare_candidates(ws: Workspace, gold: str, runs_a: Sequence[dict[str, Any]], runs_b: Sequence[dict[str, Any]],
                       *, version: int | None = None, mode: str = "default", scheme: str | None = None,
                       resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, unit: str = "auto",
                       alpha: float = ALPHA, scored: dict[str, Any] | None = None,
                       gold_data: tuple[dict, list] | None = None, progress: Progress | None = None,
                       cancel: threading.Event | None = None) -> dict[str, Any]:
    """Candidate B (its runs: model descriptions from :func:`evaluator.models.list_models`) against candidate A
    over all their runs: :func:`evaluator.stats.iteration.compare_runs` on the runs' counts on a gold set.

    Stored (kind ``iteration``) keyed by the gold content hash, every run's artifact hash and the settings. Returns
    the compare_runs result plus ``runs_a``/``runs_b`` (names), ``mean_a``/``mean_b``, ``settings``, ``reused``
    and ``sentences`` (uncorrected; :func:`holm_steps` rewords a chain). ``scored`` caches counts by run name.
    """
    from evaluator.gold import gold_records
    from evaluator.report.verdict import describe_iteration
    from evaluator.results import get_result, put_result, result_key
    from evaluator.scoring.evaluate import resampling_groups, scoring_settings
    from evaluator.stats.iteration import compare_runs

    settings = {**scoring_settings(ws, mode=mode, scheme=scheme, resamples=resamples, seed=seed, unit=unit),
                "alpha": float(alpha)}
    info, gold_recs = gold_data if gold_data is not None else gold_records(ws, gold, version=version)
    groups, unit_used = resampling_groups(gold_recs, settings["unit"])
    deterministic = all((m["config"] or {}).get("deterministic") for m in [*runs_a, *runs_b])
    key = result_key({"kind": "iteration", "gold_hash": info["gold_hash"], "settings": settings,
                      "a": sorted(m["artifact_hash"] for m in runs_a),
                      "b": sorted(m["artifact_hash"] for m in runs_b), "deterministic": deterministic})
    hit = get_result(ws, "iteration", key)
    res = hit.payload
    if res is None:  # the runs are scored only when the comparison is not stored yet
        scored = score_runs(ws, gold, [*runs_a, *runs_b], gold_data=(info, gold_recs), settings=settings,
                            scored=scored, progress=progress, cancel=cancel)
        report(progress, len(scored), None, f"{runs_b[0]['name']} against {runs_a[0]['name']}")
        res = compare_runs([scored[m["name"]] for m in runs_a], [scored[m["name"]] for m in runs_b],
                           resamples=settings["resamples"], seed=settings["seed"], groups=groups,
                           alpha=alpha, stochastic=not deterministic, unit=unit_used)
        res = put_result(ws, "iteration", key, res, settings=settings, collection_id=info["id"],
                         gold_hash=info["gold_hash"],
                         artifacts={"a": [m["artifact_hash"] for m in runs_a],
                                    "b": [m["artifact_hash"] for m in runs_b]})
    step = {**res, "runs_a": [m["name"] for m in runs_a], "runs_b": [m["name"] for m in runs_b],
            "mean_a": (res.get("mean") or {}).get("a"), "mean_b": (res.get("mean") or {}).get("b"),
            "settings": settings, "unit": unit_used, "reused": hit.payload is not None,
            **({"note": hit.refused} if hit.refused else {})}
    step["sentences"] = describe_iteration(step, name_a=runs_a[0]["name"], name_b=runs_b[0]["name"])
    return step


def score_runs(ws: Workspace, gold: str, runs: Sequence[dict[str, Any]], *, gold_data: tuple[dict, list],
               settings: dict[str, Any], scored: dict[str, Any] | None = None, progress: Progress | None = None,
               cancel: threading.Event | None = None) -> dict[str, Any]:
    """Run name -> its counts on the gold set (``gold_data``: ``(info, records)`` of
    :func:`evaluator.gold.gold_records`), from stored predictions (computed when missing); runs already in
    ``scored`` are not scored again. Returns ``scored`` (filled in)."""
    from evaluator.predictions import predictions_for
    from evaluator.scoring.evaluate import counts_for

    info, gold_recs = gold_data
    target = f"gold:{gold}@{info['version']}"
    scored = {} if scored is None else scored
    for m in runs:
        if m["name"] not in scored:
            check_cancel(cancel, "Scoring runs")
            report(progress, len(scored), None, f"scoring {m['name']} on gold:{gold}")
            preds = predictions_for(ws, m["name"], target, gold_recs, cancel=cancel)
            scored[m["name"]] = counts_for(ws.task, gold_recs, preds, labels=ws.labels, mode=settings["mode"],
                                           scheme=settings["scheme"], lang=ws.lang)
    return scored


def holm_steps(steps: list[dict[str, Any]], *, alpha: float = ALPHA) -> list[dict[str, Any]]:
    """Holm-correct the two-level p-values of iteration steps (in place, also returned): ``p_holm`` is set, a
    step stays ``improved``/``regressed`` only when ``p_holm < alpha`` and its interval excludes 0, and its
    ``sentences`` are reworded (names: ``round k``, or the first run's name for steps without rounds)."""
    from evaluator.report.verdict import describe_iteration
    from evaluator.stats import holm

    adjusted = holm([s["p"] for s in steps])
    for s, ph in zip(steps, adjusted):
        s["p_holm"] = ph
        lo, hi = s["ci95"] if s.get("ci95") else (None, None)
        if s["verdict"] in ("improved", "regressed") and not (ph is not None and ph < alpha
                                                               and lo is not None and (lo > 0 or hi < 0)):
            s["verdict"] = "inconclusive"
            s["reason"] = f"not significant after Holm correction across {len(steps)} steps (p = {ph:.3g})"
        names = [f"round {s['round_a']}", f"round {s['round_b']}"] if "round_a" in s else [s["runs_a"][0],
                                                                                           s["runs_b"][0]]
        s["sentences"] = describe_iteration({**s, "p_holm": ph, "tests": len(steps)}, name_a=names[0],
                                            name_b=names[1])
    return steps


__all__ = ["ALPHA", "candidates", "compare_candidates", "compare_rounds", "holm_steps", "score_runs"]
