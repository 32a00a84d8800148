"""A library user's first steps with kura: store a file, read it back, rotate its key, post a task.

Run it against a devnet (``kura devnet up && kura deploy``, with compute agents running for the task part:
``kura compute run --account N --stake 1`` for a few accounts, one of them promoted)::

    python examples/first_steps.py path/to/file [--task]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import kura


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="a file to store")
    parser.add_argument("--task", action="store_true", help="also post a word-count task and wait for its result")
    args = parser.parse_args()

    with kura.connect() as k:  # devnet (or KURA_NETWORK), account 0
        stored = k.storage.put(args.file, k=3, n=5)  # encrypted, 5 shares on 5 nodes
        print("stored", stored.file_id.hex(), "for", stored.register_gas, "gas")
        k.storage.get(stored.file_id, args.file.with_suffix(".copy"))  # any 3 shares rebuild it
        print("rotated to version", k.storage.rotate([stored.file_id])[0].version)
        if args.task:
            task = k.tasks.submit("textstats", args.file, reward="0.01")  # escrowed, audited
            print(k.tasks.wait(task.task_id).state, k.tasks.result(task.task_id).decode())


if __name__ == "__main__":
    main()
