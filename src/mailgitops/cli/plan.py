"""`mailgitops plan`: what dispatch would do with an event, without storing or sending."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from mailgitops.cli.dispatch_core import DEFAULT_BUNDLE, placed, read_event_text
from mailgitops.cli.main import CONTEXT, run


def write_files(plan: dict[str, Any], out: Path) -> None:
    """Each message's HTML and text as `NN-role-lang.html|.txt` in `out`, named in the plan."""
    from mailgitops import private
    from mailgitops.errors import UsageError

    try:  # a real event's emails: the customer's name, address and order, for this user's eyes only
        private.make_dir(out)
        for n, m in enumerate(plan["messages"], start=1):
            if "html" not in m:
                continue
            stem = f"{n:02d}-{m['role']}-{m['language']['used']}"
            private.write_bytes(out / f"{stem}.html", m["html"].encode("utf-8"))
            private.write_bytes(out / f"{stem}.txt", m["text"].encode("utf-8"))
            m["files"] = {"html": str(out / f"{stem}.html"), "text": str(out / f"{stem}.txt")}
    except OSError as e:  # the user's folder, not a bug
        at = f"{e.filename}: " if e.filename else ""
        raise UsageError(f"--out {out}: cannot write the rendered emails ({at}{e.strerror or e})",
                         hint="pass a folder you can write to") from e


def without_bodies(plan: dict[str, Any]) -> dict[str, Any]:
    return {**plan, "messages": [{k: v for k, v in m.items() if k not in ("html", "text")}
                                 for m in plan["messages"]]}


def as_text(plan: dict[str, Any]) -> str:
    lines = [f"event {plan['event_id']} ({plan['trigger']}), bundle {plan['bundle'][:19]}…"]
    if "delivery" in plan:
        lines.append(f"delivery: {plan['delivery']}")
    rows = [("ROLE", "TO", "LANGUAGE", "TEMPLATE", "STATUS")]
    for m in plan["messages"]:
        lang = " → ".join(m["language"]["path"]) or (m["language"]["used"] or "-")
        rows.append((m["role"], ", ".join(m["to"]) or "-", lang, m["template"] or "-", m["status"]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if i == 0:
            continue
        m = plan["messages"][i - 1]
        details = [("why", m["reason"])] if m["status"] == "skipped" else [("rule", m["rule"])]
        if m["status"] != "skipped":
            details += [("from", m["from"]), ("subject", m["subject"])]
            details += [("redirect", f"sent to {m['redirected_to']} instead")] if "redirected_to" in m else []
            details += [("reply-to", m["reply_to"])] if m.get("reply_to") else []
            details += [("cc", ", ".join(m["cc"]))] if m["cc"] else []
            details += [("bcc", ", ".join(m["bcc"]) + " (hidden copy)")] if m.get("bcc") else []
            details += [("attach", f"{a['kind']}: {a['path']} ({a['filename']}, {a['mime_type']}, "
                                   f"{a['size']:,} bytes)") for a in m["attachments"]]
            details += [("note", n) for n in m["notes"]] + [("warning", w) for w in m["warnings"]]
            details += [("files", f"{f['html']}, {f['text']}") for f in [m.get("files")] if f]
        lines += [f"    {k}: {v}" for k, v in details]
    return "\n".join(lines)


def _plan(bundle: str, event: str, attachments_root: str | None, out: str | None, fmt: str,
          *, delivery: str | None) -> int:
    from mailgitops import bundle as bundle_mod
    from mailgitops.dispatch.attachments import attachments_root_from
    from mailgitops.dispatch.explain import explain

    loaded = bundle_mod.load(bundle)
    root = Path(attachments_root) if attachments_root else attachments_root_from(None)
    # the CLI walks the plan as loosely as the JSON it prints
    data, text = read_event_text(event)
    source = event if event != "-" else "stdin"
    try:
        plan: dict[str, Any] = dict(explain(loaded, data, root, source=source, delivery=delivery))
    except Exception as e:
        raise placed(e, text, source) from None
    if out is not None:
        write_files(plan, Path(out))
    plan = without_bodies(plan)
    click.echo(as_text(plan) if fmt == "text" else json.dumps(plan, ensure_ascii=False, indent=2))
    return 0


def register(group: click.Group) -> None:
    @group.command("plan", context_settings=CONTEXT)
    @click.option("--bundle", envvar="MAILGITOPS_BUNDLE", default=DEFAULT_BUNDLE, show_default=True,
                  type=click.Path(dir_okay=False), help="The bundle to run (MAILGITOPS_BUNDLE).")
    @click.option("--event", "event", required=True,
                  help="The status event: a JSON file (or a YAML sample), or - for JSON on stdin.")
    @click.option("--attachments-root", "attachments_root", envvar="MAILGITOPS_ATTACHMENTS_ROOT",
                  default=None, type=click.Path(file_okay=False),
                  help="The folder event attachment paths are relative to (MAILGITOPS_ATTACHMENTS_ROOT).")
    @click.option("--out", type=click.Path(file_okay=False),
                  help="Also write each message's rendered HTML and text into this folder.")
    @click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
    @click.option("--delivery", default=None, metavar="production|redirect:ADDRESS",
                  help="The delivery mode to plan for (else MAILGITOPS_DELIVERY; unset is reported).")
    def plan_cmd(*, bundle: str, event: str, attachments_root: str | None, out: str | None, fmt: str,
                 delivery: str | None) -> None:
        """What `dispatch` would do with this event, without storing or sending anything.

        For each role and recipient: the language (and the fallback taken), the template, whether
        it would be sent, held as a draft or skipped, and the rule of config/workflow.yaml that
        decided it; the attachments found, the subject, and with --out the rendered HTML and
        text. An event dispatch would refuse is refused the same way (exit 1, every problem
        named). Touches neither the outbox nor the network.

        \b
        Examples:
          mailgitops plan --event event.json --format text
          mailgitops plan --event config/samples/flyers.yaml --out plan-previews
        """
        run(_plan, bundle, event, attachments_root, out, fmt, delivery=delivery)
