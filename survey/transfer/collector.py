"""Python's cyclic garbage collector, paused for bulk work (exports, imports).

Bulk work allocates a few tuples and lists per row and frees them by reference counting; the collector,
triggered every 700 allocations, re-scans the application's long-lived objects each time (14 % of an
import's time, 45 % of a PostgreSQL export's CPU: docs/benchmarks.md). It is restarted only if it was
running, so overlapping bulk work in one process leaves it as it found it.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
