"""Near-duplicate search between two lists of texts that scales linearly: MinHash + LSH for candidates, exact
Jaccard for the answer.

Each text becomes the set of character n-grams of its normalized form (:func:`evaluator.records.normalize_text`),
hashed into 2^30 buckets. A MinHash signature (``num_perm`` multiply-shift hashes) is computed for every set with
numpy; signatures are cut into bands, and two texts become a candidate pair when a band agrees (LSH), with the
number of bands chosen for the threshold so that a pair at the threshold is missed with probability < 1e-3
(:func:`lsh_bands`). Candidates also pass the length bound ``t·|a| <= |b| <= |a|/t`` that any pair with Jaccard
``>= t`` meets. The Jaccard similarity of every surviving candidate is then computed exactly from the n-gram sets,
so reported similarities are exact and never above the truth; only recall is probabilistic (and seeded).

Time and memory grow with the number of texts (signatures: ``num_perm`` x 4 bytes per text), not with
gold x others as an all-pairs product does.

>>> pairs = near_duplicates(["Peter Parker lives in New York."], ["Peter Parker lives in New York!", "Nothing."],
...                         threshold=0.8)
>>> [(p.left, p.right, round(p.similarity, 3)) for p in pairs]
[(0, 0, 0.931)]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from evaluator.progress import check_cancel

N_FEATURES = 1 << 30
NUM_PERM = 128
_SEED = 20241130


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """Sorted unique values (a sort and a mask: numpy's hash-based ``unique`` is much slower on large int64s)."""
    a = np.sort(a)
    if len(a) < 2:
        return a
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


@dataclass(frozen=True)
class Pair:
    """Texts ``left`` (index into the first list) and ``right`` (into the second) with Jaccard ``similarity``."""

    left: int
    right: int
    similarity: float


def lsh_bands(threshold: float, num_perm: int = NUM_PERM, *, miss: float = 1e-3, min_rows: int = 4) -> tuple[int, int]:
    """``(bands, rows)`` with ``bands * rows <= num_perm``: the most rows per band (fewest false candidates) for
    which a pair with Jaccard exactly ``threshold`` is still found with probability ``>= 1 - miss``, but at least
    ``min_rows`` rows (below that nearly every pair of texts in one language becomes a candidate; at a threshold
    of 0.5 this leaves a pair at exactly 0.5 a 13% chance to be missed, one at 0.6 1.5%).

    >>> lsh_bands(0.9)
    (16, 8)
    """
    best = (num_perm // min_rows, min_rows)
    for rows in range(min_rows, num_perm + 1):
        bands = num_perm // rows
        if (1 - threshold ** rows) ** bands <= miss:
            best = (bands, rows)
    return best


def shingles(texts: Sequence[str], *, ngram: int = 3, chunk: int = 20_000):
    """CSR matrix (texts x 2^30, binary) of the hashed character n-grams of each normalized text; the column
    indices of each row are sorted and unique. N-grams are hashed with numpy (exact polynomial code of the code
    points, then MurmurHash3's 64-bit finalizer, top 30 bits)."""
    from scipy.sparse import csr_matrix

    from evaluator.records import normalize_text

    parts_idx: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    for c0 in range(0, len(texts), chunk):
        norms = [normalize_text(t) for t in texts[c0:c0 + chunk]]
        lens = np.fromiter((len(t) for t in norms), dtype=np.int64, count=len(norms))
        cps = np.frombuffer("".join(norms).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        n_pos = len(cps) - ngram + 1
        if n_pos <= 0:
            counts.append(np.zeros(len(norms), dtype=np.int64))
            continue
        h = np.zeros(n_pos, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for k in range(ngram):
                h = (h << np.uint64(21)) + cps[k:k + n_pos]
            h ^= h >> np.uint64(33)
            h *= np.uint64(0xFF51AFD7ED558CCD)
            h ^= h >> np.uint64(33)
            h *= np.uint64(0xC4CEB9FE1A85EC53)
            h ^= h >> np.uint64(33)
        h >>= np.uint64(34)  # 30 bits
        starts = np.concatenate(([0], np.cumsum(lens)))
        rows = np.repeat(np.arange(len(norms), dtype=np.int64), lens)[:n_pos]
        valid = np.arange(n_pos) + ngram <= starts[rows + 1]  # the n-gram ends inside its own text
        key = _sorted_unique((rows[valid] << np.int64(30)) | h[valid].astype(np.int64))
        key_rows = key >> np.int64(30)
        parts_idx.append((key & np.int64(N_FEATURES - 1)).astype(np.int32))
        counts.append(np.bincount(key_rows, minlength=len(norms)))
    per_row = np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)
    indptr = np.concatenate(([0], np.cumsum(per_row))).astype(np.int64)
    indices = np.concatenate(parts_idx) if parts_idx else np.zeros(0, dtype=np.int32)
    return csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(texts), N_FEATURES))


def signatures(m, *, num_perm: int = NUM_PERM, chunk: int = 8192) -> np.ndarray:
    """MinHash signatures (rows x num_perm, uint32) of a CSR matrix from :func:`shingles`, by one-permutation
    hashing: the hashed n-gram range is cut into ``num_perm`` bins and each bin keeps its smallest hash; empty bins
    are filled by rotation (the next non-empty bin to the right, plus a distance offset; Shrivastava & Li 2014), so
    that two sets agree in a bin with probability equal to their Jaccard similarity. Rows without n-grams get
    all ``0xFFFFFFFF``. Costs one pass over the n-grams instead of ``num_perm``."""
    if num_perm & (num_perm - 1):
        raise ValueError("num_perm must be a power of two")
    shift = 30 - (num_perm.bit_length() - 1)
    n = m.shape[0]
    empty = np.uint32(np.iinfo(np.uint32).max)
    out = np.full((n, num_perm), empty, dtype=np.uint32)
    indptr = m.indptr
    for r0 in range(0, n, chunk):
        r1 = min(r0 + chunk, n)
        idx = m.indices[indptr[r0]:indptr[r1]].astype(np.int64)
        rows = np.repeat(np.arange(r1 - r0, dtype=np.int64), np.diff(indptr[r0:r1 + 1]))
        key = rows * num_perm + (idx >> shift)  # sorted: rows ascending, indices sorted within a row
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        block = np.full((r1 - r0) * num_perm, empty, dtype=np.uint32)
        block[key[first]] = (idx[first] & ((1 << shift) - 1)).astype(np.uint32)
        block = block.reshape(r1 - r0, num_perm)
        filled = block != empty
        # rotation: position of the next filled bin to the right (circular), over the doubled row
        pos = np.where(np.concatenate([filled, filled], axis=1), np.arange(2 * num_perm), 2 * num_perm)
        nxt = np.minimum.accumulate(pos[:, ::-1], axis=1)[:, ::-1][:, :num_perm]
        has_any = filled.any(axis=1)
        src = np.where(has_any[:, None], nxt % num_perm, 0)
        dist = (nxt - np.arange(num_perm)).astype(np.uint32)
        value = np.take_along_axis(block, src, axis=1) + dist * np.uint32(1 << shift)
        out[r0:r1] = np.where(has_any[:, None], value, empty)
    return out


def _band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One uint64 key per (text, band): a hash of the band's ``rows`` signature values."""
    rng = np.random.default_rng(_SEED + 1)
    mult = rng.integers(1, 1 << 63, size=rows, dtype=np.uint64) | np.uint64(1)
    keys = np.empty((sig.shape[0], bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(bands):
            part = sig[:, k * rows:(k + 1) * rows].astype(np.uint64)
            keys[:, k] = (part * mult[None, :]).sum(axis=1) ^ np.uint64(k * 0x9E3779B97F4A7C15 % (1 << 64))
    return keys


def _candidates(left_keys: np.ndarray, right_keys: np.ndarray) -> np.ndarray:
    """Unique (left, right) index pairs, encoded as left * n_right + right, that share a band key."""
    n_right = right_keys.shape[0]
    found = []
    for k in range(left_keys.shape[1]):
        order = np.argsort(right_keys[:, k], kind="stable")
        sorted_keys = right_keys[order, k]
        lo = np.searchsorted(sorted_keys, left_keys[:, k], side="left")
        hi = np.searchsorted(sorted_keys, left_keys[:, k], side="right")
        counts = hi - lo
        if not counts.any():
            continue
        lefts = np.repeat(np.arange(left_keys.shape[0], dtype=np.int64), counts)
        starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        rights = order[np.arange(counts.sum(), dtype=np.int64) + starts]
        found.append(_sorted_unique(lefts * n_right + rights))
    if not found:
        return np.empty(0, dtype=np.int64)
    return _sorted_unique(np.concatenate(found))


def _exact_jaccard(left, right, li: np.ndarray, ri: np.ndarray, sizes_l, sizes_r, chunk: int = 50_000):
    sims = np.empty(len(li), dtype=np.float64)
    for k in range(0, len(li), chunk):
        a, b = li[k:k + chunk], ri[k:k + chunk]
        inter = np.asarray(left[a].multiply(right[b]).sum(axis=1)).ravel()
        union = sizes_l[a] + sizes_r[b] - inter
        sims[k:k + chunk] = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    return sims


#: up to this many gold x other pairs the search is exact (every pair's Jaccard from a sparse product)
EXACT_PAIRS = 5_000_000


def _compact(lm, rm):
    from scipy.sparse import csr_matrix

    vocab = _sorted_unique(np.concatenate([lm.indices, rm.indices]))
    return tuple(csr_matrix((m.data, np.searchsorted(vocab, m.indices).astype(np.int32), m.indptr),
                            shape=(m.shape[0], max(len(vocab), 1))) for m in (lm, rm))


def _exact_pairs(lm, rm, threshold: float, sizes_l, sizes_r, chunk_pairs: int = 2_000_000):
    """Every (left, right) pair with Jaccard >= threshold, by sparse products in chunks (small inputs only):
    returns (left indices, right indices, similarities)."""
    step = max(1, chunk_pairs // max(rm.shape[0], 1))
    rt = rm.T.tocsc()
    li, ri, sims = [], [], []
    for k in range(0, lm.shape[0], step):
        inter = (lm[k:k + step] @ rt).tocoo()
        rows = inter.row.astype(np.int64) + k
        union = sizes_l[rows] + sizes_r[inter.col] - inter.data
        jac = inter.data / np.maximum(union, 1)
        hit = jac >= threshold - 1e-12
        li.append(rows[hit])
        ri.append(inter.col[hit].astype(np.int64))
        sims.append(jac[hit])
    return np.concatenate(li), np.concatenate(ri), np.concatenate(sims)


def near_duplicates(left: Sequence[str], right: Sequence[str], *, threshold: float = 0.9, ngram: int = 3,
                    num_perm: int = NUM_PERM, exact_pairs: int = EXACT_PAIRS,
                    progress: Callable[[int, int, str], None] | None = None, cancel=None) -> list[Pair]:
    """Pairs (i, j) with character n-gram Jaccard(left[i], right[j]) >= threshold, most similar first.

    Up to ``exact_pairs`` (left x right) every pair is checked; above, candidates come from MinHash LSH. Texts
    with fewer than ``ngram`` characters have no n-grams and pair with nothing.
    """
    if not left or not right:
        return []
    steps = 4

    def step(k: int, msg: str) -> None:
        check_cancel(cancel)
        if progress is not None:
            progress(k, steps, msg)

    step(0, f"character {ngram}-grams of {len(left) + len(right):,} texts")
    lm, rm = shingles(left, ngram=ngram), shingles(right, ngram=ngram)
    sizes_l = np.diff(lm.indptr).astype(np.float64)
    sizes_r = np.diff(rm.indptr).astype(np.float64)
    cl, cr = _compact(lm, rm)  # the same n-grams as columns 0..V-1 (sparse products need no 2^30 columns)
    if len(left) * len(right) <= exact_pairs:
        step(2, "every pair that shares an n-gram")
        li, ri, sims = _exact_pairs(cl, cr, threshold, sizes_l, sizes_r)
    else:
        step(1, "MinHash signatures")
        bands, rows = lsh_bands(threshold, num_perm)
        lrows, rrows = np.flatnonzero(sizes_l > 0), np.flatnonzero(sizes_r > 0)
        lk = _band_keys(signatures(lm[lrows], num_perm=num_perm), bands, rows)
        rk = _band_keys(signatures(rm[rrows], num_perm=num_perm), bands, rows)
        step(2, "candidate pairs (LSH)")
        found = _candidates(lk, rk)
        li, ri = lrows[found // len(rrows)], rrows[found % len(rrows)]
        sl, sr = sizes_l[li], sizes_r[ri]
        keep = (sr >= threshold * sl - 1e-9) & (sr * threshold <= sl + 1e-9)  # length bound
        li, ri = li[keep], ri[keep]
        step(3, f"exact similarity of {len(li):,} candidate pairs")
        sims = _exact_jaccard(cl, cr, li, ri, sizes_l, sizes_r)
    hit = sims >= threshold - 1e-12
    order = np.lexsort((ri[hit], li[hit], -sims[hit]))
    li, ri, sims = li[hit][order], ri[hit][order], sims[hit][order]
    if progress is not None:
        progress(steps, steps, "")
    return [Pair(int(a), int(b), float(s)) for a, b, s in zip(li, ri, sims)]


def search_settings(threshold: float, pairs: int, *, num_perm: int = NUM_PERM, exact_pairs: int = EXACT_PAIRS) -> dict:
    """How :func:`near_duplicates` searches ``pairs`` (left x right) pairs: the settings that decide what it can
    find, reported with the result."""
    if pairs <= exact_pairs:
        return {"method": "all pairs", "pairs": pairs, "miss_at_threshold": 0.0}
    bands, rows = lsh_bands(threshold, num_perm)
    return {"method": "minhash-lsh", "pairs": pairs, "num_perm": num_perm, "bands": bands, "rows": rows,
            "seed": _SEED, "miss_at_threshold": round((1 - threshold ** rows) ** bands, 6)}


__all__ = ["Pair", "lsh_bands", "near_duplicates", "search_settings", "shingles", "signatures"]
