"""A console wired to a real Service (real bundle, real SQLite outbox, real SMTP sink) for the
console's tests: in-process (Starlette's TestClient) and in Chromium (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailgitops.console.accounts import Accounts
from mailgitops.console.app import ConsoleSettings, console_app
from mailgitops.serve.service import Service
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event

PASSWORD = "correct horse battery"  # a throwaway test password, made up for these tests


@dataclass
class ConsoleRig:
    service: Service
    settings: ConsoleSettings
    app: Any
    attachments: Path

    def add_operator(self, name: str = "ada", language: str = "en", password: str = PASSWORD) -> None:
        accounts = Accounts(self.settings.operators_path)
        accounts.add(name, password, language=language, replace=True)
        accounts.close()

    def draft(self, event_id: str = "q-1", trigger: str = "quotation", order_number: str | None = None,
              **changes: Any) -> int:
        """Dispatch an event whose trigger waits for an operator; the new draft's id."""
        ev = sample_event("flyers", trigger=trigger, event_id=event_id, **changes)
        if order_number:
            ev["order"] = {**ev["order"], "number": order_number}
        out = self.service.dispatcher().handle(ev, deliver=False)
        ids = [m["draft_id"] for m in out.messages if m.get("draft_id")]
        assert ids, out.messages
        return int(ids[0])


def console_bundle(tmp: Path, smtp_port: int, **repo: Any) -> Path:
    return build_bundle(make_repo(tmp / "repo", port=smtp_port, **repo))


def make_rig(tmp: Path, bundle: Path) -> Iterator[ConsoleRig]:
    attachments = tmp / "attachments"
    shutil.copytree(SAMPLES / "files", attachments)
    service = Service(bundle, outbox=str(tmp / "outbox.sqlite"), attachments_root=attachments, token=None)
    settings = ConsoleSettings(operators_path=tmp / "operators.sqlite", secure_cookies=False,
                               notice_interval_seconds=60)
    yield ConsoleRig(service, settings, console_app(service, settings, notice=False), attachments)
    service.close()


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def sign_in(client: Any, name: str = "ada", password: str = PASSWORD) -> Any:
    page = client.get("/sign-in")
    resp = client.post("/sign-in", data={"username": name, "password": password, "csrf": csrf_of(page.text),
                                         "next": "/"})
    assert resp.status_code == 303, resp.text
    return client
