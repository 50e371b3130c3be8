"""The example addresses a new repository ships with, still in its settings: names under the
domains reserved for examples (RFC 2606: example.com, example.org, example.net, and the .example,
.test and .invalid names), which no mail reaches. A print room that kept `cc: archive@example.com`
would send every customer's copy nowhere (a bounce each time), and one that kept an example
sender would not be believed. Three places name each one, through the one list of fields below
and in the same words: `validate` (at its line, so the admin sees it in the pull request),
`smtp check` (the step before going live) and `serve` when it starts to send for real."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mailgitops.settings import Settings

_RESERVED = ("example.com", "example.org", "example.net")
_RESERVED_TLDS = ("example", "test", "invalid")

# every address field of the settings: the file and the YAML keys to it (`*`: each key of that
# mapping). A field holds one address, a list of them or a "a@x; b@y" text
FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("config/smtp.yaml", ("sender", "address")),
    ("config/smtp.yaml", ("cc",)),
    ("config/smtp.yaml", ("bcc",)),
    ("config/smtp.yaml", ("reply_to",)),
    ("config/workflow.yaml", ("triggers", "*", "cc")),
    ("config/workflow.yaml", ("triggers", "*", "bcc")),
    ("config/webshops/*.yaml", ("sender", "address")),
    ("config/webshops/*.yaml", ("reply_to",)),
    ("config/webshops/*.yaml", ("cc",)),
)
FIX = "put the print room's own address there before going live"
_PARTS = re.compile(r"[^;,]+")


def why(n: int = 1) -> str:
    return ("a domain reserved for examples, where no mail arrives" if n == 1
            else "domains reserved for examples, where no mail arrives")


def reserved(address: str) -> bool:
    domain = address.rpartition("@")[2].rstrip(".").lower()
    return (domain in _RESERVED or domain.endswith(tuple(f".{d}" for d in _RESERVED))
            or domain.rpartition(".")[2] in _RESERVED_TLDS)


Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Place:
    file: str
    path: Path  # the YAML keys to the value (a list item's index included)
    address: str

    @property
    def where(self) -> str:
        """`config/smtp.yaml cc`: the setting, as the admin finds it in the file."""
        return f"{self.file} {'.'.join(k for k in self.path if isinstance(k, str))}"


def _values(data: Any, keys: tuple[str, ...], path: Path) -> Iterator[tuple[Path, Any]]:
    if not keys:
        yield path, data
        return
    if not isinstance(data, Mapping):
        return
    head, rest = keys[0], keys[1:]
    for key in (sorted(data, key=str) if head == "*" else [head] if head in data else []):
        yield from _values(data[key], rest, (*path, key))


def in_files(files: Mapping[str, Any]) -> list[Place]:
    """Each example address in these parsed files (repository path -> YAML data), in the order
    of FIELDS and of the files."""
    out: list[Place] = []
    for pattern, keys in FIELDS:
        for file in sorted(f for f in files if fnmatch.fnmatchcase(f, pattern)):
            for path, value in _values(files[file], keys, ()):
                items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
                for i, item in items:
                    if not isinstance(item, str):
                        continue
                    at = path if i is None else (*path, i)
                    out += [Place(file, at, m.group(0).strip()) for m in _PARTS.finditer(item)
                            if m.group(0).strip() and reserved(m.group(0).strip())]
    return out


def found(settings: Settings) -> list[Place]:
    """Each example address in the settings a bundle carries (their shape is the files' own)."""
    data = settings.to_json()
    files = {"config/smtp.yaml": data["smtp"], "config/workflow.yaml": data["workflow"],
             **{f"config/webshops/{shop}.yaml": shop_data for shop, shop_data in data["webshops"].items()}}
    return in_files(files)


def message(address: str) -> str:
    """What validate says at the address's line (the fix is FIX)."""
    return f"example address `{address}` ({why()}) still in the settings"


def warning(settings: Settings) -> list[str]:
    """The warning naming each example address still in the settings ([] when none is): its
    first line, then one line per address."""
    examples = found(settings)
    if not examples:
        return []
    n = len(examples)
    head = f"{n} example address{'es' if n > 1 else ''} ({why(n)}) still in the settings; {FIX}:"
    return [head, *(f"  {p.where}: {p.address}" for p in examples)]
