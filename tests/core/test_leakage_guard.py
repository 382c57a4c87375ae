"""The leakage guard against Unicode and punctuation variants of gold texts, and the near-duplicate search.

The 21 variants are the issue's probe (format characters, NFKC, a look-alike letter, trailing punctuation,
tokenised spacing); every one must be refused at import, on move and at training time. Near-duplicates are checked
against a brute-force Jaccard over Python sets of n-grams (the definition, computed independently).
"""
from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata

import pytest
import sqlalchemy as sa

from evaluator import db
from evaluator.errors import LeakageError
from evaluator.gold import freeze, leakage_report
from evaluator.importer import import_file, move_examples
from evaluator.neardup import near_duplicates
from evaluator.records import guard_keys, normalize_text
from evaluator.store import load_records, training_records
from evaluator.workspace import open_workspace

GOLD_TEXT = "Peter Parker, who lives in New York, works for the Daily Bugle."
ZW, ZWJ, ZWNJ, WJ, SHY, BOM, VS16, VS1 = "\u200b", "\u200d", "\u200c", "\u2060", "\u00ad", "\ufeff", "\ufe0f", "\ufe00"


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


VARIANTS = {
    "zero-width space": GOLD_TEXT.replace("Parker", f"Par{ZW}ker"),
    "zero-width joiner": GOLD_TEXT.replace("York", f"Yo{ZWJ}rk"),
    "zero-width non-joiner": GOLD_TEXT.replace("Daily", f"Da{ZWNJ}ily"),
    "word joiner": GOLD_TEXT.replace("Bugle", f"Bu{WJ}gle"),
    "soft hyphen": GOLD_TEXT.replace("works", f"wo{SHY}rks"),
    "BOM in front": BOM + GOLD_TEXT,
    "BOM inside": GOLD_TEXT.replace("lives", f"li{BOM}ves"),
    "variation selector 16": GOLD_TEXT.replace("who", f"w{VS16}ho"),
    "variation selector 1": GOLD_TEXT.replace("New", f"N{VS1}ew"),
    "full-width word": GOLD_TEXT.replace("Peter", _fullwidth("Peter")),
    "full-width text": _fullwidth(GOLD_TEXT),
    "Cyrillic e": GOLD_TEXT.replace("Peter", "P\u0435ter"),
    "Cyrillic o": GOLD_TEXT.replace("York", "Y\u043erk"),
    "Greek omicron": GOLD_TEXT.replace("for", "f\u03bfr"),
    "trailing period removed": GOLD_TEXT[:-1],
    "trailing period changed": GOLD_TEXT[:-1] + "!",
    "trailing ellipsis": GOLD_TEXT[:-1] + "...",
    "tokenised spacing": "Peter Parker , who lives in New York , works for the Daily Bugle .",
    "no-break spaces and case": GOLD_TEXT.upper().replace(" ", "\u00a0"),
    "comma removed": GOLD_TEXT.replace(",", "", 1),
    "all together": f"P\u0435ter Par{ZW}ker , who lives in ＮＥＷ York , works for the Daily Bugle",
}


def test_the_issue_lists_21_variants_and_each_differs_from_the_gold_text():
    assert len(VARIANTS) == 21 and len(set(VARIANTS.values())) == 21
    assert GOLD_TEXT not in VARIANTS.values()


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_each_variant_has_a_guard_key_of_the_gold_text(name):
    assert not set(guard_keys(VARIANTS[name])).isdisjoint(guard_keys(GOLD_TEXT)), name


def test_different_texts_keep_different_keys():
    assert set(guard_keys(GOLD_TEXT)).isdisjoint(guard_keys(GOLD_TEXT.replace("Peter", "Petra")))
    assert set(guard_keys("1996-08-30")).isdisjoint(guard_keys("1996-08-31"))
    # texts without letters or digits fall back on the normalized text, so they do not all collide
    assert set(guard_keys("...")).isdisjoint(guard_keys("!!!"))


def test_normalization_follows_unicode():
    assert normalize_text("Ｈｅｌｌｏ") == normalize_text("hello")  # NFKC
    for ch in (ZW, ZWJ, WJ, SHY, BOM, VS16, "\u2066", "\u202e"):  # Cf and variation selectors vanish
        assert normalize_text(f"ab{ch}c") == normalize_text("abc"), hex(ord(ch))
    assert unicodedata.category("\u0435") == "Ll" and normalize_text("\u0435") == normalize_text("e")


def _jsonl(path, texts):
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    return path


@pytest.fixture
def guarded(tmp_workspace, tmp_path):
    ws = tmp_workspace("ner", labels=["PER"])
    import_file(ws, _jsonl(tmp_path / "gold.jsonl", [GOLD_TEXT, "Mary Jane works in Queens."]), into="gold:test")
    freeze(ws, "test")
    return ws


def test_all_21_variants_are_refused_at_import(guarded, tmp_path):
    f = _jsonl(tmp_path / "variants.jsonl", list(VARIANTS.values()) + ["An unrelated sentence about Berlin."])
    with pytest.raises(LeakageError) as err:
        import_file(guarded, f, into="round:1")
    assert err.value.count == 21
    r = import_file(guarded, f, into="round:1", skip_gold_overlap=True)
    assert r["skipped_gold_overlap"] == 21 and r["examples"] == 1
    report = leakage_report(guarded)
    assert report["exact_overlaps"] == 0 and report["ok"]


def test_variants_are_refused_on_move_and_at_training_time(guarded, tmp_path):
    # into the pool (the pool is guarded too), then written behind the guard's back: move and train refuse
    import_file(guarded, _jsonl(tmp_path / "pool.jsonl", ["A pool sentence about Rome."]), into="pool")
    with guarded.engine.begin() as conn:
        pool = conn.execute(sa.select(db.examples.c.collection_id)).scalars().all()[-1]
        for k, text in enumerate(VARIANTS.values()):
            h, loose = guard_keys(text)
            conn.execute(db.examples.insert().values(collection_id=pool, position=10 + k, text=text, input_hash=h,
                                                     loose_hash=loose, created_at=db.utcnow()))
    ids = [r.id for r in load_records(guarded, "pool", answers=None)]
    with pytest.raises(LeakageError) as err:
        move_examples(guarded, ids, to="round:1")
    assert err.value.count == 21
    import_file(guarded, _jsonl(tmp_path / "r.jsonl", ["Round sentence about Oslo."]), into="round:1")
    with guarded.engine.begin() as conn:
        rid = conn.execute(sa.select(db.collections.c.id).where(db.collections.c.kind == "round")).scalar()
        conn.execute(db.examples.update().where(db.examples.c.id.in_(ids)).values(collection_id=rid))
        for ex in ids:
            conn.execute(db.annotations.insert().values(example_id=ex, answer="accept", spans=[], annotator="t",
                                                        created_at=db.utcnow()))
    with pytest.raises(LeakageError) as err:
        training_records(guarded, round=1)
    assert err.value.count == 21
    assert leakage_report(guarded)["exact_overlaps"] == 21


def test_eng_testb_sentences_without_the_space_before_punctuation_are_caught(tmp_workspace, shared_data, tmp_path):
    """The issue's real-data probe: 300 eng.testb sentences with the space before punctuation removed; 124 were not
    even flagged as near-duplicates before. Now every one is refused by the letters-and-digits key."""
    ws = tmp_workspace("ner")
    conll = shared_data / "conll2003" / "eng.testb"
    import_file(ws, conll, into="gold:test")
    gold = load_records(ws, "gold:test")
    squeezed = []
    for r in gold:
        text = re.sub(r" ([.,;:!?)'])", r"\1", r.text)
        if text != r.text and text not in squeezed:
            squeezed.append(text)
        if len(squeezed) == 300:
            break
    assert len(squeezed) == 300
    with pytest.raises(LeakageError) as err:
        import_file(ws, _jsonl(tmp_path / "squeezed.jsonl", squeezed), into="round:1")
    assert err.value.count == 300


def test_existing_workspaces_get_the_new_keys_by_migration(guarded, tmp_path):
    import_file(guarded, _jsonl(tmp_path / "pool.jsonl", ["A pool sentence about Rome."]), into="pool")
    old = lambda t: hashlib.sha256(" ".join(unicodedata.normalize("NFC", t).casefold().split()).encode()).hexdigest()[:16]
    with guarded.engine.begin() as conn:  # a workspace as version 001 left it: old keys, no loose_hash column
        conn.execute(sa.text("DROP INDEX ix_examples_loose_hash"))
        conn.execute(sa.text("ALTER TABLE examples DROP COLUMN loose_hash"))
        pool = conn.execute(sa.select(db.collections.c.id).where(db.collections.c.kind == "pool")).scalar()
        variant = VARIANTS["all together"]  # the old guard let it in
        conn.execute(sa.text("INSERT INTO examples (collection_id, position, text, input_hash, created_at) "
                             "VALUES (:c, 5, :t, :h, :now)"), {"c": pool, "t": variant, "h": old(variant),
                                                                "now": db.utcnow()})
        for ex_id, text in conn.execute(sa.text("SELECT id, text FROM examples")).all():
            conn.execute(sa.text("UPDATE examples SET input_hash = :h WHERE id = :i"), {"h": old(text), "i": ex_id})
        conn.execute(db.schema_migrations.delete().where(db.schema_migrations.c.name == "030_leakage_keys"))
    ws = open_workspace(guarded.path, db_url=guarded.url)
    with ws.engine.connect() as conn:
        rows = conn.execute(sa.select(db.examples.c.text, db.examples.c.input_hash, db.examples.c.loose_hash)).all()
    assert rows and all((h, loose) == guard_keys(text) for text, h, loose in rows)
    assert leakage_report(ws)["exact_overlaps"] == 1  # the pool's variant is now seen


def _grams(text: str, n: int = 3) -> set[str]:
    t = normalize_text(text)
    return {t[i:i + n] for i in range(len(t) - n + 1)}


def _brute_force(left, right, threshold):
    gl, gr = [_grams(t) for t in left], [_grams(t) for t in right]
    out = {}
    for i, a in enumerate(gl):
        for j, b in enumerate(gr):
            if a and b:
                s = len(a & b) / len(a | b)
                if s >= threshold:
                    out[(i, j)] = s
    return out


def _corpus(seed: int, n_left: int, n_right: int):
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(800)]
    sent = lambda: " ".join(rng.choice(words) for _ in range(rng.randint(4, 20))) + " ."
    left = [sent() for _ in range(n_left)]
    right = [sent() for _ in range(n_right)]
    for k in range(0, n_right, 7):  # plant near-duplicates at many similarities
        w = left[rng.randrange(n_left)].split()
        for _ in range(rng.randint(0, 3)):
            w[rng.randrange(len(w))] = rng.choice(words)
        right[k] = " ".join(w)
    return left, right + ["ab", ""]  # texts without 3-grams pair with nothing


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.9, 1.0])
def test_near_duplicates_equal_brute_force_jaccard(threshold):
    left, right = _corpus(3, 150, 900)
    truth = _brute_force(left, right, threshold)
    assert truth, "the corpus plants near-duplicates"
    exact = {(p.left, p.right): p.similarity for p in near_duplicates(left, right, threshold=threshold)}
    lsh = {(p.left, p.right): p.similarity for p in near_duplicates(left, right, threshold=threshold, exact_pairs=0)}
    assert exact.keys() == truth.keys()
    assert all(exact[k] == pytest.approx(truth[k], abs=1e-12) for k in truth)
    # MinHash LSH: never a wrong pair or similarity; misses at most the rare pair close to the threshold
    assert lsh.keys() <= truth.keys() and all(lsh[k] == pytest.approx(truth[k], abs=1e-12) for k in lsh)
    assert len(lsh) >= 0.97 * len(truth)
    assert all(k in lsh for k, s in truth.items() if s >= threshold + 0.1)
