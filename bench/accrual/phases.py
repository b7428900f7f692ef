"""The accrual job's wall time split by phase: wrappers around its batch-level functions,
installed only while the timed call runs (a few wrapper calls per batch, negligible)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from app.lending import accrual, delinquency
from bench.common.measure import rounded

PHASES = (
    ("accrual", "accrue_batch", "batch"),
    ("accrual", "_apply_updates", "cas_update"),
    ("accrual", "_post_entries", "ledger_posts"),
    ("delinquency", "after_accrual", "delinquency"),
)
"""(module, function, phase): wrapped while timing to split the run's wall time."""


@contextmanager
def phase_timers() -> Iterator[dict[str, float]]:
    """Time the job's batch-level functions (a few wrapper calls per batch, negligible)."""
    modules = {"accrual": accrual, "delinquency": delinquency}
    spent: dict[str, float] = {}
    originals: list[tuple[Any, str, Any]] = []

    def timed(phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[phase] = spent.get(phase, 0.0) + time.perf_counter() - start

        return wrapper

    for module_name, name, phase in PHASES:
        module = modules[module_name]
        fn = getattr(module, name, None)
        if fn is None:
            continue
        originals.append((module, name, fn))
        setattr(module, name, timed(phase, fn))
    try:
        yield spent
    finally:
        for module, name, fn in originals:
            setattr(module, name, fn)


def phase_breakdown(spent: dict[str, float], total: float) -> dict[str, float | None]:
    batch = spent.get("batch")
    parts = {k: spent.get(k) for k in ("cas_update", "ledger_posts", "delinquency")}
    known = sum(v for v in parts.values() if v is not None)
    out: dict[str, float | None] = {
        "select_and_compute": None if batch is None else round(batch - known, 3),
        **{k: rounded(v, 3) for k, v in parts.items()},
        "transactions_and_run_row": None if batch is None else round(total - batch, 3),
    }
    return out
