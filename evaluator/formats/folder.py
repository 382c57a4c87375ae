"""A folder of text files, one sub-folder per class (``folder``), as the BBC News dataset ships.

``bbc/sport/199.txt`` becomes a record with label ``sport`` and ``meta = {"file": "sport/199.txt"}``. Only
``*.txt`` files in first-level sub-folders are read (files next to the class folders, such as a README, are not
data); hidden entries and broken links are skipped, and every skipped entry is reported in ``ReadOptions.notes``.
A symbolic link that leads outside the folder is an error (an upload must not read ``/etc/passwd``). Texts are
stripped of surrounding whitespace.

``ReadOptions.encoding`` applies to every file; ``"utf-8,latin-1"`` tries UTF-8 and falls back per file to
Latin-1 (such records get ``meta["encoding"] = "latin-1"``); ``"utf-8-replace"`` replaces bad bytes.
A file that cannot be decoded is an error naming the file and the byte offset.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from evaluator.errors import InputFormatError
from evaluator.formats._common import Problems, decode_bytes
from evaluator.formats.base import ReadOptions, register
from evaluator.records import Record

_UNSAFE = re.compile(r"[\\/:*?\"<>|\x00-\x1f]")


def _natural(name: str) -> list:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name)]


class FolderFormat:
    name = "folder"
    #: the format cannot tell an unlabeled text from one without annotations, so exports leave them out
    keeps_unlabeled = False
    task = "textcat"
    extensions = ()
    description = "Folder with one sub-folder per class holding .txt files (BBC News layout)"

    def read(self, path: Path, options: ReadOptions | None = None) -> list[Record]:
        options = options or ReadOptions()
        root = Path(path)
        if not root.is_dir():
            raise InputFormatError("not a folder", path=str(root),
                                   hint="give a folder with one sub-folder per class holding .txt files")
        problems = Problems(root)
        records: list[Record] = []
        primary = options.encoding.split(",")[0].strip()
        inside = root.resolve()
        skipped: list[str] = []

        def safe(p: Path) -> bool:
            """A link that leaves the folder is an error; a broken link is skipped (and reported)."""
            if not p.is_symlink():
                return True
            rel = p.relative_to(root).as_posix()
            if not p.exists():
                skipped.append(f"{rel} (broken link)")
                return False
            target = p.resolve()
            if target != inside and inside not in target.parents:
                problems.append(InputFormatError(f"is a link to {target}, outside the folder", path=f"{root.name}/{rel}",
                                                 hint="copy the file into the folder; links that leave it are "
                                                      "not followed"))
                return False
            return True

        classes = []
        for d in sorted(root.iterdir(), key=lambda d: d.name):
            if d.name.startswith("."):
                skipped.append(f"{d.name} (hidden)")
            elif not safe(d):
                continue
            elif d.is_dir():
                classes.append(d)
            else:
                skipped.append(f"{d.name} (not in a class folder)")
        for cls in classes:
            files = []
            for f in sorted(cls.iterdir(), key=lambda f: _natural(f.name)):
                rel = f"{cls.name}/{f.name}"
                if f.name.startswith("."):
                    skipped.append(f"{rel} (hidden)")
                elif not safe(f):
                    continue
                elif not f.is_file() or f.suffix.lower() != ".txt":
                    skipped.append(f"{rel} ({'a folder' if f.is_dir() else 'not .txt'})")
                else:
                    files.append(f)
            for f in files:
                rel = f"{cls.name}/{f.name}"
                try:
                    text, used = decode_bytes(f.read_bytes(), options.encoding, path=f"{root.name}/{rel}")
                except InputFormatError as err:  # names the file, the byte and its offset
                    problems.append(err)
                    continue
                if not text.strip():
                    problems.append(InputFormatError("empty text", path=f"{root.name}/{rel}",
                                                     hint="remove the file or give it a text"))
                    continue
                meta: dict = {"file": rel}
                if used != primary:
                    meta["encoding"] = used
                records.append(Record(text.strip(), label=cls.name, meta=meta))
        if not records and not problems:
            raise InputFormatError("no .txt files in sub-folders", path=str(root),
                                   hint="put each class's .txt files in a sub-folder named after the class")
        problems.raise_if_any()
        if skipped:
            shown = ", ".join(skipped[:5]) + (f", ... ({len(skipped) - 5} more)" if len(skipped) > 5 else "")
            options.notes.append(f"skipped {len(skipped)} entr{'y' if len(skipped) == 1 else 'ies'} of "
                                 f"{root.name}/ that are not .txt files in class folders: {shown}")
        return records

    def write(self, records: Iterable[Record], path: Path, *, task: str = "textcat") -> None:
        """One sub-folder per label with ``NNN.txt`` files numbered per class."""
        root = Path(path)
        root.mkdir(parents=True, exist_ok=True)
        counts: dict[str, int] = {}
        for n, rec in enumerate(records, 1):
            if rec.label is None:
                raise InputFormatError(f"record {n} has no label; the folder layout needs one", path=str(root))
            if _UNSAFE.search(rec.label) or rec.label in (".", ".."):
                raise InputFormatError(f"label {rec.label!r} cannot be a folder name", path=str(root))
            counts[rec.label] = counts.get(rec.label, 0) + 1
            folder = root / rec.label
            folder.mkdir(exist_ok=True)
            (folder / f"{counts[rec.label]:03d}.txt").write_text(rec.text + "\n", encoding="utf-8")


register(FolderFormat())
