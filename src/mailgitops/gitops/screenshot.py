"""PNG screenshots of the emails a diff names, taken with headless Chromium (CI previews).

Run as `python -m mailgitops.gitops.screenshot CHANGES_JSON HEAD_DIR OUT_DIR`; CHANGES_JSON is
what `mailgitops diff --json` wrote. Screenshots are a review aid: without a browser the step
warns and succeeds, so a missing Chromium never blocks a pull request."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WIDTH, HEIGHT = 800, 1600
TIMEOUT_SECONDS = 60
DEFAULT_LIMIT = 40
PARALLEL = 4


@dataclass(frozen=True, slots=True)
class Shot:
    template: str
    lang: str
    html: Path
    png: Path


def find_browser() -> str | None:
    """$CHROMIUM when set, else the first Chromium-like browser on PATH."""
    if env := os.environ.get("CHROMIUM"):
        return env
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    return None


def planned_shots(changes_json: Path, head_dir: Path, out_dir: Path) -> list[Shot]:
    """One shot per added or changed email, in the diff's (sorted) order."""
    doc = json.loads(changes_json.read_text(encoding="utf-8"))
    shots = []
    for item in doc.get("changed", []):
        if item.get("status") == "removed" or not item.get("html"):
            continue
        template, lang = str(item["template"]), str(item["lang"])
        shots.append(Shot(template, lang, (head_dir / item["html"]).resolve(),
                          out_dir / template / f"{lang}.png"))
    return shots


def take(browser: str, shot: Shot, profile: Path) -> str | None:
    """Take one screenshot; the error text when it failed."""
    shot.png.parent.mkdir(parents=True, exist_ok=True)
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}",
           f"--screenshot={shot.png}", shot.html.as_uri()]
    try:
        # The command is the configured browser and paths we built; no shell, no user text.
        proc = subprocess.run(cmd, capture_output=True, text=True,  # noqa: S603
                              timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    if proc.returncode != 0 or not shot.png.is_file():
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"exit {proc.returncode}: {tail}"
    return None


def screenshot_changed(changes_json: Path, head_dir: Path, out_dir: Path, *,
                       browser: str | None, limit: int = DEFAULT_LIMIT) -> tuple[list[Path], list[str]]:
    """(PNG files written, warnings). Never raises for a missing or failing browser."""
    shots = planned_shots(changes_json, head_dir, out_dir)
    if not shots:
        return [], []
    if browser is None:
        return [], ["no Chromium found (set CHROMIUM=/path/to/chromium); no screenshots taken"]
    warnings = []
    if len(shots) > limit:
        warnings.append(f"{len(shots)} emails changed; screenshots of the first {limit} only")
        shots = shots[:limit]
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
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="at most this many screenshots")
    args = parser.parse_args(argv)
    try:
        written, warnings = screenshot_changed(args.changes_json, args.head_dir, args.out_dir,
                                               browser=find_browser(), limit=args.limit)
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
