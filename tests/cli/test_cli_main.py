"""The command group's error handling (evaluator/cli/__init__.py)."""
import subprocess
import sys
import textwrap


def test_a_closed_pipe_ends_quietly_without_an_internal_error(tmp_path):
    # `evaluator score ... | head -3`: when the reader goes away, no "internal error" line and no traceback
    script = textwrap.dedent("""
        import click
        from evaluator.cli import main

        @main.command("qa-print-a-lot")
        def qa_print_a_lot():
            for i in range(200000):
                click.echo(f"line {i}")

        main(["qa-print-a-lot"])
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # like `head -1`
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert first == b"line 0\n"
    assert "internal error" not in err and "Traceback" not in err and "BrokenPipe" not in err
    assert proc.returncode == 141
