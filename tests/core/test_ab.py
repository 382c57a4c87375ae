"""Blind A/B sessions (evaluator.ab) on a text-classification workspace whose "models" are prediction files with
known quality, judged by simulated annotators: an oracle, a position-biased judge, a team of processes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from scipy.stats import binomtest

from evaluator import ab, db
from evaluator.errors import AlreadyExistsError, ConfigError, NotFoundError

REPO = Path(__file__).resolve().parents[2]
LABELS = ["business", "politics", "sport", "tech"]
WORDS = ["river", "market", "engine", "garden", "signal", "harbor", "ticket", "violin", "planet", "basket"]


def _text(i: int, kind: str) -> str:
    return f"{kind} note {i}: the {WORDS[i % 10]} near the {WORDS[(i // 10) % 10]} moved {i * 7 % 13} times."


def _jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def build(root: Path, *, gold: int = 200, pool: int = 0, db_url: str | None = None):
    """Workspace with gold:g (``gold`` texts), a pool, and models: ``good`` (the gold label), ``bad`` (always
    wrong), ``half`` (right on even texts), ``twin`` (= good except on every fourth text)."""
    from evaluator.gold import freeze
    from evaluator.importer import import_file
    from evaluator.models import add_model
    from evaluator.workspace import init_workspace

    ws = init_workspace(root / "ws", task="textcat", labels=LABELS, db_url=db_url)
    g = [(_text(i, "gold"), LABELS[i % 4]) for i in range(gold)]
    p = [(_text(i, "pool"), LABELS[i % 4]) for i in range(pool)]
    import_file(ws, _jsonl(root / "gold.jsonl", [{"text": t, "label": lab} for t, lab in g]), into="gold:g",
                format="textcat-jsonl")
    freeze(ws, "g")
    if pool:
        import_file(ws, _jsonl(root / "pool.jsonl", [{"text": t} for t, _ in p]), into="pool", format="textcat-jsonl")
    every = g + p
    wrong = {lab: LABELS[(LABELS.index(lab) + 1) % 4] for lab in LABELS}
    models = {
        "good": [lab for _, lab in every],
        "bad": [wrong[lab] for _, lab in every],
        "half": [lab if i % 2 == 0 else wrong[wrong[lab]] for i, (_, lab) in enumerate(every)],
        "twin": [lab if i % 4 else wrong[lab] for i, (_, lab) in enumerate(every)],
    }
    for name, labels in models.items():
        path = _jsonl(root / f"{name}.jsonl", [{"text": t, "label": lab} for (t, _), lab in zip(every, labels)])
        add_model(ws, path, name=name, format="textcat-jsonl")
    return ws, dict(g)


@pytest.fixture
def small(tmp_path):
    return build(tmp_path, gold=120)


def _model_of(ws, sid, item, side):
    """Which model produced a side's output: read from the server's own row (the annotator never sees it)."""
    with ws.engine.connect() as conn:
        row = conn.execute(sa.select(db.ab_items).where(db.ab_items.c.token == item["item_id"])).mappings().one()
        sess = conn.execute(sa.select(db.ab_sessions).where(db.ab_sessions.c.id == sid)).mappings().one()
    return sess["models"][row[f"{side}_model"]]["name"]


def _run(ws, sid, who, decide, limit=10_000):
    """Judge until done (or ``limit``): ``decide(item) -> choice``."""
    n = 0
    while n < limit:
        item = ab.next_item(ws, sid, who)
        if item["done"]:
            break
        ab.judge(ws, sid, item["item_id"], who, decide(item))
        n += 1
    return n


# ------------------------------------------------------------------------------------------------ basics

def test_identical_outputs_are_skipped_and_counted(small):
    ws, gold = small
    s = ab.start_session(ws, ["good", "twin"], source="gold:g", seed=1, overlap=0)
    judged = _run(ws, s["session_id"], "ann", lambda item: "left")
    res = ab.results(ws, s["session_id"])
    assert judged == 30 and res["items"]["skipped_identical"] == 90  # twin differs on every fourth text only
    assert res["items"]["drawn"] == 120 and res["items"]["judged"] == 30


def test_next_item_names_no_model(small):
    ws, _ = small
    from evaluator.models import list_models

    s = ab.start_session(ws, ["good", "bad"], source="gold:g", seed=0)
    item = ab.next_item(ws, s["session_id"], "ann")
    shown = json.dumps(item)
    for m in list_models(ws):
        for secret in (m["name"], m["artifact_hash"], m["artifact_hash"][:12], m["artifact_path"]):
            assert secret not in shown
    assert set(item) == {"done", "session_id", "item_id", "task", "text", "left", "right", "progress", "resumed"}
    assert set(item["left"]) == {"label"} and set(item["progress"]) == {"judged_by_you", "cap"}
    # item ids are random tokens: not sequential, not the same for the same seed in another session
    again = ab.start_session(ws, ["good", "bad"], source="gold:g", seed=0)
    other = ab.next_item(ws, again["session_id"], "ann")
    assert other["text"] == item["text"] and other["item_id"] != item["item_id"]
    assert len(item["item_id"]) == 16 and not item["item_id"].isdigit()


def test_resume_undo_idempotent_and_conflicting_judgments(small):
    ws, _ = small
    sid = ab.start_session(ws, ["good", "bad"], source="gold:g", overlap=0)["session_id"]
    first = ab.next_item(ws, sid, "ann")
    again = ab.next_item(ws, sid, "ann")  # not answered: the same item, resumed
    assert again["item_id"] == first["item_id"] and again["resumed"]
    assert ab.judge(ws, sid, first["item_id"], "ann", "left")["stored"]
    assert not ab.judge(ws, sid, first["item_id"], "ann", "left")["stored"]  # idempotent
    with pytest.raises(AlreadyExistsError):
        ab.judge(ws, sid, first["item_id"], "ann", "right")
    second = ab.next_item(ws, sid, "ann")
    assert second["item_id"] != first["item_id"]
    assert ab.undo(ws, sid, "ann")["undone"] == first["item_id"]
    back = ab.next_item(ws, sid, "ann")
    assert back["item_id"] == first["item_id"]
    assert ab.judge(ws, sid, first["item_id"], "ann", "right", comment="changed my mind")["stored"]
    with ws.engine.connect() as conn:
        rows = conn.execute(sa.select(db.ab_judgments.c.choice, db.ab_judgments.c.comment)
                            .where(db.ab_judgments.c.session_id == sid, db.ab_judgments.c.choice.is_not(None))).all()
    assert rows == [("right", "changed my mind")]
    # the item served before the undo went back to the pool of open items
    assert ab.next_item(ws, sid, "ann")["item_id"] == second["item_id"]
    assert ab.undo(ws, sid, "nobody")["undone"] is None
    with pytest.raises(NotFoundError):
        ab.judge(ws, sid, "0123456789abcdef", "ann", "left")
    with pytest.raises(ConfigError):
        ab.judge(ws, sid, first["item_id"], "ann", "maybe")


def test_cap_and_bad_settings(small):
    ws, _ = small
    sid = ab.start_session(ws, ["good", "bad"], source="gold:g", max_items=7, overlap=0)["session_id"]
    assert _run(ws, sid, "ann", lambda item: "tie") == 7
    assert ab.next_item(ws, sid, "ann")["done"]
    with pytest.raises(ConfigError):
        ab.start_session(ws, ["good"], source="gold:g")
    with pytest.raises(ConfigError):
        ab.start_session(ws, ["good", "good"], source="gold:g")
    with pytest.raises(NotFoundError):
        ab.start_session(ws, ["good", "nope"], source="gold:g")
    with pytest.raises(NotFoundError):
        ab.start_session(ws, ["good", "bad"], source="round:4")
    with pytest.raises(NotFoundError):
        ab.results(ws, 999)


# ------------------------------------------------------------------------------------------------ statistics

def test_an_oracle_with_win_rate_078_is_decided_early_and_agrees_with_gold(tmp_path):
    """Simulated oracle: prefers the output closer to gold with probability 0.78, through real sessions."""
    ws, gold = build(tmp_path, gold=200)
    used, rng = [], np.random.default_rng(0)
    for seed in range(5):
        sid = ab.start_session(ws, ["good", "bad"], source="gold:g", seed=seed, overlap=0)["session_id"]
        n = 0
        while True:
            item = ab.next_item(ws, sid, "oracle")
            assert not item["done"]
            truth = gold[item["text"]]
            better = "left" if item["left"]["label"] == truth else "right"
            worse = "right" if better == "left" else "left"
            ab.judge(ws, sid, item["item_id"], "oracle", better if rng.random() < 0.78 else worse)
            n += 1
            res = ab.results(ws, sid, reveal=True)
            if res["stop"]:
                break
        used.append(n)
        assert res["pairs"][0]["preferred"] == "good" and "You can stop" in res["verdict"]
        assert res["gold_check"]["share"] == pytest.approx(res["pairs"][0]["win_rate"]
                                                           if res["pairs"][0]["a"] == "good"
                                                           else 1 - res["pairs"][0]["win_rate"])
    print(f"\noracle at 0.78 through real sessions: decided after {sorted(used)} judgments "
          f"(median {np.median(used):.0f})")
    assert np.median(used) < 50


def test_a_position_biased_annotator_is_flagged_and_sides_are_balanced(tmp_path):
    ws, gold = build(tmp_path, gold=400)
    sid = ab.start_session(ws, ["good", "bad"], source="gold:g", seed=3, overlap=0)["session_id"]
    rng = np.random.default_rng(1)
    _run(ws, sid, "fair", lambda item: "left" if item["left"]["label"] == gold[item["text"]] else "right", 200)
    _run(ws, sid, "lefty", lambda item: "left" if rng.random() < 0.8 else "right", 200)
    res = ab.results(ws, sid)
    rows = {r["annotator"]: r for r in res["position_bias"]["per_annotator"]}
    assert rows["lefty"]["flagged"] and not rows["fair"]["flagged"]
    # over a long session each model is on the left about half of the time (seeded coin per item)
    for p in res["placement"]:
        assert p["items"] == 400 and binomtest(p["left"], p["items"]).pvalue > 0.01
    assert res["placement"][0]["left"] + res["placement"][1]["left"] == 400


def test_agreement_is_coded_by_system_not_by_side(small):
    """Two annotators on shared items; each answers by system (A knows the good one, B prefers it 2 times in 3)."""
    from sklearn.metrics import cohen_kappa_score

    ws, gold = small
    sid = ab.start_session(ws, ["good", "half"], source="gold:g", seed=2, overlap=1.0)["session_id"]
    rng = np.random.default_rng(4)
    codes: dict[str, dict[str, str]] = {"a": {}, "b": {}}

    def decider(who):
        def decide(item):
            sides = {s: _model_of(ws, sid, item, s) for s in ("left", "right")}
            want = "good" if who == "a" or rng.random() < 2 / 3 else "half"
            choice = next(s for s, m in sides.items() if m == want)
            codes[who][item["item_id"]] = want
            return choice
        return decide

    _run(ws, sid, "a", decider("a"))
    _run(ws, sid, "b", decider("b"))
    both = sorted(set(codes["a"]) & set(codes["b"]))
    assert len(both) == 60  # "half" differs from "good" on odd texts only
    res = ab.results(ws, sid, reveal=True)
    ref = cohen_kappa_score([codes["a"][i] for i in both], [codes["b"][i] for i in both])
    assert res["agreement"]["method"] == "cohen_kappa" and res["agreement"]["items"] == 60
    assert res["agreement"]["value"] == pytest.approx(ref) if not np.isnan(ref) else res["agreement"]["value"] is None
    assert res["items"]["shared_judged"] == 60


def test_three_models_get_a_ranking_with_intervals(small):
    ws, gold = small
    sid = ab.start_session(ws, ["half", "bad", "good"], source="gold:g", seed=5, overlap=0)["session_id"]
    rng = np.random.default_rng(2)

    def oracle(item):
        right = {s: item[s]["label"] == gold[item["text"]] for s in ("left", "right")}
        if right["left"] == right["right"]:
            return "tie"
        better = "left" if right["left"] else "right"
        return better if rng.random() < 0.9 else ("right" if better == "left" else "left")

    _run(ws, sid, "ann", oracle, 80)
    res = ab.results(ws, sid, reveal=True, resamples=300)
    order = [s["system"] for s in res["ranking"]["systems"]]
    assert order == ["good", "half", "bad"]
    for s in res["ranking"]["systems"]:
        assert s["ci95"][0] <= s["score"] <= s["ci95"][1]
    assert len(res["pairs"]) == 3 and len(res["ranking"]["next_pair"]) == 2
    blind = ab.results(ws, sid, resamples=50)
    assert not {"good", "half", "bad"} & set(json.dumps(blind).replace("\\", "").split('"'))
    assert sorted(blind["systems"]) == ["System A", "System B", "System C"]


# ------------------------------------------------------------------------------------------------ a team

def _team(ws_path: Path, url: str | None, sid: int, annotators: int, count: int) -> list[list[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-m", "tests.core.ab_worker", str(ws_path), url or "-", str(sid),
                               f"ann{k}", str(count)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for k in range(annotators)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-2000:]
        outs.append(out.splitlines())
    return outs


def _check_team(ws, sid, outs, annotators, count):
    acked = {(f"ann{k}", line.split()[1], line.split()[2]) for k, lines in enumerate(outs)
             for line in lines if line.startswith("ack ")}
    assert len(acked) == annotators * count
    j, it = db.ab_judgments, db.ab_items
    with ws.engine.connect() as conn:
        rows = conn.execute(sa.select(j.c.annotator, it.c.token, j.c.choice, it.c.needed)
                            .join(it, it.c.id == j.c.item_id).where(j.c.session_id == sid)).all()
    stored = {(a, t, c) for a, t, c, _ in rows}
    assert len(rows) == annotators * count and stored == acked  # all stored, none lost, none extra
    per_item = Counter(t for _, t, _, _ in rows)
    needed = {t: n for _, t, _, n in rows}
    assert all(per_item[t] <= needed[t] for t in per_item)  # no item judged by more annotators than it needs
    res = ab.results(ws, sid)
    assert res["judgments"] == annotators * count


@pytest.mark.sqlite_only
def test_four_annotators_at_once_on_sqlite(tmp_path):
    ws, _ = build(tmp_path, gold=10, pool=1100)
    sid = ab.start_session(ws, ["good", "bad"], source="pool", seed=0, overlap=0.2)["session_id"]
    outs = _team(ws.path, None, sid, 4, 250)
    _check_team(ws, sid, outs, 4, 250)


def test_four_annotators_at_once_on_postgres(tmp_path, pg_database):
    url = pg_database()
    ws, _ = build(tmp_path, gold=10, pool=1100, db_url=url)
    sid = ab.start_session(ws, ["good", "bad"], source="pool", seed=0, overlap=0.2)["session_id"]
    outs = _team(ws.path, url, sid, 4, 250)
    _check_team(ws, sid, outs, 4, 250)


@pytest.mark.sqlite_only
def test_a_judgment_acknowledged_before_sigkill_is_kept(tmp_path):
    ws, _ = build(tmp_path, gold=10, pool=400)
    sid = ab.start_session(ws, ["good", "bad"], source="pool", seed=0, overlap=0)["session_id"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.core.ab_worker", str(ws.path), "-", str(sid), "victim",
                             "400"], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    acked = []
    deadline = time.monotonic() + 120
    while len(acked) < 25 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("ack "):
            acked.append(line.split()[1])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert len(acked) == 25
    from evaluator.workspace import _ENGINES, open_workspace
    _ENGINES.pop(ws.url).dispose()  # a fresh engine, as after a restart
    again = open_workspace(ws.path)
    j, it = db.ab_judgments, db.ab_items
    with again.engine.connect() as conn:
        stored = set(conn.execute(sa.select(it.c.token).join(j, j.c.item_id == it.c.id).where(
            j.c.annotator == "victim", j.c.choice.is_not(None))).scalars())
    assert set(acked) <= stored
    # and the session goes on where it stopped
    item = ab.next_item(again, sid, "victim")
    assert not item["done"] and item["item_id"] not in acked


def test_results_follow_a_renamed_model(small):
    from evaluator.models import rename_model

    ws, _ = small
    sid = ab.start_session(ws, ["good", "bad"], source="gold:g", max_items=3, overlap=0)["session_id"]
    _run(ws, sid, "ann", lambda item: "left")
    rename_model(ws, "good", "good-v2")
    res = ab.results(ws, sid, reveal=True)
    assert {res["pairs"][0]["a"], res["pairs"][0]["b"]} == {"good-v2", "bad"}
    assert [m["name"] for m in res["models"]] == ["good-v2", "bad"]
