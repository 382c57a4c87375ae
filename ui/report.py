"""The Report page's cached exports and its block renderer (the layout comes from :mod:`evaluator.report.export`).

A report is computed by :func:`evaluator.report.engine.build_report` (stored in the workspace and reused); what is
cached here is only the rendering of its exports (vl-convert takes a few seconds for the charts), keyed by the
report's checksum.
"""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import streamlit as st

from evaluator.report.export import Mark
from ui.render import escape_md


def workspace_with_gold():
    """(workspace, status) for a page that needs a gold set; says what to do and stops the page otherwise."""
    import ui
    from ui import cache

    ws = ui.require_workspace()
    status = ui.call(cache.workspace_status, ws)
    if status is None:
        st.stop()
    if not status["gold_sets"]:
        st.info("No gold set yet: import one on the **Data** page (into `gold:NAME`) or split one off a round on "
                "the **Gold sets** page.")
        st.stop()
    return ws, status


def report_key(rep: dict[str, Any]) -> str:
    """The checksum of a report (what its exports are cached by)."""
    from evaluator.results import checksum

    return checksum({k: v for k, v in rep.items() if k != "reused"})


@st.cache_data(max_entries=8, ttl=3600, show_spinner="Rendering the HTML report (charts inline) ...")
def _html(key: str, _rep: dict[str, Any]) -> bytes:
    from evaluator.report.export import to_html
    return to_html(_rep).encode("utf-8")


@st.cache_data(max_entries=8, ttl=3600, show_spinner="Rendering the Markdown report and its PNG charts ...")
def _markdown_zip(key: str, _rep: dict[str, Any]) -> bytes:
    from evaluator.report.export import write_markdown
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        write_markdown(_rep, tmp)
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in sorted(Path(tmp).rglob("*")):
                if p.is_file():
                    zf.write(p, Path("report") / p.relative_to(tmp))
    return buf.getvalue()


def html_bytes(rep: dict[str, Any]) -> bytes:
    """The self-contained HTML report, cached."""
    return _html(report_key(rep), rep)


def markdown_zip(rep: dict[str, Any]) -> bytes:
    """``report/report.md`` with ``report/charts/*.png`` as a zip file, cached."""
    return _markdown_zip(report_key(rep), rep)


def json_bytes(rep: dict[str, Any]) -> bytes:
    from evaluator.report.export import to_json
    return to_json({k: v for k, v in rep.items() if k != "reused"}).encode("utf-8")


def _cell(v: Any) -> str:
    if isinstance(v, Mark):
        return f"{v.left}«{v.entity}»{v.right}"
    return "–" if v is None else str(v)


def show_blocks(blocks: list[tuple], *, skip_headings: int = 0) -> None:
    """Draw report blocks with Streamlit elements (every string escaped; tables as dataframes)."""
    import pandas as pd

    for b in blocks:
        kind = b[0]
        if kind == "h":
            if b[1] <= skip_headings:
                continue
            (st.subheader if b[1] <= 2 else st.markdown)(escape_md(b[2]) if b[1] <= 2 else f"**{escape_md(b[2])}**")
        elif kind == "p":
            st.markdown(escape_md(b[1]))
        elif kind == "small":
            st.caption(escape_md(b[1]))
        elif kind == "ul":
            st.markdown("\n".join(f"- {escape_md(x)}" for x in b[1]))
        elif kind == "table":
            headers, rows = b[1], b[2]
            st.dataframe(pd.DataFrame([[_cell(v) for v in row] for row in rows], columns=headers), hide_index=True,
                         width="stretch")
