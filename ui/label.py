"""The Label page's session state and cached reads.

Session state holds UI selections only: the example on screen (its id, pinned until it is answered so the
page does not jump while someone works on it), the spans being edited for it with their edit history (for
"undo span"), and a message to show after an action. Every answer goes to the database at once.
"""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from evaluator import labeling
from evaluator.errors import EvaluatorError, NotFoundError
from evaluator.labeling import Item, Recipe
from evaluator.records import Span
from evaluator.workspace import Workspace, open_workspace
from ui import cache

MODE = "label.mode"
ROUND = "label.round"
GOLD = "label.gold"
NEW_GOLD = "label.new_gold"
STRATEGY = "label.strategy"
METHOD = "label.method"
MODEL = "label.model"
COMMITTEE = "label.committee"
SUGGEST = "label.suggest"
SEED = "label.seed"
OVERLAP = "label.overlap"
VIEW = "label.view"
REVIEWER = "label.reviewer"
#: {"sig": settings signature, "id": example id} of the example on screen
CURRENT = "label.current"
#: {"id": example id, "spans": [[start, end, label], ...], "history": [previous span lists]}
EDIT = "label.edit"
#: (kind, markdown) shown once after an action: kind is success / info / warning / error
FLASH = "label.flash"


def tokens_key(example_id: int) -> str:
    return f"label.tokens.{example_id}"


def remove_key(example_id: int) -> str:
    return f"label.remove.{example_id}"


def flash(kind: str, text: str) -> None:
    st.session_state[FLASH] = (kind, text)


def show_flash() -> None:
    """Show the message of the last action: a toast for news, a box for warnings and errors."""
    kind, text = st.session_state.pop(FLASH, (None, None))
    if kind in ("success", "info"):
        st.toast(text, icon="✅" if kind == "success" else "↩️")
    elif kind:
        getattr(st, kind)(text)


def _signature(rec: Recipe) -> tuple:
    return (str(rec.ws.path), rec.ws.url, str(rec.target), rec.annotator, rec.strategy, rec.method, rec.model,
            rec.committee, rec.seed, rec.overlap, rec.suggest)


def current_item(rec: Recipe, *, progress: Callable | None = None) -> Item | None:
    """The example on screen: the pinned one while it is not answered, else the stream's next."""
    pinned = st.session_state.get(CURRENT)
    if pinned and pinned["sig"] == _signature(rec):
        try:
            return rec.item(pinned["id"])
        except NotFoundError:  # deleted meanwhile (e.g. its answer was imported from a file): take the next
            pass
    items = rec.stream(1, progress=progress)
    if not items:
        st.session_state.pop(CURRENT, None)
        return None
    st.session_state[CURRENT] = {"sig": _signature(rec), "id": items[0].example_id}
    return items[0]


def _pin(rec: Recipe, example_id: int | None) -> None:
    if example_id is None:
        st.session_state.pop(CURRENT, None)
    else:
        st.session_state[CURRENT] = {"sig": _signature(rec), "id": example_id}
    st.session_state.pop(EDIT, None)


def spans(item: Item) -> list[Span]:
    """The spans being edited for ``item`` (the model's suggestion to start with, in correct mode)."""
    edit = st.session_state.get(EDIT)
    if not edit or edit["id"] != item.example_id:
        start = item.suggestion if isinstance(item.suggestion, list) else []
        edit = {"id": item.example_id, "spans": [s.as_list() for s in start], "history": []}
        st.session_state[EDIT] = edit
    return [Span(*s) for s in edit["spans"]]


def _set_spans(item: Item, new: list[Span]) -> None:
    edit = st.session_state[EDIT]
    edit["history"].append(edit["spans"])
    edit["spans"] = [s.as_list() for s in new]


def token_markdown(item: Item, spans: list[Span], colors: dict[str, str]) -> dict[int, str]:
    """How each shown token (whitespace tokens are not shown) is written on its pill: tokens inside a span on
    the span label's colour."""
    from ui.render import escape_md

    label_of = {i: s.label for s in spans for i, (a, b) in enumerate(item.tokens) if a >= s.start and b <= s.end}
    out = {}
    for i, (a, b) in enumerate(item.tokens):
        word = item.text[a:b]
        if word.strip():
            out[i] = f":{colors.get(label_of[i], 'gray')}-background[{escape_md(word)}]" if i in label_of else \
                escape_md(word)
    return out


def can_undo_span(item: Item) -> bool:
    edit = st.session_state.get(EDIT)
    return bool(edit and edit["id"] == item.example_id and edit["history"])


# -------------------------------------------------------------------------------- callbacks (run before the page)

def add_span(item: Item, label: str) -> None:
    """Turn the selected tokens (first to last) into a span of ``label``; clear the selection."""
    chosen = st.session_state.get(tokens_key(item.example_id)) or []
    if not chosen:
        flash("warning", f"Select the tokens of the entity first (click its first and last token), then "
                         f"**{label}**.")
        return
    _set_spans(item, labeling.add_span(item.tokens, spans(item), min(chosen), max(chosen), label))
    st.session_state[tokens_key(item.example_id)] = []


def remove_span(item: Item) -> None:
    """Remove the span clicked in the span list."""
    k = st.session_state.get(remove_key(item.example_id))
    current = spans(item)
    if k is not None and 0 <= k < len(current):
        _set_spans(item, [s for i, s in enumerate(current) if i != k])
    st.session_state[remove_key(item.example_id)] = None


def answer(rec: Recipe, item: Item, answer: str, label: str | None = None) -> None:
    """Save an answer (NER: the spans being edited) and move on to the next example."""
    try:
        res = rec.save(item.example_id, answer, spans=spans(item) if rec.ws.task == "ner" else None, label=label)
    except EvaluatorError as err:
        from ui.errors import error_markdown
        flash("error", error_markdown(err))
        return
    _pin(rec, None)
    st.session_state.pop(tokens_key(item.example_id), None)
    what = {"accept": "Accepted", "reject": "Rejected", "ignore": "Ignored"}[res["answer"]]
    flash("success", f"{what} #{res['example_id']}" + (f" as **{label}**" if label and answer == "accept" else "")
          + f" → {res['target']}.")


def undo(rec: Recipe, item: Item | None) -> None:
    """Undo the last span edit of the example on screen, or else bring back your previous answer."""
    if item is not None and can_undo_span(item):
        edit = st.session_state[EDIT]
        edit["spans"] = edit["history"].pop()
        return
    try:
        res = rec.undo()
    except EvaluatorError as err:
        from ui.errors import error_markdown
        flash("error", error_markdown(err))
        return
    if res is None:
        flash("info", f"Nothing to undo: you have no answers in {rec.target}.")
        return
    _pin(rec, res["example_id"])
    flash("info", f"Undid your answer ({res['answer']}) to #{res['example_id']}"
          + (": it is back in the pool." if res["moved_back"] else "."))


def settings_changed() -> None:
    """A different target or order: show the stream's next example."""
    st.session_state.pop(CURRENT, None)
    st.session_state.pop(EDIT, None)


# -------------------------------------------------------------------------------- cached reads

@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _progress(path: str, url: str, fp: tuple, target: str) -> dict:
    return labeling.target_progress(open_workspace(path, db_url=url), target)


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _agreement(path: str, url: str, fp: tuple, target: str) -> dict:
    return labeling.agreement(open_workspace(path, db_url=url), target)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _confidence_source(path: str, url: str, fp: tuple, model: str) -> str | None:
    from evaluator.active import confidence_source
    return confidence_source(open_workspace(path, db_url=url), model)


def _cached(ws: Workspace, cached, direct, *args) -> Any:
    return cache.read(ws, cache.everything, cached, direct, *args)


def progress(ws: Workspace, target: str) -> dict:
    """``evaluator.labeling.target_progress``, cached."""
    return _cached(ws, _progress, labeling.target_progress, target)


def agreement(ws: Workspace, target: str) -> dict:
    """``evaluator.labeling.agreement``, cached."""
    return _cached(ws, _agreement, labeling.agreement, target)


def confidence_source(ws: Workspace, model: str) -> str | None:
    """``evaluator.active.confidence_source``, cached."""
    from evaluator.active import confidence_source as direct
    return _cached(ws, _confidence_source, direct, model)


def clear() -> None:
    for fn in (_progress, _agreement, _confidence_source):
        fn.clear()
