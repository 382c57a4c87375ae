"""One annotator judging an A/B session in its own process (for the team and SIGKILL tests).

    python -m tests.core.ab_worker WORKSPACE DB_URL SESSION ANNOTATOR COUNT

Prints one line ``ack ITEM_ID CHOICE`` (flushed) after each judgment the library acknowledged, and ``done N`` at
the end. DB_URL ``-`` means the workspace's SQLite file.
"""
from __future__ import annotations

import random
import sys


def main(argv: list[str]) -> None:
    from evaluator.ab import judge, next_item
    from evaluator.workspace import open_workspace

    path, url, session, annotator, count = argv
    ws = open_workspace(path, db_url=None if url == "-" else url)
    rng = random.Random(annotator)
    n = 0
    while n < int(count):
        item = next_item(ws, int(session), annotator)
        if item["done"]:
            break
        choice = rng.choice(["left", "right", "tie", "neither"])
        judge(ws, int(session), item["item_id"], annotator, choice)
        n += 1
        print(f"ack {item['item_id']} {choice}", flush=True)
    print(f"done {n}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
