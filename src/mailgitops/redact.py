"""A password written where a place goes (`user:secret@host`, `password=secret`) is never repeated
in a message: messages reach CI's annotations, the pull request's comment and the journal."""

from __future__ import annotations

import re

_SECRET = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)"  # libpq's keyword form
                     r"|((?:^|[/\s`'\"])[^/@:\s`'\"]+:)[^/@\s`'\"]*(@)",  # user:secret@ in a host or URL
                     re.IGNORECASE)


def unsecret(text: str) -> str:
    """`text` with the password of each `user:secret@` and `password=secret` as `***`."""
    return _SECRET.sub(lambda m: f"{m[1]}***" if m[1] else f"{m[3]}***{m[4]}", text)
