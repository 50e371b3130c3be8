"""`mailgitops bundle --out FILE` / `--check FILE`: build or verify the dispatcher's bundle."""

from __future__ import annotations

from pathlib import Path

import click

from mailgitops.cli.main import CONTEXT, root_option, run
from mailgitops.errors import UsageError


def _bundle(root: str, out: str | None, check: str | None) -> int:
    from mailgitops import bundle

    if (out is None) == (check is None):
        raise UsageError("give exactly one of --out FILE or --check FILE",
                         hint=f"e.g. mailgitops bundle --out {bundle.DEFAULT_PATH}")
    if out is not None:
        data = bundle.write(Path(root), Path(out))
        digest = bundle.load(out).hash
        click.echo(f"wrote {out} ({len(data):,} bytes, {digest})")
        return 0
    assert check is not None
    if bundle.is_fresh(Path(root), Path(check)):
        click.echo(f"{check} is up to date")
        return 0
    click.echo(f"{check} is stale: it is not what the repository in {Path(root).resolve()} builds now.\n"
               f"  rebuild it with: mailgitops bundle --root {root} --out {check}", err=True)
    return 1


def register(group: click.Group) -> None:
    @group.command("bundle", context_settings=CONTEXT)
    @root_option
    @click.option("--out", type=click.Path(dir_okay=False), help="Write the bundle to FILE.")
    @click.option("--check", type=click.Path(dir_okay=False),
                  help="Exit 1 when FILE is not what --out would write now (stale).")
    def bundle_cmd(root: str, out: str | None, check: str | None) -> None:
        """Build the deterministic bundle the dispatcher runs (same input, same bytes).

        Refuses a repository that does not validate. The bundle holds the settings, the trigger
        catalog and the compiled templates, layouts and assets, with a format version and a
        content hash; the dispatcher refuses a bundle whose hash or version does not match.
        """
        run(_bundle, root, out, check)
