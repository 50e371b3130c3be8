"""A repository's own catalog (config/catalog.yaml) through the real CLI: a print room adds
`job.binding_colour` (carried by proof_ready and its own trigger) and `project.code` (a namespace
of its own, always in its trigger's events), and a trigger of its own, `proof_reminder`.
validate accepts it, previews show the examples, the bundle carries it, dispatch sends it and
refuses a value of the wrong type at its field; schema/ is generated and a stale copy is named."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.smtpd import SmtpServer

CATALOG = """\
# yaml-language-server: $schema=../schema/repo-catalog.schema.json
variables:
  job.binding_colour:
    type: string
    description: Colour of the wire binding.
    example: Midnight blue
    triggers: [proof_ready, proof_reminder]
  project.code:
    type: string
    description: The customer's project code.
    example: PRJ-42
    triggers: [proof_reminder]
    always: true
triggers:
  proof_reminder:
    description: Reminds the customer that a proof still waits for approval.
    default_recipients: [customer]
    editable: false
    requires: [order.number, customer.name, job.name]
"""
BINDING = "{% for job in order.jobs %}{% if job.binding_colour %}Binding of {{ job.name }}: " \
          "{{ job.binding_colour }}\n{% endif %}{% endfor %}"
REMINDER = """\
---
subject: "Proof for {{ order.number }} ({{ project.code }}) still waits"
---
Dear {{ customer.name }},

the proof for your project {{ project.code }} still waits for your approval.

""" + BINDING + "\n"
FILES = SAMPLES / "files"
LANGS = ("en", "de", "fr", "nl", "zh")


def catalog_repo(dest: Path, port: int = 2525) -> Path:
    repo = make_repo(dest, port=port, triggers={"proof_reminder": {"template": "proof-reminder"}})
    (repo / "config" / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    folder = repo / "templates" / "proof-reminder"
    folder.mkdir()
    (folder / "template.yaml").write_text("description: The proof still waits.\naudience: customer\n",
                                          encoding="utf-8")
    for lang in LANGS:
        (folder / f"{lang}.md").write_text(REMINDER, encoding="utf-8")
        ready = repo / "templates" / "proof-ready" / f"{lang}.md"
        ready.write_text(ready.read_text(encoding="utf-8") + "\n" + BINDING + "\n", encoding="utf-8")
    return repo


@pytest.fixture(scope="module")
def built(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    repo = catalog_repo(tmp_path_factory.mktemp("catalog") / "repo", smtp_server.port)
    return repo, build_bundle(repo)


def dispatch(tmp: Path, bundle: Path, event: dict[str, Any]) -> Any:
    return cli("dispatch", "--bundle", str(bundle), "--event", str(write_event(tmp, event)),
               "--outbox", str(tmp / "o.sqlite"), "--attachments-root", str(FILES))


def event(trigger: str, event_id: str, colour: Any = "Racing green", **changes: Any) -> dict[str, Any]:
    data = sample_event("flyers", trigger=trigger, event_id=event_id, **changes)
    data["order"]["jobs"][0]["binding_colour"] = colour
    return data


def test_validate_accepts_the_repositorys_own_variables_and_trigger(built: tuple[Path, Path]) -> None:
    proc = cli("validate", "--root", str(built[0]), "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # nothing but the example addresses the test repository keeps (placeholders.py)
    assert {p["code"] for p in json.loads(proc.stdout)} <= {"example-address", "example-link"}, proc.stdout


def test_previews_show_the_catalogs_examples(built: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "previews"
    proc = cli("render", "--root", str(built[0]), "--out", str(out), "--lang", "en",
               "--template", "proof-ready", "--template", "proof-reminder")
    assert proc.returncode == 0, proc.stderr
    assert "Binding of Flyer: Midnight blue" in (out / "proof-ready" / "en.txt").read_text(encoding="utf-8")
    assert "Subject: Proof for PO-1001 (PRJ-42) still waits" in (
        out / "proof-reminder" / "en.eml").read_text(encoding="utf-8")


def test_the_bundle_carries_the_catalog(built: tuple[Path, Path]) -> None:
    settings = json.loads(built[1].read_text(encoding="utf-8"))["content"]["settings"]
    assert settings["catalog"]["proof_reminder"]["requires"] == ["order.number", "customer.name", "job.name",
                                                                  "project.code"]
    assert settings["namespaces"] == ["project"]
    job = settings["event_schema"]["properties"]["order"]["properties"]["jobs"]["items"]
    assert job["properties"]["binding_colour"]["type"] == "string"


def test_a_built_in_triggers_event_carries_the_new_value_into_the_email(
        built: tuple[Path, Path], tmp_path: Path, sink: SmtpServer) -> None:
    got = outcome(dispatch(tmp_path, built[1], event("proof_ready", "cat-ready")))
    assert [m["status"] for m in got["messages"]] == ["sent"]
    body = sink.wait_for(1)[0].message.get_body(("plain",)).get_content()
    assert "Binding of Flyer: Racing green" in body


def test_the_repositorys_own_trigger_dispatches(built: tuple[Path, Path], tmp_path: Path,
                                                sink: SmtpServer) -> None:
    got = outcome(dispatch(tmp_path, built[1], event("proof_reminder", "cat-own",
                                                     project={"code": "PRJ-7"})))
    assert [m["status"] for m in got["messages"]] == ["sent"]
    msg = sink.wait_for(1)[0].message
    assert msg["Subject"] == "Proof for PO-1001 (PRJ-7) still waits"
    assert "Binding of Flyer: Racing green" in msg.get_body(("plain",)).get_content()


def test_a_value_of_the_wrong_type_is_refused_at_its_field(built: tuple[Path, Path], tmp_path: Path) -> None:
    proc = dispatch(tmp_path, built[1], event("proof_ready", "cat-type", colour=7))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "$.order.jobs[0].binding_colour: must be of type string, not integer [bad-event]" in proc.stderr
    assert json.loads(cli("outbox", "list", "--outbox", str(tmp_path / "o.sqlite")).stdout)["messages"] == []


def test_an_always_present_value_is_required(built: tuple[Path, Path], tmp_path: Path) -> None:
    proc = dispatch(tmp_path, built[1], event("proof_reminder", "cat-missing"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "$.project.code: `project.code` is required for `proof_reminder` events" in proc.stderr


def test_a_namespace_the_catalog_lacks_is_still_refused(built: tuple[Path, Path], tmp_path: Path) -> None:
    proc = dispatch(tmp_path, built[1], event("proof_ready", "cat-extra", campaign={"code": "X"}))
    assert proc.returncode == 1
    assert "$.campaign" in proc.stderr


def test_schema_is_generated_and_a_stale_copy_is_named(tmp_path: Path) -> None:
    repo = catalog_repo(tmp_path / "repo")
    proc = cli("schema", "--root", str(repo))
    assert proc.returncode == 0, proc.stderr
    event_schema = json.loads((repo / "schema" / "event.schema.json").read_text(encoding="utf-8"))
    assert event_schema["properties"]["project"]["properties"]["code"]["type"] == "string"
    variables = yaml.safe_load((repo / "schema" / "variables.yaml").read_text(encoding="utf-8"))
    assert variables["variables"]["job.binding_colour"]["triggers"] == ["proof_ready", "proof_reminder"]
    assert cli("validate", "--root", str(repo)).returncode == 0
    stale = repo / "schema" / "variables.yaml"
    stale.write_text(stale.read_text(encoding="utf-8").replace("Midnight blue", "Black"), encoding="utf-8")
    proc = cli("validate", "--root", str(repo))
    assert proc.returncode == 1
    assert ("schema/variables.yaml:1:1: error: schema/variables.yaml is not what mailgitops generates "
            "from its catalog and config/catalog.yaml; mailgitops never reads schema/, so an edit here "
            "has no effect (run `mailgitops schema` to rewrite schema/") in proc.stdout
    assert cli("schema", "--root", str(repo)).stdout == "wrote schema/variables.yaml\n"
    assert cli("validate", "--root", str(repo)).returncode == 0


def test_a_repository_made_by_init_then_given_a_catalog_asks_for_schema(tmp_path: Path) -> None:
    root = tmp_path / "new"
    assert cli("init", str(root)).returncode == 0
    (root / "config" / "catalog.yaml").write_text(
        "variables:\n  order.cost_centre_ref:\n    type: string\n    description: Our own reference.\n"
        "    example: CC-1\n", encoding="utf-8")
    proc = cli("validate", "--root", str(root))
    assert proc.returncode == 1
    stale = sorted(line.split(":")[0] for line in proc.stdout.splitlines() if "[schema-copy-stale]" in line)
    assert stale == ["schema/event.schema.json", "schema/triggers.yaml", "schema/variables.yaml"]
    assert cli("schema", "--root", str(root)).returncode == 0
    proc = cli("validate", "--root", str(root))
    assert proc.returncode == 0, proc.stdout


def test_schema_refuses_a_broken_catalog(tmp_path: Path) -> None:
    repo = catalog_repo(tmp_path / "repo")
    (repo / "config" / "catalog.yaml").write_text(CATALOG.replace("proof_reminder:", "proof_ready:"),
                                                  encoding="utf-8")
    proc = cli("schema", "--root", str(repo))
    assert proc.returncode == 1
    assert "config/catalog.yaml:15:3: `proof_ready` is a built-in trigger" in proc.stderr
    assert not (repo / "schema").exists()


def test_serve_documents_the_repositorys_event_fields(built: tuple[Path, Path], tmp_path: Path) -> None:
    """/openapi.json shows the events this bundle accepts: with the repository's own fields."""
    from starlette.testclient import TestClient

    from mailgitops.serve.app import build_app
    from mailgitops.serve.service import Service

    service = Service(built[1], outbox=str(tmp_path / "o.sqlite"), attachments_root=FILES,
                      token=secrets.token_hex(24))
    try:
        with TestClient(build_app(service), base_url="http://127.0.0.1") as client:
            doc = client.get("/openapi.json").json()
    finally:
        service.close()
    event = doc["components"]["schemas"]["Event"]
    job = event["properties"]["order"]["properties"]["jobs"]["items"]
    assert job["properties"]["binding_colour"]["type"] == "string"
    assert event["properties"]["project"]["properties"]["code"]["type"] == "string"


def test_one_slip_in_the_catalog_is_one_error_and_its_consequences_say_so(tmp_path: Path) -> None:
    """`always: true` indented one space too far gave some 20 errors: three stale schema copies
    whose fix (`mailgitops schema`) refuses for the same slip, the catalog's trigger called unknown
    (did you mean `proof_ready`?) and each of its variables in 5 languages (an admin's walk)."""
    repo = catalog_repo(tmp_path / "repo")
    assert cli("schema", "--root", str(repo)).returncode == 0
    (repo / "config" / "catalog.yaml").write_text(CATALOG.replace("    always: true", "     always: true"),
                                                  encoding="utf-8")
    proc = cli("validate", "--root", str(repo))
    assert proc.returncode == 1
    errors = [line for line in proc.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 1, errors
    assert errors[0].startswith("config/catalog.yaml:13:6: error: YAML syntax error"), errors
    assert re.search(r"config/catalog.yaml:1:1: warning: \d+ problem\(s\) in other files name triggers or "
                     r"variables this file may declare", proc.stdout), proc.stdout
    (repo / "config" / "catalog.yaml").write_text(CATALOG, encoding="utf-8")  # mended: all is well
    assert cli("validate", "--root", str(repo)).returncode == 0


def test_a_namespace_of_the_repositorys_own_trigger_used_elsewhere_is_told_where_it_comes(
        tmp_path: Path) -> None:
    """`project.code` in order_ready's template got "available here: ..." and no fix, where a
    variable of a built-in namespace is told which trigger has it (an admin's walk)."""
    repo = catalog_repo(tmp_path / "repo")
    text = repo / "templates" / "order-ready" / "en.md"
    text.write_text(text.read_text(encoding="utf-8") + "\nProject: {{ project.code }}\n", encoding="utf-8")
    proc = cli("validate", "--root", str(repo))
    [line] = [line for line in proc.stdout.splitlines() if "[variable-not-provided]" in line]
    assert line.startswith("templates/order-ready/en.md:"), line
    assert "`project` comes with `proof_reminder` events: use it in that trigger's templates, or remove " \
           "it here" in line
