"""Sender: an address with an optional display name (S1, S3; a webshop's own, S2).

Its own module so that the dispatcher's send path does not pay for building every model class."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sender:
    address: str
    name: str | None = None
