"""One store for every computed result: evaluations, comparisons, learning curves (and what later features add).

A result is a JSON payload stored in the ``results`` table under ``(kind, key)``. The key is a hash of everything
the payload was computed from (:func:`result_key`: the gold content hash, the artifact hashes, the settings and
:data:`RESULTS_VERSION`), so a result can only be found again for the same inputs; the payload carries a checksum
that is checked on every read. A row that fails its checksum is treated as missing: the caller recomputes it and
says so (:func:`get_result` returns the reason).

>>> key = result_key({"gold_hash": "ab12", "artifact": "cd34", "mode": "default"})
>>> len(key), key == result_key({"mode": "default", "artifact": "cd34", "gold_hash": "ab12"})
(64, True)
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from evaluator import db
from evaluator.workspace import Workspace

#: bump when the layout of any stored payload or the computation behind it changes: every stored result is then
#: recomputed on its next use (old rows are never shown, since the version is part of the key)
RESULTS_VERSION = 1

#: what :func:`get_result` says about a row that failed its checksum
TAMPERED = "the stored result did not match its checksum, so it was recomputed"


def canonical_json(value: Any) -> str:
    """The JSON text a payload is stored and checksummed as (sorted keys, as :class:`evaluator.db.JSONText`)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def checksum(payload: Any) -> str:
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def result_key(inputs: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of ``inputs`` plus ``"version": RESULTS_VERSION``."""
    data = {**inputs, "version": RESULTS_VERSION}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def plain(value: Any) -> Any:
    """``value`` as plain JSON types (NumPy numbers become floats/ints), as it will read back from the store."""
    return json.loads(json.dumps(value, default=_default))


def _default(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    if hasattr(x, "tolist"):
        return x.tolist()
    return float(x)


@dataclass
class Lookup:
    """What :func:`get_result` found: the payload (None when there is none to use) and, when a stored row was
    refused, why."""

    payload: dict[str, Any] | None
    refused: str | None = None
    created_at: str | None = None


def get_result(ws: Workspace, kind: str, key: str) -> Lookup:
    """The stored payload of ``(kind, key)``, checksum-verified."""
    r = db.results
    with ws.engine.connect() as conn:
        row = conn.execute(sa.select(r.c.payload, r.c.checksum, r.c.created_at)
                           .where(r.c.kind == kind, r.c.key == key)).first()
    if row is None:
        return Lookup(None)
    payload, stored_sum, created = row
    if checksum(payload) != stored_sum:
        return Lookup(None, refused=TAMPERED)
    return Lookup(payload, created_at=created)


def put_result(ws: Workspace, kind: str, key: str, payload: dict[str, Any], *, settings: dict[str, Any],
               model_id: int | None = None, collection_id: int | None = None, gold_hash: str | None = None,
               artifacts: dict[str, Any] | None = None) -> dict[str, Any]:
    """Store (or replace) the payload of ``(kind, key)``; returns the payload as it reads back (plain JSON).

    Safe when two processes store the same result at once (the last write wins; both wrote the same numbers).
    """
    payload = plain(payload)
    values = {"kind": kind, "key": key, "model_id": model_id, "collection_id": collection_id,
              "gold_hash": gold_hash, "artifacts": artifacts, "settings": plain(settings), "payload": payload,
              "checksum": checksum(payload), "version": RESULTS_VERSION, "created_at": db.utcnow()}
    with ws.engine.begin() as conn:
        db.upsert(conn, db.results, values, keys=("kind", "key"))
    return payload


def find_results(ws: Workspace, kind: str, *, model_id: int | None = None,
                 collection_id: int | None = None) -> list[dict[str, Any]]:
    """Stored results of a kind (newest first), checksum-verified (rows that fail are left out), each as
    ``{"key", "model_id", "collection_id", "gold_hash", "settings", "payload", "created_at"}``."""
    r = db.results
    q = sa.select(r.c.key, r.c.model_id, r.c.collection_id, r.c.gold_hash, r.c.settings, r.c.payload,
                  r.c.checksum, r.c.created_at, r.c.version).where(r.c.kind == kind)
    if model_id is not None:
        q = q.where(r.c.model_id == model_id)
    if collection_id is not None:
        q = q.where(r.c.collection_id == collection_id)
    q = q.order_by(r.c.created_at.desc(), r.c.id.desc())
    out = []
    with ws.engine.connect() as conn:
        for row in conn.execute(q).mappings():
            if row["version"] != RESULTS_VERSION or checksum(row["payload"]) != row["checksum"]:
                continue
            out.append({k: row[k] for k in ("key", "model_id", "collection_id", "gold_hash", "settings", "payload",
                                            "created_at")})
    return out


def delete_results(ws: Workspace, kind: str, *, key: str | None = None) -> int:
    """Forget stored results of a kind (one key, or all); returns how many rows went."""
    r = db.results
    q = r.delete().where(r.c.kind == kind)
    if key is not None:
        q = q.where(r.c.key == key)
    with ws.engine.begin() as conn:
        return conn.execute(q).rowcount or 0


__all__ = ["Lookup", "RESULTS_VERSION", "TAMPERED", "canonical_json", "checksum", "delete_results", "find_results",
           "get_result", "plain", "put_result", "result_key"]
