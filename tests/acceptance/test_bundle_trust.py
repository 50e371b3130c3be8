"""What dispatch and serve accept as a bundle: its structure is checked against
schema/bundle.schema.json before use (a located exit 1, never a KeyError), and with
MAILGITOPS_BUNDLE_KEY set only a bundle signed with that key runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mailgitops import bundle
from support.dispatchrepo import ROOT, cli, make_repo, sample_event

KEY = "k" * 8 + "0123456789abcdef"  # a test key, not a secret
OTHER = "o" * 8 + "0123456789abcdef"
EVENT = json.dumps(sample_event(trigger="order_received", event_id="trust-1"))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("repo"), port=2525)


def _rehashed(src: Path, dest: Path, change: Any) -> Path:
    """A hand-edited bundle whose hash was recomputed, as an attacker or a careless script would."""
    doc = json.loads(src.read_bytes())
    change(doc["content"])
    doc["hash"] = bundle.content_hash(doc["content"])
    dest.write_text(json.dumps(doc), encoding="utf-8")
    return dest


def _dispatch(b: Path, tmp_path: Path, env: dict[str, str] | None = None, outbox: str = "o.sqlite") -> Any:
    return cli("dispatch", "--bundle", str(b), "--event", "-", "--outbox", str(tmp_path / outbox),
               "--queue-only", stdin=EVENT, env=env)


def test_a_bundle_without_smtp_is_refused_at_the_place_that_is_wrong(tmp_path: Path) -> None:
    odd = _rehashed(ROOT / bundle.DEFAULT_PATH, tmp_path / "odd.json",
                    lambda c: c["settings"].pop("smtp"))
    proc = _dispatch(odd, tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "$.content.settings: `smtp` is required" in proc.stderr
    assert "schema/bundle.schema.json" in proc.stderr
    assert "mailgitops bundle --out" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "KeyError" not in proc.stderr
    assert not (tmp_path / "o.sqlite").exists()


def test_every_structural_problem_is_named(tmp_path: Path) -> None:
    def break_it(c: dict[str, Any]) -> None:
        c["settings"]["smtp"]["server"]["port"] = "25"
        c["settings"]["workflow"]["triggers"]["order_received"]["to"] = ["boss"]
        del c["compiled"]["templates"]["order-received"]["texts"]["en"]["body"]

    odd = _rehashed(ROOT / bundle.DEFAULT_PATH, tmp_path / "odd.json", break_it)
    proc = _dispatch(odd, tmp_path)
    assert proc.returncode == 1
    assert "$.content.settings.smtp.server.port: must be of type integer, not string" in proc.stderr
    assert "$.content.settings.workflow.triggers.order_received.to[0]: must be one of" in proc.stderr
    assert "$.content.compiled.templates.order-received.texts.en: `body` is required" in proc.stderr
    assert "3 problem(s)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_serve_refuses_a_malformed_bundle_at_start(tmp_path: Path) -> None:
    odd = _rehashed(ROOT / bundle.DEFAULT_PATH, tmp_path / "odd.json",
                    lambda c: c["settings"]["languages"].pop("default"))
    proc = cli("serve", "--bundle", str(odd), "--port", "0", "--outbox", str(tmp_path / "o.sqlite"),
               env={"MAILGITOPS_API_TOKEN": "t" * 32})
    assert proc.returncode == 1
    assert "$.content.settings.languages: `default` is required" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_signed_bundle_runs_only_with_its_key(repo: Path, tmp_path: Path) -> None:
    signed = tmp_path / "signed.json"
    made = cli("bundle", "--root", str(repo), "--out", str(signed), "--sign-key-env", "SIGNING_KEY",
               env={"SIGNING_KEY": KEY})
    assert made.returncode == 0, made.stderr
    assert "signed" in made.stdout, made.stderr
    assert json.loads(signed.read_bytes())["signature"].startswith("hmac-sha256:")
    ok = _dispatch(signed, tmp_path, {"MAILGITOPS_BUNDLE_KEY": KEY})
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["messages"][0]["status"] == "queued"
    wrong = _dispatch(signed, tmp_path, {"MAILGITOPS_BUNDLE_KEY": OTHER}, "x.sqlite")
    assert wrong.returncode == 1
    assert "signature does not match MAILGITOPS_BUNDLE_KEY" in wrong.stderr
    # without a key set, a signed bundle runs like any other
    assert _dispatch(signed, tmp_path, outbox="y.sqlite").returncode == 0


def test_with_a_key_set_unsigned_and_re_hashed_bundles_are_refused(repo: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.json"
    assert cli("bundle", "--root", str(repo), "--out", str(plain)).returncode == 0
    proc = _dispatch(plain, tmp_path, {"MAILGITOPS_BUNDLE_KEY": KEY})
    assert proc.returncode == 1
    assert "the bundle is not signed" in proc.stderr
    assert "--sign-key-env" in proc.stderr
    assert not (tmp_path / "o.sqlite").exists()
    signed = tmp_path / "signed.json"
    cli("bundle", "--root", str(repo), "--out", str(signed), "--sign-key-env", "K", env={"K": KEY})
    forged = _rehashed(signed, tmp_path / "forged.json",
                       lambda c: c["settings"]["smtp"].update(cc=["spy@example.net"]))
    proc = _dispatch(forged, tmp_path, {"MAILGITOPS_BUNDLE_KEY": KEY})
    assert proc.returncode == 1
    assert "signature does not match" in proc.stderr
    serve = cli("serve", "--bundle", str(plain), "--port", "0", "--outbox", str(tmp_path / "s.sqlite"),
                env={"MAILGITOPS_API_TOKEN": "t" * 32, "MAILGITOPS_BUNDLE_KEY": KEY})
    assert serve.returncode == 1
    assert "the bundle is not signed" in serve.stderr


def test_a_key_set_but_empty_is_refused_not_taken_for_no_key(tmp_path: Path) -> None:
    """`MAILGITOPS_BUNDLE_KEY=` (a unit file whose secret did not arrive) turned the check off:
    unsigned and re-signed bundles ran without a word (a security review)."""
    proc = _dispatch(ROOT / bundle.DEFAULT_PATH, tmp_path, {"MAILGITOPS_BUNDLE_KEY": ""})
    assert proc.returncode == 1, proc.stderr
    assert "MAILGITOPS_BUNDLE_KEY is set but empty" in proc.stderr
    assert not (tmp_path / "o.sqlite").exists()  # nothing accepted


def test_signing_needs_a_real_key(repo: Path, tmp_path: Path) -> None:
    unset = cli("bundle", "--root", str(repo), "--out", str(tmp_path / "b.json"), "--sign-key-env",
                "NO_SUCH_VAR_HERE")
    assert unset.returncode == 2
    assert "NO_SUCH_VAR_HERE is not set" in unset.stderr
    short = cli("bundle", "--root", str(repo), "--out", str(tmp_path / "b.json"), "--sign-key-env", "K",
                env={"K": "secret"})
    assert short.returncode == 1
    assert "at least 16" in short.stderr
    assert "openssl rand" in short.stderr
    assert not (tmp_path / "b.json").exists()
    plain = tmp_path / "plain.json"
    cli("bundle", "--root", str(repo), "--out", str(plain))
    proc = _dispatch(plain, tmp_path, {"MAILGITOPS_BUNDLE_KEY": "short"})
    assert proc.returncode == 1
    assert "MAILGITOPS_BUNDLE_KEY holds a key of 5 characters" in proc.stderr


def test_check_of_a_signed_bundle(repo: Path, tmp_path: Path) -> None:
    signed = tmp_path / "signed.json"
    cli("bundle", "--root", str(repo), "--out", str(signed), "--sign-key-env", "K", env={"K": KEY})
    # CI checks freshness without holding the key
    assert cli("bundle", "--root", str(repo), "--check", str(signed)).returncode == 0
    assert cli("bundle", "--root", str(repo), "--check", str(signed), "--sign-key-env", "K",
               env={"K": KEY}).returncode == 0
    other = cli("bundle", "--root", str(repo), "--check", str(signed), "--sign-key-env", "K",
                env={"K": OTHER})
    assert other.returncode == 1
    assert "stale" in other.stderr


def test_same_input_and_key_same_bytes(repo: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for out in (a, b):
        cli("bundle", "--root", str(repo), "--out", str(out), "--sign-key-env", "K", env={"K": KEY})
    assert a.read_bytes() == b.read_bytes()


def test_a_shop_logo_without_its_compiled_layout_is_refused_at_load(tmp_path: Path) -> None:
    """A hand-edited bundle that gives a webshop a logo but not the layouts compiled with it would
    fail at the first email of that shop: it is refused at load instead, naming what is missing."""
    odd = _rehashed(ROOT / bundle.DEFAULT_PATH, tmp_path / "odd.json",
                    lambda c: c["compiled"].__setitem__("shop_logos", {"campus": "campus-logo.png"}))
    proc = _dispatch(odd, tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "lack the layout 'default/ltr/campus-logo.png'" in proc.stderr
    assert "mailgitops bundle --out" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "KeyError" not in proc.stderr
    assert "is refused" in proc.stderr
