"""Size limits on what is read, so that a huge or hostile file is refused early instead of filling the memory.

Every limit has a default, is set with an environment variable (in MiB) and is named in its error message:

=====================  ==========================  =======  ===============================================
limit                  environment variable        default  what it bounds
=====================  ==========================  =======  ===============================================
file size              ``EVALUATOR_MAX_FILE_MB``   2048     one imported or scored file (or folder) read whole
upload size            ``EVALUATOR_MAX_UPLOAD_MB`` 200      one file uploaded on the Data page (the app holds
                                                            an upload in memory)
line length            ``EVALUATOR_MAX_LINE_MB``   16       one line of a JSONL, CSV or CoNLL file
decompressed size      ``EVALUATOR_MAX_UNZIP_MB``  2048     what a compressed file (``.spacy`` DocBin)
                                                            expands to
=====================  ==========================  =======  ===============================================

>>> LINE.bytes() == 16 * 2 ** 20
True
>>> LINE.error("line 3", 20 * 2 ** 20, path="big.jsonl").message
'big.jsonl: line 3 is 20.0 MiB, over the line length limit of 16.0 MiB'
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from evaluator.errors import InputFormatError

MiB = 2 ** 20


@dataclass(frozen=True)
class Limit:
    """One size limit: its name in messages, the environment variable that sets it (MiB) and its default."""

    name: str
    env: str
    default_mb: float

    def mib(self) -> int:
        """The limit in whole MiB (at least 1)."""
        return max(1, self.bytes() // MiB)

    def bytes(self) -> int:
        """The limit in bytes (the environment variable when it is set to a positive number, else the default)."""
        raw = os.environ.get(self.env, "").strip()
        try:
            mb = float(raw) if raw else self.default_mb
        except ValueError:
            mb = self.default_mb
        return int((mb if mb > 0 else self.default_mb) * MiB)

    def error(self, what: str, size: int | None, *, path: str | Path | None = None,
              line: int | None = None) -> InputFormatError:
        """The error for ``what`` (e.g. ``"line 3"``) of ``size`` bytes (``None``: more than the limit)."""
        shown = "" if size is None else f"{_size(size)}, "
        return InputFormatError(
            f"{what} is {shown}over the {self.name} limit of {_size(self.bytes())}",
            path=None if path is None else str(path), line=line,
            hint=f"if the file is right, raise the limit: set {self.env} to a number of MiB "
                 f"(e.g. {self.env}={max(1, -(-self.bytes() * 4 // MiB))})")

    def check(self, what: str, size: int, *, path: str | Path | None = None, line: int | None = None) -> None:
        """Raise :meth:`error` when ``size`` is over the limit."""
        if size > self.bytes():
            raise self.error(what, size, path=path, line=line)


def _size(n: int) -> str:
    return f"{n / MiB:.1f} MiB" if n >= MiB else f"{n / 1024:.1f} KiB"


FILE = Limit("file size", "EVALUATOR_MAX_FILE_MB", 2048)
UPLOAD = Limit("upload size", "EVALUATOR_MAX_UPLOAD_MB", 200)
LINE = Limit("line length", "EVALUATOR_MAX_LINE_MB", 16)
UNZIP = Limit("decompressed size", "EVALUATOR_MAX_UNZIP_MB", 2048)


def check_file(path: str | Path) -> int:
    """Bytes of a file, or of every file under a folder; raises when that is over the file-size limit."""
    path = Path(path)
    if path.is_dir():
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        FILE.check("the folder's files", size, path=path)
    else:
        size = path.stat().st_size
        FILE.check("the file", size, path=path)
    return size


__all__ = ["FILE", "LINE", "Limit", "UNZIP", "UPLOAD", "check_file"]
