"""What every row of `scripts/bench` shares: paired interleaved timing, the result table,
generated repositories as varied as real ones, and the MJML each email compiles from."""

from __future__ import annotations

import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NODE_DIR = ROOT / "benchmarks" / ".node"
LANGS = ["en", "de", "fr", "nl", "zh", "es", "it", "pt", "pl", "sv"]


@dataclass
class Row:
    """One figure against its anchor. `speed`: ratio = anchor time / our time (higher is better,
    goal is a minimum); otherwise ratio = our time / anchor time (lower is better, goal a maximum)."""

    figure: str
    anchor: str
    ours: list[float]
    theirs: list[float]
    goal: float | None
    speed: bool
    note: str = ""
    cold: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        a, b = statistics.median(self.ours), statistics.median(self.theirs)
        return b / a if self.speed else a / b

    @property
    def met(self) -> str:
        if self.goal is None:
            return "-"
        ok = self.ratio >= self.goal if self.speed else self.ratio <= self.goal
        return "yes" if ok else "NO"


def spread(xs: list[float], unit: float = 1.0, fmt: str = "{:.2f}") -> str:
    """Median [min-max], scaled by `unit`."""
    return (f"{fmt.format(statistics.median(xs) * unit)} "
            f"[{fmt.format(min(xs) * unit)}-{fmt.format(max(xs) * unit)}]")


def interleaved(a: Callable[[], float], b: Callable[[], float], rounds: int,
                progress: str = "") -> tuple[list[float], list[float]]:
    """A, B, B, A, A, B…: each callable returns the seconds of one measured run; the order flips
    every round so that a drift in the machine's load falls on both sides alike."""
    xs: list[float] = []
    ys: list[float] = []
    for r in range(rounds):
        if progress:
            print(f"  {progress}: round {r + 1}/{rounds}", file=sys.stderr, flush=True)
        if r % 2 == 0:
            xs.append(a())
            ys.append(b())
        else:
            ys.append(b())
            xs.append(a())
    return xs, ys


def run_timed(cmd: list[str], *, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,),
              cwd: Path | None = None) -> float:
    """Wall time of one command; a failure stops the benchmark (a fast failure is no figure)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, cwd=cwd)
    took = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd[:4])}… failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return took


@contextmanager
def empty_cache_env() -> Iterator[dict[str, str]]:
    """An environment whose per-user disk cache is a new empty folder: a cold run."""
    with tempfile.TemporaryDirectory(prefix="mg-cache-") as tmp:
        env = dict(os.environ, XDG_CACHE_HOME=tmp)
        env.pop("MAILGITOPS_NO_CACHE", None)
        yield env


def cold_env() -> dict[str, str]:
    """Environment for one cold run: a fresh, empty cache folder (left for the OS to clean)."""
    return dict(os.environ, XDG_CACHE_HOME=tempfile.mkdtemp(prefix="mg-cache-"))


_FRONT = re.compile(r'^(subject|preheader): "(.*)"$', re.M)


def generate_repo(dest: Path, n_templates: int, langs: list[str] | None = None, seed: int = 7) -> Path:
    """A repository with `n_templates` templates x `langs`, made from the shipped ones, where every
    file differs as real ones do: its own subject, preheader and an extra paragraph of its own."""
    langs = langs or LANGS
    rnd = random.Random(seed)
    shutil.copytree(ROOT / "config", dest / "config")
    (dest / "templates").mkdir(parents=True)
    for extra in ("_layouts", "_assets"):
        if (ROOT / "templates" / extra).is_dir():
            shutil.copytree(ROOT / "templates" / extra, dest / "templates" / extra)
    (dest / "config/languages.yaml").write_text(
        f"default: en\nactive: [{', '.join(langs)}]\n", encoding="utf-8")
    shipped = sorted(p for p in (ROOT / "templates").iterdir() if p.is_dir() and not p.name.startswith("_"))
    for i in range(n_templates):
        base = shipped[i % len(shipped)]
        tid = base.name if i < len(shipped) else f"{base.name}-{i:04d}"
        out = dest / "templates" / tid
        out.mkdir()
        shutil.copyfile(base / "template.yaml", out / "template.yaml")
        for lang in langs:
            src = base / f"{lang}.md"
            text = (src if src.exists() else base / "en.md").read_text(encoding="utf-8")
            words = re.findall(r"[^\W\d_]{4,}", text.split("---", 2)[-1])
            rnd.shuffle(words)
            tag = f"{rnd.randrange(10_000, 99_999)}"
            text = _FRONT.sub(lambda m, t=tag: f'{m[1]}: "{m[2]} · {t}"', text)
            paragraph = " ".join(words[: 12 + rnd.randrange(30)]).capitalize()
            guard = "{% if order.title %}" + f"({tag}) {{{{ order.title }}}}" + "{% endif %}"
            (out / f"{lang}.md").write_text(f"{text.rstrip()}\n\n{paragraph}. {guard}\n", encoding="utf-8")
    return dest


def install_node_mjml() -> Path | None:
    """npm's mjml into benchmarks/.node (once); None when node or npm is missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return None
    if not (NODE_DIR / "node_modules/mjml").is_dir():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        print("installing npm mjml@4 into benchmarks/.node/ …", file=sys.stderr)
        cmd = ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR), "mjml@4"]
        if subprocess.run(cmd, capture_output=True, check=False).returncode != 0:
            return None
    return NODE_DIR


def print_table(rows: list[Row]) -> None:
    head = ("figure", "ours", "anchor", "anchor's", "ratio", "goal", "met")
    lines = [head]
    for r in rows:
        unit = "s"
        lines.append((r.figure + ("" if r.cold else " (warm)"), f"{spread(r.ours)} {unit}", r.anchor,
                      f"{spread(r.theirs)} {unit}", f"{r.ratio:.2f}x",
                      "-" if r.goal is None else f"{'>=' if r.speed else '<='} {r.goal:g}x", r.met))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for n, line in enumerate(lines):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print("\nratio: for rows with a >= goal, anchor time / our time (higher is faster); for <= goals,"
          "\nour time / anchor time (lower is faster). Times: median [min-max] over the rounds.")
    for r in rows:
        if r.note:
            print(f"- {r.figure}: {r.note}")
