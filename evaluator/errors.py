"""One exception hierarchy with actionable messages.

Every error a user can cause derives from :class:`EvaluatorError`. Messages say what happened, where (file,
line or record) and what to do. The CLI prints ``str(err)`` and exits 2; pages show it with ``st.error``.
"""
from __future__ import annotations


class EvaluatorError(Exception):
    """Base class of every user-facing error."""

    #: short machine-readable code, shown in ``--json`` error output
    code = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message} Fix: {hint}")


class InputFormatError(EvaluatorError):
    """A file could not be read: bad JSON, bad columns, bad offsets, bad bytes.

    ``path`` and ``line`` (1-based line or record number) locate the problem.
    """

    code = "bad_input"

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message, hint=hint)


class ValidationError(EvaluatorError):
    """Several records of one input failed validation; nothing was written."""

    code = "invalid"

    def __init__(self, problems: list[InputFormatError], *, limit: int = 10) -> None:
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:limit])
        more = f"\n  ... and {len(problems) - limit} more" if len(problems) > limit else ""
        super().__init__(f"{len(problems)} problem(s) found; nothing was imported:\n{shown}{more}")


class NotFoundError(EvaluatorError):
    code = "not_found"


class ConfigError(EvaluatorError):
    """Bad option, bad workspace setup, unknown registry name."""

    code = "config"


class FrozenError(EvaluatorError):
    """A write to a frozen gold-set version."""

    code = "frozen"


class IntegrityError(EvaluatorError):
    """A stored content hash or artifact hash does not match what is on disk / in the database."""

    code = "integrity"


class LeakageError(EvaluatorError):
    """Gold-set texts would enter training data."""

    code = "leakage"

    def __init__(self, count: int, examples: list[str], *, where: str, hint: str | None = None,
                 found_in: str = "a gold set") -> None:
        self.count = count
        self.examples = examples
        shown = "; ".join(repr(t[:60]) for t in examples[:3])
        super().__init__(
            f"{count} example(s) {where} are in {found_in} (leakage guard), e.g. {shown}. Nothing was written.",
            hint=hint,
        )


class AlreadyExistsError(EvaluatorError):
    code = "exists"
