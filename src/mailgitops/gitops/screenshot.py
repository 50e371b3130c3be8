"""PNG screenshots of the emails a diff names, taken with headless Chromium (CI previews).

Each PNG shows the email as a mail client would: a header band with the subject, From, To and
Cc (a reviewer of a subject change must see the subject), then the whole HTML body, as tall as
it is (up to MAX_HEIGHT).

Run as `python -m mailgitops.gitops.screenshot CHANGES_JSON HEAD_DIR OUT_DIR`; CHANGES_JSON is
what `mailgitops diff --json` wrote. Screenshots are a review aid: without a browser the step
warns and succeeds, so a missing Chromium never blocks a pull request."""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WIDTH, HEIGHT = 800, 1600  # HEIGHT: used when the page's own height cannot be measured
MIN_HEIGHT, MAX_HEIGHT = 400, 8000
HEADERS = ("From", "To", "Cc")
_HEIGHT_ATTR = re.compile(r'data-mg-height="(\d+)"')
TIMEOUT_SECONDS = 60
DEFAULT_LIMIT = 40
PARALLEL = 4


@dataclass(frozen=True, slots=True)
class Shot:
    template: str
    lang: str
    html: Path
    png: Path
    subject: str = ""
    eml: Path | None = None


def find_browser() -> str | None:
    """$CHROMIUM when set, else the first Chromium-like browser on PATH."""
    if env := os.environ.get("CHROMIUM"):
        return env
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    return None


def planned_shots(changes_json: Path, head_dir: Path, out_dir: Path, base_dir: Path | None = None
                  ) -> list[Shot]:
    """Every shot `planned_by_email` plans, in its order."""
    return [shot for shots in planned_by_email(changes_json, head_dir, out_dir, base_dir) for shot in shots]


def planned_by_email(changes_json: Path, head_dir: Path, out_dir: Path, base_dir: Path | None = None
                     ) -> list[list[Shot]]:
    """Per added or changed email, in the diff's (sorted) order: its shot, and with `base_dir`
    a changed email's shot before the change too (`<lang>.before.png`): a new colour or logo is
    seen by putting the two side by side, as no text diff shows it."""
    doc = json.loads(changes_json.read_text(encoding="utf-8"))
    planned = []
    for item in doc.get("changed", []):
        if item.get("status") == "removed" or not item.get("html"):
            continue
        template, lang = str(item["template"]), str(item["lang"])
        eml = (head_dir / item["eml"]).resolve() if item.get("eml") else None
        shots = [Shot(template, lang, (head_dir / item["html"]).resolve(),
                      out_dir / template / f"{lang}.png", str(item.get("subject_after") or ""), eml)]
        if base_dir is not None and item.get("html_before"):
            old_eml = (base_dir / item["eml_before"]).resolve() if item.get("eml_before") else None
            shots.append(Shot(template, lang, (base_dir / item["html_before"]).resolve(),
                              out_dir / template / f"{lang}.before.png",
                              str(item.get("subject_before") or ""), old_eml))
        planned.append(shots)
    return planned


def _headers(shot: Shot) -> list[tuple[str, str]]:
    """Subject, From, To, Cc as the recipient's mail client shows them (from the .eml when there)."""
    values = {"Subject": shot.subject}
    if shot.eml is not None and shot.eml.is_file():
        with shot.eml.open("rb") as f:
            msg = BytesHeaderParser(policy=default_policy).parse(f)
        values.update({name: str(msg[name]) for name in ("Subject", *HEADERS) if msg[name] is not None})
    return [(name, values[name]) for name in ("Subject", *HEADERS) if values.get(name)]


def page(shot: Shot) -> str:
    """The email's HTML with a mail-client header band on top, loadable from any folder.

    `<base>` keeps the email's relative image paths pointing into the render output; the script
    writes the page height into the DOM so that a first, small window can measure it."""
    source = shot.html.read_text(encoding="utf-8", errors="replace")
    rows = "".join(
        f'<div style="margin:2px 0"><span style="display:inline-block;width:64px;color:#555">'
        f"{html.escape(name)}:</span>"
        + (f"<b>{html.escape(value)}</b>" if name == "Subject" else html.escape(value)) + "</div>"
        for name, value in _headers(shot))
    band = ('<div style="font:14px/1.4 Arial,Helvetica,sans-serif;color:#111;background:#fff;'
            f'border-bottom:1px solid #ccc;padding:10px 16px">{rows}</div>')
    measure = ("<script>addEventListener('load',()=>document.documentElement.setAttribute("
               "'data-mg-height',document.documentElement.scrollHeight))</script>")
    base = f'<base href="{html.escape(shot.html.parent.as_uri())}/">'
    source, n = re.subn(r"(<head\b[^>]*>)", lambda m: m.group(1) + base, source, count=1, flags=re.I)
    if not n:
        source = base + source
    source, n = re.subn(r"(<body\b[^>]*>)", lambda m: m.group(1) + band, source, count=1, flags=re.I)
    if not n:
        source = band + source
    return source + measure


def _browser(browser: str, profile: Path, height: int, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={profile}", f"--window-size={WIDTH},{height}", *args]
    # The command is the configured browser and paths we built; no shell, no user text.
    return subprocess.run(cmd, capture_output=True, text=True,  # noqa: S603
                          timeout=TIMEOUT_SECONDS, check=False)


def _height(browser: str, url: str, profile: Path) -> int:
    """The page's height at WIDTH, measured in a window shorter than any email; HEIGHT if unknown."""
    try:
        proc = _browser(browser, profile, MIN_HEIGHT // 4, "--dump-dom", url)
    except (OSError, subprocess.TimeoutExpired):
        return HEIGHT
    found = _HEIGHT_ATTR.search(proc.stdout) if proc.returncode == 0 else None
    return max(MIN_HEIGHT, min(MAX_HEIGHT, int(found.group(1)))) if found else HEIGHT


def take(browser: str, shot: Shot, profile: Path) -> str | None:
    """Take one screenshot; the error text when it failed."""
    shot.png.parent.mkdir(parents=True, exist_ok=True)
    try:
        wrapper = profile.with_suffix(".html")
        wrapper.parent.mkdir(parents=True, exist_ok=True)
        wrapper.write_text(page(shot), encoding="utf-8")
        height = _height(browser, wrapper.as_uri(), profile)
        proc = _browser(browser, profile, height, f"--screenshot={shot.png}", wrapper.as_uri())
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    if proc.returncode != 0 or not shot.png.is_file():
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"exit {proc.returncode}: {tail}"
    return None


def screenshot_changed(changes_json: Path, head_dir: Path, out_dir: Path, *,
                       browser: str | None, limit: int = DEFAULT_LIMIT, base_dir: Path | None = None
                       ) -> tuple[list[Path], list[str]]:
    """(PNG files written, warnings). Never raises for a missing or failing browser. `limit`
    counts emails (each with its shot before the change when `base_dir` is given)."""
    planned = planned_by_email(changes_json, head_dir, out_dir, base_dir)
    if not planned:
        return [], []
    if browser is None:
        return [], ["no Chromium found (set CHROMIUM=/path/to/chromium); no screenshots taken"]
    warnings = []
    if len(planned) > limit:
        warnings.append(f"{len(planned)} emails changed; screenshots of the first {limit} only")
        planned = planned[:limit]
    shots = [shot for pair in planned for shot in pair]
    written = []
    with tempfile.TemporaryDirectory(prefix="mailgitops-chromium-") as profiles:
        # One profile folder per browser: Chromium locks its profile, and a few run at once.
        def one(item: tuple[int, Shot]) -> str | None:
            return take(browser, item[1], Path(profiles) / str(item[0]))

        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            problems = list(pool.map(one, enumerate(shots)))
    for shot, problem in zip(shots, problems, strict=True):
        if problem:
            warnings.append(f"{shot.template}/{shot.lang}: screenshot failed ({problem})")
        else:
            written.append(shot.png)
    return written, warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mailgitops.gitops.screenshot", description=__doc__)
    parser.add_argument("changes_json", type=Path, help="the file `mailgitops diff --json` wrote")
    parser.add_argument("head_dir", type=Path, help="the head's render output folder")
    parser.add_argument("out_dir", type=Path, help="where <template>/<lang>.png go")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="at most this many emails")
    parser.add_argument("--base", type=Path, default=None,
                        help="the base's render output folder: also <lang>.before.png of each changed email")
    args = parser.parse_args(argv)
    try:
        written, warnings = screenshot_changed(args.changes_json, args.head_dir, args.out_dir,
                                               browser=find_browser(), limit=args.limit,
                                               base_dir=args.base)
    except (OSError, ValueError, KeyError) as e:
        print(f"error: cannot read {args.changes_json}: {e}", file=sys.stderr)
        return 1
    prefix = "::warning::" if os.environ.get("GITHUB_ACTIONS") == "true" else "warning: "
    for w in warnings:
        print(prefix + w, file=sys.stderr)
    for png in written:
        print(png.as_posix())
    return 0


if __name__ == "__main__":
    sys.exit(main())
