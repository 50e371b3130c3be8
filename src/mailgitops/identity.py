"""Mailbox: an address with an optional display name, as in a From header (S1, S3; a webshop's
own, S2). Not to be confused with dispatch/sender.py's Sender, which delivers outbox rows.

Its own module so that the dispatcher's send path does not pay for building every model class."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Mailbox:
    address: str
    name: str | None = None
