"""Reference figures straight from seqeval, for equality tests (test helper, not a test module)."""
from __future__ import annotations

import warnings
from collections import Counter

import seqeval.scheme as sch
from seqeval.metrics import accuracy_score, classification_report
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import Entities, auto_detect


def reference(y_true, y_pred, *, mode="default", scheme=None):
    """seqeval's per-label counts and report, keyed like our reports (zero_division values as seqeval gives)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if mode == "strict":
            cls = getattr(sch, scheme) if scheme else auto_detect(y_true)
            et, ep = Entities(y_true, cls), Entities(y_pred, cls)
            gold = {(e.tag, e.sent_id, e.start, e.end) for ents in et.entities for e in ents}
            pred = {(e.tag, e.sent_id, e.start, e.end) for ents in ep.entities for e in ents}
            rep = classification_report(y_true, y_pred, output_dict=True, mode="strict", scheme=cls)
        else:
            gold = set(get_entities(y_true))
            pred = set(get_entities(y_pred))
            rep = classification_report(y_true, y_pred, output_dict=True)
        acc = accuracy_score(y_true, y_pred) if sum(map(len, y_true)) else None
    tp = Counter(e[0] for e in gold & pred)
    fp = Counter(e[0] for e in pred - gold)
    fn = Counter(e[0] for e in gold - pred)
    labels = sorted({e[0] for e in gold | pred})
    out = {"labels": labels, "token_accuracy": acc,
           "counts": {lab: (tp[lab], fp[lab], fn[lab]) for lab in labels}}
    for key, name in (("micro", "micro avg"), ("macro", "macro avg"), ("weighted", "weighted avg")):
        r = rep.get(name)
        out[key] = None if r is None else {k: float(r[k2]) for k, k2 in
                                           (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score"))}
        if r is not None:
            out[key]["support"] = int(r["support"])
    out["per_label"] = {lab: {"precision": float(rep[lab]["precision"]), "recall": float(rep[lab]["recall"]),
                              "f1": float(rep[lab]["f1-score"]), "support": int(rep[lab]["support"])}
                        for lab in labels}
    return out


def z(x):
    """Our undefined (None) is seqeval's zero_division value 0."""
    return 0.0 if x is None else x


def assert_same(ours: dict, ref: dict) -> None:
    """Every count and figure equal (``==`` on floats, not approx)."""
    assert list(ours["per_label"]) == ref["labels"]
    for lab in ref["labels"]:
        o = ours["per_label"][lab]
        assert (o["tp"], o["fp"], o["fn"]) == ref["counts"][lab], lab
        for k in ("precision", "recall", "f1"):
            assert z(o[k]) == ref["per_label"][lab][k], (lab, k, o[k], ref["per_label"][lab][k])
        assert o["support"] == ref["per_label"][lab]["support"]
    if ref["labels"]:
        for avg in ("micro", "macro", "weighted"):
            for k in ("precision", "recall", "f1"):
                assert z(ours[avg][k]) == ref[avg][k], (avg, k, ours[avg][k], ref[avg][k])
            assert ours[avg]["support"] == ref[avg]["support"]
    if ref["token_accuracy"] is not None:
        assert ours["token_accuracy"] == ref["token_accuracy"]
