"""`mailgitops bundle --out FILE` / `--check FILE`: build or verify the dispatcher's bundle."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from mailgitops.cli.main import CONTEXT, root_option, run
from mailgitops.cli.rootdir import repository
from mailgitops.errors import UsageError


def _key(var: str | None) -> str | None:
    from mailgitops import bundle

    if var is None:
        return None
    value = os.environ.get(var)
    if not value:
        raise UsageError(f"--sign-key-env {var}: the environment variable {var} is not set or empty",
                         hint=f"export {var}=\"$(openssl rand -hex 32)\" and give the dispatcher the same "
                              f"value in {bundle.KEY_ENV}")
    return bundle.check_key(value, var)


def _bundle(root: str, out: str | None, check: str | None, sign_key_env: str | None) -> int:
    from mailgitops import bundle, bundle_build

    if (out is None) == (check is None):
        raise UsageError("give exactly one of --out FILE or --check FILE",
                         hint=f"e.g. mailgitops bundle --out {bundle.DEFAULT_PATH}")
    repository(root)
    key = _key(sign_key_env)
    if out is not None:
        try:
            data = bundle_build.write(Path(root), Path(out), key)
        except OSError as e:  # a folder that cannot be made or written: the user's to fix, no bug
            raise UsageError(f"--out {out}: cannot write the bundle ({e.strerror or e})",
                             hint="pass a file in a folder you can write to") from e
        doc = json.loads(data)
        signed = ", signed" if "signature" in doc else ""
        click.echo(f"wrote {out} ({len(data):,} bytes, {doc['hash']}{signed})")
        return 0
    assert check is not None
    if not Path(check).is_file():
        click.echo(f"{check} does not exist.\n  build it with: mailgitops bundle --root {root} --out {check}",
                   err=True)
        return 1
    if bundle_build.is_fresh(Path(root), Path(check), key):
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
    @click.option("--sign-key-env", metavar="VAR", default=None,
                  help="Sign the bundle (HMAC-SHA256) with the key in environment variable VAR. "
                       "Dispatch and serve refuse unsigned or wrongly signed bundles whenever "
                       "MAILGITOPS_BUNDLE_KEY is set.")
    def bundle_cmd(root: str, out: str | None, check: str | None, sign_key_env: str | None) -> None:
        """Build the deterministic bundle the dispatcher runs (same input, same bytes).

        Refuses a repository that does not validate. The bundle holds the settings, the trigger
        catalog and the compiled templates, layouts and assets, with a format version and a
        content hash; the dispatcher refuses a bundle whose hash, version or structure does not
        match. With --check, a signed FILE is compared without its signature unless
        --sign-key-env is given too.

        \b
        Examples:
          mailgitops bundle --out bundle/mailgitops.bundle.json
          mailgitops bundle --check bundle/mailgitops.bundle.json   # exit 1 when stale (CI)
        """
        run(_bundle, root, out, check, sign_key_env)
