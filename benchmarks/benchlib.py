"""What every row of `scripts/bench` shares: paired interleaved timing, the result table,
generated repositories as varied as real ones, and the MJML each email compiles from."""

from __future__ import annotations

import math
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
MG = [str(BIN / "mailgitops")]
NODE_DIR = ROOT / "benchmarks" / ".node"
LANGS = ["en", "de", "fr", "nl", "zh", "es", "it", "pt", "pl", "sv"]


@dataclass
class Row:
    """One figure against its anchor. `speed`: ratio = anchor time / our time (higher is better,
    goal is a minimum); otherwise ratio = our time / anchor time (lower is better, goal a maximum).
    `rate`: ours and theirs are events per second, not seconds: ratio = ours / theirs, and with
    `speed` the goal is a minimum. `goal_low`: the ratio must also be at least this (a band, such
    as "within 20%"). `unit` is what the table prints after the values; `extra` adds named
    figures in the table's last column."""

    figure: str
    anchor: str
    ours: list[float]
    theirs: list[float]
    goal: float | None
    speed: bool
    note: str = ""
    cold: bool = True
    extra: dict[str, str] = field(default_factory=dict)
    rate: bool = False
    goal_low: float | None = None
    unit: str = "s"

    @property
    def ratio(self) -> float:
        a, b = statistics.median(self.ours), statistics.median(self.theirs)
        top, bottom = (b, a) if self.speed and not self.rate else (a, b)
        return top / bottom if bottom else math.nan  # nan meets no goal: nothing to compare with

    @property
    def goal_text(self) -> str:
        if self.goal is None:
            return "-"
        if self.goal_low is not None:
            return f"{self.goal_low:g}-{self.goal:g}x"
        return f"{'>=' if self.speed else '<='} {self.goal:g}x"

    @property
    def met(self) -> str:
        if self.goal is None:
            return "-"
        r = self.ratio
        if self.goal_low is not None:
            ok = self.goal_low <= r <= self.goal
        else:
            ok = r >= self.goal if self.speed else r <= self.goal
        return "yes" if ok else "NO"


def spread(xs: list[float], unit: float = 1.0, fmt: str = "{:.2f}") -> str:
    """Median [min-max], scaled by `unit`; a single value alone."""
    if len(xs) == 1:
        return fmt.format(xs[0] * unit)
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


def start_fastsink(port: int, delay_ms: float = 0.0) -> subprocess.Popen[str]:
    """benchmarks/fastsink.py as its own process; its stdout is read once ("ready") and never piped
    onwards (the sink would hold the pipe)."""
    sink = subprocess.Popen([sys.executable, str(ROOT / "benchmarks/fastsink.py"), "--port", str(port),
                             "--delay-ms", str(delay_ms)], stdout=subprocess.PIPE, text=True)
    assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
    return sink


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
    if n_templates < len(shipped):  # fewer would leave templates the workflow names missing: errors
        raise SystemExit(f"a generated repository has at least the {len(shipped)} shipped templates "
                         f"(the workflow names each): --sizes {n_templates} is too small")
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
            # an optional value in a guard, as real templates have; only where the trigger provides
            # `order` (an export's trigger does not: validate would report it, rightly)
            var = "order.title" if "order." in text else "printroom.name"
            guard = f"{{% if {var} %}}({tag}) {{{{ {var} }}}}{{% endif %}}"
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
    details = any(r.extra for r in rows)
    lines = [(*head, "details") if details else head]
    for r in rows:
        fmt = "{:.1f}" if r.rate else "{:.2f}"
        line = (r.figure + ("" if r.cold else " (warm)"), f"{spread(r.ours, fmt=fmt)} {r.unit}", r.anchor,
                f"{spread(r.theirs, fmt=fmt)} {r.unit}", f"{r.ratio:.2f}x", r.goal_text, r.met)
        lines.append((*line, "; ".join(f"{k} {v}" for k, v in r.extra.items())) if details else line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for n, line in enumerate(lines):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print("\nratio: for rows with a >= goal, anchor time / our time (higher is faster); for <= goals,"
          "\nour time / anchor time (lower is faster); for rates (/s), ours / the anchor's (higher is"
          "\nbetter); for a band (0.8-1.2x) the ratio must fall inside it. Values: median [min-max] over"
          "\nthe rounds (serve rows: one window per level).")
    for r in rows:
        if r.note:
            print(f"- {r.figure}: {r.note}")
