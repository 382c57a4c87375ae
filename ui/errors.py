"""Show errors the way users should see them: the message and the fix, never a traceback."""
from __future__ import annotations

import logging
import re
import tempfile
from typing import Any, Callable, TypeVar

import streamlit as st

from evaluator.errors import EvaluatorError, ValidationError
from ui.render import escape_md

T = TypeVar("T")
log = logging.getLogger("evaluator.app")
# uploads are saved as <tmp>/evaluator-upload-XXXX/<name>; users should only see <name>
_UPLOAD_DIR = re.compile(re.escape(tempfile.gettempdir()) + r"[/\\]evaluator-upload-[^/\\]+[/\\]")


#: CLI options named in error hints, as the Data page's import options call them: (label, verb)
_APP_OPTIONS = {
    "--snap-spans": ("“Snap span offsets to token boundaries”", "tick"),
    "--extend-labels": ("“Add labels that are not in the label set”", "tick"),
    "--skip-gold-overlap": ("“Leave out overlapping texts”", "tick"),
    "--no-header": ("“CSV has no header row”", "tick"),
    "--text-column": ("“CSV/JSONL text column”", "set"),
    "--label-column": ("“CSV/JSONL label column”", "set"),
    "--scheme": ("“CoNLL tag scheme”", "set"),
}
_FLAGS = "|".join(map(re.escape, _APP_OPTIONS))
_PASS_OPTION = re.compile(r"\b(?:pass|add|use) (" + _FLAGS + r")\b( with\b)?")
_OPTION = re.compile(r"(" + _FLAGS + r")\b")


def app_words(text: str) -> str:
    """Say what to do in the app where a hint names a CLI option (``pass --snap-spans`` -> tick the option)."""
    text = re.sub(r"\bpass --encoding ", "set “Encoding” under Options to ", text)
    text = re.sub(r"(?:, or |, )--encoding ", lambda m: m.group(0).replace("--encoding ", "to "), text)

    def _pass(m: re.Match) -> str:
        label, verb = _APP_OPTIONS[m.group(1)]
        return f"{verb} {label} under Options" + (" to" if m.group(2) else "")

    text = _PASS_OPTION.sub(_pass, text)
    text = _OPTION.sub(lambda m: f"{_APP_OPTIONS[m.group(1)][0]} under Options", text)
    text = re.sub(r"\bpass --format with one of:", "choose one of these as Format:", text)
    return re.sub(r"\bthe --format\b", "the Format", text)


def _clean(text: str) -> str:
    return escape_md(app_words(_UPLOAD_DIR.sub("", text)))


def error_markdown(err: BaseException, *, limit: int = 20) -> str:
    """Markdown for an error: a ValidationError lists its problems, others are one paragraph."""
    if isinstance(err, ValidationError):
        items = "\n".join(f"- {_clean(str(p))}" for p in err.problems[:limit])
        more = f"\n- ... and {len(err.problems) - limit} more" if len(err.problems) > limit else ""
        return f"**{len(err.problems)} problem(s) found; nothing was imported.**\n\n{items}{more}"
    if isinstance(err, EvaluatorError):
        text = _clean(err.message)
        return text + (f"\n\n**Fix:** {_clean(err.hint)}" if err.hint else "")
    return (f"Something went wrong ({type(err).__name__}: {_clean(str(err))[:300]}). This is a bug; "
            "the details are in the server log.")


def call(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T | None:
    """Run ``fn(*args, **kwargs)``; on an error show it with ``st.error`` and return None.

    ``EvaluatorError`` shows its message (a ``ValidationError`` lists its problems); any other exception shows
    one short line (the traceback goes to the server log only). ``st.stop``/``st.rerun`` pass through.
    """
    try:
        return fn(*args, **kwargs)
    except EvaluatorError as err:
        st.error(error_markdown(err))
    except Exception as err:  # a bug: short message for the user, traceback for the log
        log.exception("error in %s", getattr(fn, "__name__", fn))
        st.error(error_markdown(err))
    return None
