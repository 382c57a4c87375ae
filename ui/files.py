"""Uploads and downloads: a browser upload becomes a temporary file that keeps its name and extension (format
detection and error messages use them); an export becomes bytes for ``st.download_button``."""
from __future__ import annotations

import io
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from evaluator.workspace import Workspace


@contextmanager
def saved_upload(name: str, data: bytes) -> Iterator[Path]:
    """Write ``data`` to ``<tmpdir>/<name>`` (basename only) and yield the path; removed afterwards."""
    safe = Path(name).name or "upload"
    with tempfile.TemporaryDirectory(prefix="evaluator-upload-") as tmp:
        path = Path(tmp) / safe
        path.write_bytes(data)
        yield path


def export_bytes(ws: Workspace, source: str, *, format: str) -> dict:
    """Export ``source`` with :func:`evaluator.importer.export_records` and return the file as bytes.

    Returns the export report plus ``file_name``, ``data`` and ``mime``. A folder export (the ``folder`` format)
    is zipped.
    """
    from evaluator.formats import get_format
    from evaluator.importer import export_records

    fmt = get_format(format)
    stem = source.replace(":", "-").replace("@", "-v")
    ext = fmt.extensions[0] if fmt.extensions else ""
    with tempfile.TemporaryDirectory(prefix="evaluator-export-") as tmp:
        out = Path(tmp) / f"{stem}{ext}"
        report = export_records(ws, source, format=fmt.name, out=out)
        if out.is_dir():
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for p in sorted(out.rglob("*")):
                    if p.is_file():
                        zf.write(p, p.relative_to(out.parent))
            return {**report, "file_name": f"{stem}.zip", "data": buf.getvalue(), "mime": "application/zip"}
        mime = {".jsonl": "application/jsonl", ".json": "application/json", ".csv": "text/csv"}.get(
            ext, "application/octet-stream")
        return {**report, "file_name": out.name, "data": out.read_bytes(), "mime": mime}
