"""Training commands: train, trainers, models, model add/rename/delete, predict, evaluate, curve.

Thin wrappers over :mod:`evaluator.models`, :mod:`evaluator.predictions` and :mod:`evaluator.scoring` (the
Train and Evaluate pages call the same functions).
"""
from __future__ import annotations

from pathlib import Path

import click

from evaluator.cli import announce_workspace, emit, gold_option, json_option, main, progress_bar, unit_option, workspace_options
from evaluator.errors import ConfigError


def _config(value: str | None) -> dict | None:
    """``--config``: a JSON object or the path of a JSON file."""
    from evaluator.training.base import parse_config_overrides
    try:
        return parse_config_overrides(value, allow_file=True)
    except ConfigError as err:
        raise ConfigError(f"--config: {err.message}", hint=err.hint) from None


def _floats(value: str) -> list[float]:
    try:
        return [float(x) for x in value.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"Bad list of numbers {value!r}.", hint="e.g. 0.25,0.5,0.75,1") from None


def _ints(value: str) -> list[int]:
    try:
        return [int(x) for x in value.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"Bad list of integers {value!r}.", hint="e.g. 0,1,2") from None


def _seeds(value: str) -> list[int]:
    """``--seeds``: a count (``3`` = seeds 0, 1, 2) or a comma-separated list."""
    value = value.strip()
    if value.isdigit() and "," not in value:
        n = int(value)
        if n < 1:
            raise ConfigError("--seeds 0 trains nothing.", hint="e.g. --seeds 3")
        return list(range(n))
    return _ints(value)


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.3f}"


@main.command()
@click.option("--round", "round_", type=int, required=True, help="Train on rounds 1..N (see --only-round).")
@click.option("--trainer", default=None, help="Trainer name (see `evaluator trainers`); default by task: "
                                              "spacy-ner or sklearn-textcat.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (data split, initialisation).")
@click.option("--seeds", default=None, metavar="N|S1,S2,...",
              help="Train several runs (one model per seed) so that an iteration can be told from seed luck: a "
                   "count (3 = seeds 0,1,2) or a list (0,1,2). Existing runs are kept; a deterministic trainer is "
                   "trained once.")
@click.option("--only-round", is_flag=True, help="Train on round N only instead of rounds 1..N.")
@click.option("--name", default=None, help="Model name (default: round-<N>-<trainer>).")
@click.option("--config", "config", default=None,
              help='Trainer config overrides: JSON object or JSON file, e.g. \'{"training.max_steps": 500}\'.')
@click.option("--base-model", type=click.Path(exists=True, file_okay=False), default=None,
              help="spacy-ner/spacy-textcat: start from this spaCy pipeline folder instead of a blank one.")
@workspace_options
@json_option
def train(ws, round_, trainer, seed, seeds, only_round, name, config, base_model, as_json):
    """Train a model on the accepted annotations of a round and register it (with --seeds: one model per seed).

    \b
    Examples:
      evaluator train --round 3
      evaluator train --round 3 --seeds 3              # round-3-spacy-ner, -s1, -s2
      evaluator train --round 3 --trainer crf-ner --json
      evaluator train --round 2 --base-model training/model-best --name round-2-from-base
    """
    from evaluator.models import run_name, train_round, train_runs

    cfg = _config(config)
    if base_model:
        cfg = {**(cfg or {}), "base_model": str(Path(base_model).resolve())}
    if seeds is not None:
        seed_list = _seeds(seeds)
        with progress_bar("train", quiet=as_json) as progress:
            res = train_runs(ws, round_, seeds=seed_list, trainer=trainer, cumulative=not only_round, config=cfg,
                             name=name, progress=progress)

        def human_runs(d):
            for m in d["runs"]:
                click.echo(f"{m['name']:<32} seed {m['seed']:<4} artifact {m['artifact_hash'][:12]}"
                           + ("  (kept from before)" if m["name"] in d["reused"] else ""))
            click.echo(d["message"])

        emit(res, as_json, human_runs)
        return
    if name is None and seed != 0:
        from evaluator.training.base import trainer_for
        tname = trainer_for(ws.task, trainer).name
        name = run_name(f"round-{round_}-{tname}" if not only_round else f"round-{round_}-only-{tname}", seed)
    with progress_bar("train", quiet=as_json) as progress:
        res = train_round(ws, round_, trainer=trainer, seed=seed, cumulative=not only_round, config=cfg,
                          name=name, progress=progress)
    out = {k: res[k] for k in ("name", "trainer", "round", "lineage", "train_hash", "counts", "seconds", "seed",
                               "artifact_hash", "versions")}
    out["config"] = res["config"]
    out["warnings"] = res.get("warnings", [])

    def human(d):
        parent = d["lineage"]["parent"] or "none"
        labels = ", ".join(f"{k} {v}" for k, v in d["counts"]["labels"].items())
        click.echo(f"trained {d['name']} ({d['trainer']}) on rounds {d['lineage']['rounds']}: "
                   f"{d['counts']['examples']} examples ({labels}) in {d['seconds']:.1f}s; parent {parent}; "
                   f"training data {d['train_hash'][:12]}")
        for w in d["warnings"][:5]:
            click.echo(f"  warning: {w}", err=True)

    emit(out, as_json, human)


@main.command()
@click.option("--task", type=click.Choice(["ner", "textcat"]), default=None, help="Only trainers for this task.")
@json_option
def trainers(task, as_json):
    """List the registered trainers and their default configs.

    \b
    Example:
      evaluator trainers --task ner
    """
    from evaluator.training.base import list_trainers

    data = [{"name": t.name, "task": t.task, "description": t.description, "defaults": t.default_config()}
            for t in list_trainers(task=task)]
    emit(data, as_json, lambda d: [click.echo(f"{t['name']:<16} {t['task']:<8} {t['description']}") for t in d])


@main.command()
@workspace_options
@json_option
def models(ws, as_json):
    """List the models with their lineage and training data.

    \b
    Example:
      evaluator models --json
    """
    from evaluator.models import list_models

    data = list_models(ws)

    def human(rows):
        if not rows:
            click.echo("no models yet; train one with: evaluator train --round 1")
            return
        click.echo(f"{'name':<28} {'kind':<11} {'trainer':<16} {'round':>5} {'parent':<24} {'examples':>8} "
                   f"{'seconds':>8} {'predictions':>11}")
        for r in rows:
            ex = (r["counts"] or {}).get("examples", "-")
            sec = f"{r['seconds']:.1f}" if r["seconds"] is not None else "-"
            click.echo(f"{r['name']:<28} {r['kind']:<11} {r['trainer'] or '-':<16} {r['round'] or '-':>5} "
                       f"{r['lineage']['parent'] or '-':<24} {ex:>8} {sec:>8} {r['predictions']:>11}")

    emit(data, as_json, human)


@main.group()
def model():
    """Register, rename or delete models.

    \b
    Examples:
      evaluator model add training/model-best --name my-spacy
      evaluator model rename round-3-spacy-ner candidate
      evaluator model delete candidate --yes
    """


@model.command("add")
@click.argument("path", type=click.Path(exists=True))
@click.option("--name", required=True, help="Name of the model in the registry.")
@click.option("--format", "fmt", default=None,
              help="Format of a predictions file (see `evaluator formats`); detected when omitted.")
@workspace_options
@json_option
def model_add(ws, path, name, fmt, as_json):
    """Register a model trained elsewhere: a spaCy pipeline folder or a predictions file.

    \b
    Examples:
      evaluator model add training/model-best --name my-spacy
      evaluator model add llm_predictions.jsonl --name gpt-zero-shot --format prodigy-jsonl
    """
    from evaluator.models import add_model

    res = add_model(ws, path, name=name, format=fmt)
    emit(res, as_json, lambda d: click.echo(f"registered {d['name']} ({d['kind']}), artifact {d['artifact_hash'][:12]}"))


@model.command("rename")
@click.argument("name")
@click.argument("new_name")
@workspace_options
@json_option
def model_rename(ws, name, new_name, as_json):
    """Rename model NAME to NEW_NAME (predictions and scores stay attached).

    \b
    Example:
      evaluator model rename round-3-spacy-ner candidate
    """
    from evaluator.models import rename_model

    res = rename_model(ws, name, new_name)
    emit(res, as_json, lambda d: click.echo(f"renamed {name} to {d['name']}"))


@model.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@workspace_options
@json_option
def model_delete(ws, name, yes, as_json):
    """Delete model NAME, its predictions, evaluations and artifact folder.

    \b
    Example:
      evaluator model delete round-1-crf-ner --yes
    """
    from evaluator.models import delete_model

    if not yes and not as_json:
        announce_workspace()  # say which workspace before asking
        click.confirm(f"Delete model {name} and its artifact?", abort=True, err=True)
    res = delete_model(ws, name)
    emit(res, as_json, lambda d: click.echo(f"deleted {d['name']}"))


@main.command("predict")
@click.option("--model", "model_name", required=True, help="Model name (see `evaluator models`).")
@click.option("--on", "target", required=True, help="gold:NAME, pool or round:N.")
@click.option("--batch-size", type=int, default=256, show_default=True, help="Examples per nlp.pipe batch.")
@workspace_options
@json_option
def predict_cmd(ws, model_name, target, batch_size, as_json):
    """Predict the examples of a target with a model (stored and reused).

    \b
    Example:
      evaluator predict --model round-3-spacy-ner --on pool
    """
    from evaluator.predictions import predict

    with progress_bar("predict", quiet=as_json) as progress:
        res = predict(ws, model_name, target, batch_size=batch_size, progress=progress)
    emit(res, as_json, lambda d: click.echo(
        f"{d['model']} on {d['target']}: {d['examples']} examples, {d['computed']} predicted, "
        f"{d['reused']} reused ({d['seconds']:.1f}s)"))


@main.command("evaluate")
@gold_option()
@click.option("--models", "models_", default="all", show_default=True, help="all, or model names A,B.")
@click.option("--mode", default="default", show_default=True, type=click.Choice(["default", "strict"]),
              help="NER entity matching: default (conlleval) or strict (scheme-checked).")
@click.option("--scheme", default=None, help="Tagging scheme for strict mode (IOB2, IOBES, BILOU).")
@click.option("--resamples", type=int, default=10_000, show_default=True, help="Bootstrap resamples for intervals.")
@click.option("--seed", type=int, default=12345, show_default=True, help="Bootstrap seed.")
@unit_option
@workspace_options
@json_option
def evaluate_cmd(ws, gold, models_, mode, scheme, resamples, seed, unit, as_json):
    """Score models on a gold set (predicting what is missing; results are stored and reused).

    \b
    Example:
      evaluator evaluate --gold test --models round-1-spacy-ner,round-3-spacy-ner --json
      evaluator evaluate --gold test@2
    """
    from evaluator.scoring.evaluate import evaluate_models

    name, ver = gold
    # with --models all, a model that cannot be scored is reported and the others are still scored
    skipped: list | None = [] if models_ in (None, "all") else None
    with progress_bar("evaluate", quiet=as_json) as progress:
        res = evaluate_models(ws, name, models=models_, mode=mode, scheme=scheme, resamples=resamples, seed=seed,
                              version=ver, unit=unit, progress=progress, skipped=skipped)

    def human(rows):
        version = f" v{rows[0]['gold_version']}" if rows and rows[0].get("gold_version") else ""
        click.echo(f"gold:{name}{version}  ({rows[0]['documents'] if rows else 0} documents)")
        click.echo(f"{'model':<28} {'micro P':>8} {'micro R':>8} {'micro F1':>8} {'95% CI':>17} {'macro F1':>8}")
        for r in rows:
            lo, hi = (r.get("ci95") or {}).get("micro_f1") or (None, None)
            click.echo(f"{r['model']:<28} {_fmt(r['micro']['precision']):>8} {_fmt(r['micro']['recall']):>8} "
                       f"{_fmt(r['micro']['f1']):>8} {'[' + _fmt(lo) + ', ' + _fmt(hi) + ']':>17} "
                       f"{_fmt(r['macro']['f1']):>8}")

    for item in skipped or []:
        click.echo(f"warning: model {item['model']} was not scored: {item['error']}"
                   + (f" Fix: {item['hint']}" if item.get("hint") else ""), err=True)
    if not res:
        raise ConfigError(f"None of the {len(skipped or [])} model(s) could be scored on gold:{name}.",
                          hint="see the warnings above")
    emit(res, as_json, human)


@main.command()
@click.option("--trainer", default=None, help="Trainer name (default by task).")
@click.option("--round", "round_", type=int, default=None, help="Use rounds 1..N (default: all rounds).")
@click.option("--gold", default=None, help="Gold set to score on (default: the only one).")
@click.option("--fractions", default="0.25,0.5,0.75,1", show_default=True, help="Nested training fractions.")
@click.option("--seeds", default="0,1,2", show_default=True, help="Seeds (at least 3).")
@click.option("--config", "config", default=None, help="Trainer config overrides (JSON object or file).")
@workspace_options
@json_option
def curve(ws, trainer, round_, gold, fractions, seeds, config, as_json):
    """Learning curve: will more data help? Trains on nested subsets with several seeds.

    \b
    Example:
      evaluator curve --trainer crf-ner --json
    """
    from evaluator.scoring.curves import learning_curve

    with progress_bar("curve", quiet=as_json) as progress:
        res = learning_curve(ws, trainer=trainer, round=round_, fractions=_floats(fractions), seeds=_ints(seeds),
                             gold=gold, config=_config(config), progress=progress)

    def human(d):
        click.echo(f"learning curve of {d['trainer']} on rounds 1..{d['round']} ({d['examples']} examples), "
                   f"scored on gold:{d['gold']} ({d['metric']})")
        click.echo(f"{'fraction':>8} {'examples':>8} {'mean':>7} {'min':>7} {'max':>7}")
        for p in d["points"]:
            click.echo(f"{p['fraction']:>8.2f} {p['examples']:>8} {_fmt(p['mean']):>7} {_fmt(p['min']):>7} "
                       f"{_fmt(p['max']):>7}")
        click.echo(f"verdict: {d['verdict']}: {d['reason']}")

    emit(res, as_json, human)
