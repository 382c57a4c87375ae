"""The tag column of a CoNLL file as arrays, read in blocks: the direct path for scoring files.

:meth:`ConllFormat.read <evaluator.formats.conll.ConllFormat.read>` builds a :class:`~evaluator.records.Record`
per sentence with its text, tokens and character spans. Scoring two files needs much less: each token's tag (as
an id), the words (to check that both files hold the same tokens), the sentence lengths, the document of each
sentence (``-DOCSTART-``) and line numbers for messages. :class:`ConllTags` reads a file in blocks of a few MiB
and handles each block with numpy, so memory stays at a few bytes per token whatever the file's size.

It reads exactly what ``ConllFormat.read`` reads from a well-formed UTF-8 file, space or tab separated, with the
tag in the last column. Anything else (another encoding, bytes that are not UTF-8, unusual whitespace, a line
with one column or another number of columns than the others, a tab-separated token with a space inside, a
malformed tag, IOBES mixed with BILOU, a tag column other than the last) raises :class:`NotStreamable`; the caller
then reads the file with ``ConllFormat.read``, which reports the problems with their lines.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import numpy as np

from evaluator import limits
from evaluator.formats.conll import DOCSTART, split_tag

#: bytes read per block (a block ends at a line end)
BLOCK_BYTES = 4 << 20

_DOC = np.frombuffer(DOCSTART.encode(), dtype=np.uint8)
#: True for bytes that are not whitespace to ``str.split()`` (ASCII whitespace: tab, newline, CR, space; the
#: others are refused before this table is used; bytes of multi-byte characters are never whitespace)
_NON_WS = np.ones(256, dtype=bool)
_NON_WS[[9, 10, 13, 32]] = False
_RARE_ASCII_WS = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f")
#: the UTF-8 forms of the non-ASCII characters ``str.split()`` splits on (U+0085, U+00A0, U+1680, U+2000...)
_UNICODE_WS = re.compile(b"|".join(re.escape(chr(c).encode()) for c in range(0x80, 0x3001) if chr(c).isspace()))
#: tags are hashed into 2 ** _BUCKET_BITS buckets (a collision is detected and handled exactly)
_BUCKET_BITS = 16
#: _MASKS[k] keeps the first k bytes of a little-endian 64-bit word
_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2 ** 64 - 1], dtype=np.uint64)
_UTF8 = ("utf-8", "utf8", "utf_8", "utf-8-sig")
_MIX = ({"S", "E"}, {"U", "L"})


class NotStreamable(Exception):
    """The file needs the full reader (``ConllFormat.read``): it is unusual or has problems to report."""


class ConllTags:
    """Tags, sentences and documents of one CoNLL file, read block by block.

    Iterate :meth:`blocks` to the end (it yields the words of each block's tokens, for comparing two files as
    they are read); afterwards ``ids`` (int32 tag id per token, into the shared ``vocab``), ``lengths`` (tokens
    per sentence), ``first_lines`` (line of each sentence's first token) and ``docs`` (document index of each
    sentence, -1 before the first ``-DOCSTART-``) hold the whole file.

    ``vocab`` maps tags to ids and is shared by the files scored together; it must map ``"O"`` to 0.
    """

    def __init__(self, path: Path | str, *, vocab: dict[str, int], encoding: str = "utf-8", tag_column: int = -1,
                 block_bytes: int | None = None) -> None:
        if encoding.strip().lower() not in _UTF8:
            raise NotStreamable(f"encoding {encoding}")
        if tag_column != -1:
            raise NotStreamable("tag column")
        if vocab.get("O") != 0:
            raise ValueError("vocab must map 'O' to 0")
        self.path = Path(path)
        self.vocab = vocab
        self.block_bytes = block_bytes or BLOCK_BYTES
        self.columns: int | None = None
        #: bytes of the file read so far (for progress)
        self.bytes_read = 0
        self.has_docs = False
        self._doc_count = 0
        self._line0 = 0
        self._prefixes: set[str] = set()
        self._ids: list[np.ndarray] = []
        self._closed: list[np.ndarray] = []  # [3, k] blocks of (length, first line, doc) per closed sentence
        self._open: list[int] | None = None  # the sentence the last block ended inside: [length, first line, doc]
        self.ids = self.lengths = self.first_lines = self.docs = np.zeros(0, dtype=np.int64)

    # ------------------------------------------------------------------------------------------------ reading
    def blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Read the file; yield ``(word lengths in bytes, the words' bytes)`` of each block's tokens."""
        with open(self.path, "rb") as fh:
            tail = b""
            first = True
            while True:
                data = fh.read(self.block_bytes)
                self.bytes_read += len(data)
                if first:
                    data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
                    first = False
                if not data:
                    break
                data = tail + data
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # no line end yet: a long line, read on (up to the line-length limit)
                    if len(data) > limits.LINE.bytes():
                        raise limits.LINE.error(f"line {self._line0 + 1}", None, path=self.path)
                    tail = data
                    continue
                tail = data[cut:]
                yield self._block(data[:cut])
            if tail:
                yield self._block(tail + b"\n")
        if self._open is not None:
            self._closed.append(np.array(self._open, dtype=np.int64).reshape(3, 1))
            self._open = None
        self.ids = np.concatenate(self._ids) if self._ids else np.zeros(0, dtype=np.int32)
        sent = np.concatenate(self._closed, axis=1) if self._closed else np.zeros((3, 0), dtype=np.int64)
        self.lengths, self.first_lines, self.docs = sent[0], sent[1], sent[2]
        self._ids, self._closed = [], []

    def sentence_words(self, k: int) -> list[str]:
        """The words of sentence ``k`` (0-based), read again from the file (for messages)."""
        start = int(self.first_lines[k])
        words: list[str] = []
        with open(self.path, "rb") as fh:
            for no, raw in enumerate(fh, 1):
                if no < start:
                    continue
                cols = raw.decode("utf-8").lstrip("\ufeff").split()
                if not cols or cols[0] == DOCSTART:
                    break
                words.append(cols[0])
        return words

    def scheme(self) -> str:
        """The tagging scheme of the file's tags, as :func:`evaluator.formats.conll.detect_scheme` decides it."""
        tags = list(self.vocab)
        parts = [split_tag(t) or ("O", "") for t in tags]
        used = np.flatnonzero(np.bincount(self.ids, minlength=len(tags)))
        seen = {parts[i][0] for i in used.tolist()}
        if seen & {"S", "E"}:
            return "IOBES"
        if seen & {"U", "L"}:
            return "BILOU"
        types = {ty: k for k, ty in enumerate(sorted({ty for _, ty in parts}))}
        type_of = np.array([-1 if p == "O" else types[ty] for p, ty in parts], dtype=np.int64)
        is_i = np.array([p == "I" for p, _ in parts], dtype=bool)
        ty = type_of[self.ids]
        prev = np.empty_like(ty)
        prev[0:1] = -1
        prev[1:] = ty[:-1]
        prev[(np.cumsum(self.lengths) - self.lengths)[self.lengths > 0]] = -1  # a sentence starts after nothing
        return "IOB1" if bool(np.any(is_i[self.ids] & (ty != prev))) else "IOB2"

    # ------------------------------------------------------------------------------------------------ a block
    def _block(self, buf: bytes) -> tuple[np.ndarray, np.ndarray]:
        if any(buf.find(c) >= 0 for c in _RARE_ASCII_WS):
            raise NotStreamable("unusual whitespace")
        if not buf.isascii():
            try:
                buf.decode("utf-8")
            except UnicodeDecodeError:
                raise NotStreamable("not UTF-8") from None
            if _UNICODE_WS.search(buf):
                raise NotStreamable("unusual whitespace")
        # 8 zero bytes after the block: a tag's bytes are read as 64-bit words (see _tag_ids)
        padded = np.frombuffer(buf + bytes(8), dtype=np.uint8)
        a = padded[:-8]
        nl = np.flatnonzero(a == 10)
        n_lines = len(nl)
        # fields are runs of non-whitespace bytes: the changes alternate between a start and the end after it
        # (the block starts after a newline and ends with one)
        at = np.flatnonzero(np.diff(_NON_WS[a].view(np.int8), prepend=np.int8(0)))
        starts, ends = at[0::2], at[1::2]
        per_line = np.diff(np.searchsorted(starts, nl), prepend=0)
        if buf.find(b"\t") >= 0:
            self._check_tabs(a, nl, starts, ends, np.repeat(np.arange(n_lines), per_line), per_line)
        content = np.flatnonzero(per_line)
        first_field = (np.cumsum(per_line) - per_line)[content]
        last_field = first_field + per_line[content] - 1
        is_doc = np.zeros(len(content), dtype=bool)
        cand = np.flatnonzero(ends[first_field] - starts[first_field] == len(_DOC))
        if len(cand):
            head = a[starts[first_field[cand]][:, None] + np.arange(len(_DOC))]
            is_doc[cand] = np.all(head == _DOC, axis=1)
        tok = ~is_doc
        cols = per_line[content[tok]]
        if len(cols):
            usual = self.columns if self.columns is not None else int(cols[0])
            if usual < 2 or np.any(cols != usual):
                raise NotStreamable("a line with one column or another number of columns")
            self.columns = usual
        self._ids.append(self._tag_ids(padded, starts[last_field[tok]], ends[last_field[tok]]))
        self._sentences(n_lines, content[tok], content[is_doc], self._line0)
        self._line0 += n_lines
        ws, we = starts[first_field[tok]], ends[first_field[tok]]
        lengths = we - ws
        if not len(lengths):
            return lengths, np.zeros(0, dtype=np.uint8)
        offsets = np.cumsum(lengths) - lengths
        return lengths, a[np.repeat(ws - offsets, lengths) + np.arange(int(lengths.sum()))]

    @staticmethod
    def _check_tabs(a: np.ndarray, nl: np.ndarray, starts: np.ndarray, ends: np.ndarray, line_of: np.ndarray,
                    per_line: np.ndarray) -> None:
        """A line with a tab is split at tabs by the full reader: the result is the same as splitting at
        whitespace only when one tab (and no other tab) separates each two fields and none comes first."""
        tabs = np.flatnonzero(a == 9)
        has_tab = np.bincount(np.searchsorted(nl, tabs), minlength=len(nl)) > 0
        if not len(starts):
            return
        before_start = np.searchsorted(tabs, starts)
        before_end = np.searchsorted(tabs, ends)
        first = np.zeros(len(starts), dtype=bool)
        first[(np.cumsum(per_line) - per_line)[per_line > 0]] = True
        gap = np.empty(len(starts), dtype=np.int64)  # tabs between the previous field (or line start) and this one
        gap[1:] = before_start[1:] - before_end[:-1]
        line_start = np.concatenate([[0], nl[:-1] + 1])
        gap[first] = before_start[first] - np.searchsorted(tabs, line_start[line_of[first]])
        want = np.where(first, 0, 1)
        if np.any(has_tab[line_of] & (gap != want)):
            raise NotStreamable("tab-separated columns that whitespace splitting would read otherwise")

    def _tag_ids(self, a: np.ndarray, ts: np.ndarray, te: np.ndarray) -> np.ndarray:
        """Tag ids of the token lines whose tag bytes are ``a[ts:te]``; new tags are checked and added.

        A tag's bytes are read as 64-bit words (8 bytes at a time, the bytes after the tag masked off), hashed
        into 65,536 buckets (:data:`_BUCKET_BITS`), and each bucket's first tag is compared word by word with every tag in it: ids are
        exact, and a Python call happens once per distinct tag of the block.
        """
        n = len(ts)
        if n == 0:
            return np.zeros(0, dtype=np.int32)
        tl = te - ts
        # every 8-byte window of the block as a little-endian 64-bit number (an overlapping view, no copy)
        win = np.ndarray((len(a) - 7,), dtype="<u8", buffer=a, strides=(1,))
        words = []
        for k in range(0, int(tl.max()), 8):
            left = np.clip(tl - k, 0, 8)
            words.append(win[np.minimum(ts + k, len(win) - 1)] & _MASKS[left])
        key = words[0] ^ (tl.astype(np.uint64) << np.uint64(56))
        for w in words[1:]:
            key = key * np.uint64(0x9E3779B97F4A7C15) + w
        bucket = (key * np.uint64(0xBF58476D1CE4E5B9) >> np.uint64(64 - _BUCKET_BITS)).astype(np.intp)
        first = np.full(1 << _BUCKET_BITS, -1, dtype=np.intp)
        first[bucket[::-1]] = np.arange(n - 1, -1, -1)
        rep = first[bucket]
        if not (np.array_equal(tl, tl[rep]) and all(np.array_equal(w, w[rep]) for w in words)):
            # two different tags share a bucket (never seen in practice): number the distinct tags exactly
            rows = np.stack([tl.astype(np.uint64)] + words, axis=1)
            uniq, index, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
            lut = np.array([self._tag_id(a, ts[r], te[r]) for r in index.tolist()], dtype=np.int32)
            return lut[inverse.ravel()]
        used = np.flatnonzero(first >= 0)
        lut = np.zeros(1 << _BUCKET_BITS, dtype=np.int32)
        lut[used] = [self._tag_id(a, ts[first[b]], te[first[b]]) for b in used.tolist()]
        return lut[bucket]

    def _tag_id(self, a: np.ndarray, start: int, end: int) -> int:
        tag = a[start:end].tobytes().decode("utf-8")
        parts = split_tag(tag)
        if parts is None:
            raise NotStreamable(f"malformed tag {tag!r}")
        self._prefixes.add(parts[0])
        if all(self._prefixes & mix for mix in _MIX):
            raise NotStreamable("IOBES and BILOU tags mixed")
        return self.vocab.setdefault(tag, len(self.vocab))

    def _sentences(self, n_lines: int, tok_lines: np.ndarray, doc_lines: np.ndarray, line0: int) -> None:
        """Group the block's token lines into sentences (blank and ``-DOCSTART-`` lines end one)."""
        kind = np.ones(n_lines, dtype=np.int8)  # 1 blank, 0 token, 2 -DOCSTART-
        kind[tok_lines] = 0
        kind[doc_lines] = 2
        boundary = kind != 0
        group = np.cumsum(boundary)[tok_lines]  # boundaries before each token line
        n_b = int(boundary.sum())
        counts = np.bincount(group, minlength=n_b + 1)
        first_line = np.full(n_b + 1, -1, dtype=np.int64)
        first_line[group[::-1]] = tok_lines[::-1] + line0 + 1
        docs_after = self._doc_count + np.cumsum(kind[boundary] == 2)
        doc = np.concatenate([[self._doc_count], docs_after]) - 1
        if len(doc_lines):
            self.has_docs = True
        self._doc_count = int(docs_after[-1]) if n_b else self._doc_count
        keep = np.flatnonzero(counts)
        sent = np.stack([counts[keep], first_line[keep], doc[keep]]).astype(np.int64)
        if self._open is not None:
            if counts[0]:  # the block goes on with the sentence the last block ended in
                self._open[0] += int(counts[0])
                sent = sent[:, 1:]
            if n_b:
                self._closed.append(np.array(self._open, dtype=np.int64).reshape(3, 1))
                self._open = None
        if sent.shape[1] and counts[n_b] and (self._open is None):
            self._open = [int(x) for x in sent[:, -1]]
            sent = sent[:, :-1]
        if sent.shape[1]:
            self._closed.append(sent)
