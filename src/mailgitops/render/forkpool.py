"""Work spread over forked processes: how `render` uses every core for pure-Python work.

Fork, not spawn: a worker inherits the loaded repository, the compiled templates and every module
already imported, instead of receiving them pickled and importing again (~0.3 s a worker).
Only the chunk's items go to the worker and only its results come back."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
_STATE: dict[str, Any] = {}  # what the forked workers inherit instead of receiving it pickled


def state() -> Mapping[str, Any]:
    """The `state` given to fork_map, in the worker (and in the parent, when it runs alone)."""
    return _STATE


def chunks(items: Sequence[T], workers: int, *, per_worker: int = 8, most: int = 64) -> list[list[T]]:
    """Items in consecutive chunks: about `per_worker` chunks for each worker, so that a worker
    slowed by the machine's other work does not hold the last chunk alone, and at most `most`
    items a chunk, so that results stream back for the progress bar; at least one item."""
    size = max(1, min(most, -(-len(items) // max(1, workers * per_worker))))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def fork_map(fn: Callable[[list[T]], R], parts: list[list[T]], workers: int,
             shared: Mapping[str, Any]) -> Iterator[R]:
    """`fn` over each part, results in the parts' order; `shared` is what `state()` returns.
    One process when one core (or one part) is all there is, or where fork does not exist."""
    _STATE.clear()
    _STATE.update(shared)
    try:
        workers = min(workers, len(parts))
        if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            for part in parts:
                yield fn(part)
            return
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            yield from pool.map(fn, parts)
    finally:
        _STATE.clear()
