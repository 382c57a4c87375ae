"""Long CLI commands draw a progress bar on stderr when it is a terminal, and nothing extra with --json or a pipe."""
from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

from evaluator.cli import progress_bar


def _run_with_terminal_stderr(args: list[str], cwd) -> tuple[str, str]:
    """Run the CLI with stderr on a pseudo-terminal (stdout piped); returns (stdout, what the terminal got)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))  # 30 rows, 120 columns
    proc = subprocess.Popen([sys.executable, "-m", "evaluator", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=slave, env={**os.environ, "COLUMNS": "120"})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out, _ = proc.communicate(timeout=300)
    os.close(master)
    assert proc.returncode == 0
    return out.decode(), b"".join(chunks).decode(errors="replace")


def test_a_bar_on_a_terminal_and_nothing_with_json(tmp_path):
    out, terminal = _run_with_terminal_stderr(["demo", "--workspace", str(tmp_path / "ws")], tmp_path)
    assert "demo:" in terminal and "|" in terminal and "%" in terminal  # tqdm's bar with its label
    assert "importing" in terminal and "/5" in terminal  # the message and done/total of the five demo files
    out, terminal = _run_with_terminal_stderr(["demo", "--workspace", str(tmp_path / "ws2"), "--json"], tmp_path)
    assert "%" not in terminal and "importing" not in terminal
    assert out.lstrip().startswith("{")


def test_no_receiver_when_quiet_or_piped():
    with progress_bar("x", quiet=True) as p:
        assert p is None
    # under pytest stderr is captured (not a terminal): no bar either
    with progress_bar("x") as p:
        assert p is None
