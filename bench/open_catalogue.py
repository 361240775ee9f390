"""Benchmark: opening a new SQLite catalogue's database, with the schema check, against what the
release before migrations did.

Not a test. Run from the repository root::

    python bench/open_catalogue.py [--repeat N] [--json]

Each round makes two new SQLite databases in a temporary folder and times:

* ours: ``core.db.make_engine`` (the schema state read, ``create_all`` and the stamp of the
  newest revision in one locked transaction, the audit head row);
* bare: the previous release's ``make_engine``, done bare: the same engine and connection
  settings, ``Base.metadata.create_all`` and the audit head row.

and then reopens each (ours: the revision checked; bare: nothing but the head row looked up).
Printed are the medians in milliseconds and the ratios median(ours) / median(bare); the test
suite opens hundreds of new catalogues, so the target is 1.2 or less.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from itertools import count
from pathlib import Path
from typing import Any

from _common import alternate, code_version, machine, timed
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from bsu_models.core.db import _configure_sqlite, make_engine
from bsu_models.core.orm import AuditHeadRow, Base
from bsu_models.core.schema import GENESIS_HASH

TARGET_RATIO = 1.2


def _bare(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30})
    _configure_sqlite(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        if session.get(AuditHeadRow, 1) is None:
            session.add(AuditHeadRow(id=1, last_id=0, last_hash=GENESIS_HASH))
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bsu-open-"))
    numbers = count()

    def opener(make: Any) -> Any:
        def run() -> tuple[float, float]:
            url = f"sqlite:///{folder / f'{next(numbers)}.sqlite3'}"
            fresh, engine = timed(lambda: make(url))
            engine.dispose()
            again, engine = timed(lambda: make(url))
            engine.dispose()
            return fresh, again

        return run

    opener(make_engine)(), opener(_bare)()  # imports and caches warm
    ours, bare = alternate(args.repeat, opener(make_engine), opener(_bare))
    result = {
        "code": code_version("bsu_models"),
        "machine": machine(),
        "repeat": args.repeat,
        "new_ms": {
            "ours": statistics.median(r[0] for r in ours) * 1000,
            "bare": statistics.median(r[0] for r in bare) * 1000,
        },
        "reopen_ms": {
            "ours": statistics.median(r[1] for r in ours) * 1000,
            "bare": statistics.median(r[1] for r in bare) * 1000,
        },
        "target_ratio": TARGET_RATIO,
    }
    for key in ("new_ms", "reopen_ms"):
        result[key]["ratio"] = result[key]["ours"] / result[key]["bare"]
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['code']} on {result['machine']}, {args.repeat} rounds")
    for key, words in (("new_ms", "new catalogue"), ("reopen_ms", "reopened")):
        side = result[key]
        print(
            f"{words:<14} ours {side['ours']:6.1f} ms  bare {side['bare']:6.1f} ms  "
            f"ratio {side['ratio']:.2f} (target {TARGET_RATIO})"
        )


if __name__ == "__main__":
    main()
