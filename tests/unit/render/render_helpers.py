"""Helpers for the render tests (a plain module: conftest.py files are not importable by name)."""

from __future__ import annotations

from typing import Any

from mailgitops.model import Repo
from mailgitops.render.context import build_context


def flyers_context(repo: Repo, **overrides: Any) -> dict[str, Any]:
    event = dict(repo.samples["flyers"].data)
    for key, value in overrides.items():
        event[key] = {**event.get(key, {}), **value}
    return build_context(event, recipient=event["customer"], order_url=repo.workflow.order_url,
                         sender=repo.smtp.sender, webshop_name="Campus shop")
