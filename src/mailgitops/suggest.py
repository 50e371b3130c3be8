"""The one "did you mean" rule: the closest known name to a typo, for every hint that offers one."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice most like `word`, if any is close enough to be a typo of it (`cutoff`: how
    alike, 0 to 1; higher where a miss costs more than a silent pass)."""
    import difflib  # here: the dispatcher needs it only for a refused event

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    match = closest(word, choices)
    return f"did you mean `{match}`?" if match else None
