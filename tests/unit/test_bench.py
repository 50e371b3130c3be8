"""scripts/bench's table (benchmarks/bench.py): the serve rows a short real run prints, and the
validate linearity row computed from the validate timings, with its 0.8-1.2x band."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
NUMBER = r"(\d+(?:\.\d+)?)"


def _bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))  # the benchmarks import each other by plain name
    import bench

    return bench


@pytest.mark.slow
def test_serve_family_prints_a_row_per_level_with_rates_latencies_and_backlog() -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "bench.py"), "--only", "serve", "--serve-seconds", "3",
                           "--serve-clients", "8", "--rounds", "1"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "at least 5 interleaved rounds" in proc.stderr  # --rounds 1 is warned about
    rows = {int(m[1]): m for m in re.finditer(
        rf"^serve, (\d+) clients?, \d+ s: delivered/s +{NUMBER} /s +accepted/s, same window +{NUMBER} /s +"
        rf"{NUMBER}x +(-|>= 0\.9x) +(-|yes|NO) +p50/p99 (\d+)/(\d+) ms; backlog max/end (\d+)/(\d+)",
        proc.stdout, re.M)}
    assert sorted(rows) == [8], proc.stdout  # the level asked for (the default runs 1, 8 and 32)
    for clients, m in rows.items():
        delivered, accepted, ratio = float(m[2]), float(m[3]), float(m[4])
        assert delivered > 0 and accepted > 0, m[0]
        assert ratio == pytest.approx(delivered / accepted, abs=0.01), m[0]
        p50, p99 = int(m[7]), int(m[8])
        assert p99 > 0 and p50 <= p99, m[0]
        assert (m[5], m[6] in ("yes", "NO")) == ((">= 0.9x", True) if clients == 8 else ("-", False)), m[0]
    assert re.search(r"^- serve, 8 clients, \d+ s: delivered/s: backlog every 2 s from /metrics: \d+",
                     proc.stdout, re.M), proc.stdout


def test_linearity_row_compares_each_size_per_template_with_the_smallest(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    bench = _bench(monkeypatch)
    rows = bench.linearity_rows({"15x5": [30.0, 29.0, 31.0], "200x10": [6.0, 6.5, 7.0],
                                 "1000x10": [33.0, 35.0, 34.0]})
    assert [r.figure for r in rows] == ["validate, cost per template, 200x10 vs 15x5",
                                        "validate, cost per template, 1000x10 vs 15x5"]
    cheaper, within = rows
    assert cheaper.ratio == pytest.approx(6.5 / 30.0)
    assert (cheaper.met, within.met) == ("NO", "yes")  # 0.22x is outside the band as much as 1.3x is
    assert "costs less" in cheaper.note and "costs more" in within.note
    bench.print_table(rows)
    out = capsys.readouterr().out
    assert re.search(r"1000x10 vs 15x5 +34\.00 \[33\.00-35\.00\] ms +per template at 15x5 +"
                     r"30\.00 \[29\.00-31\.00\] ms +1\.13x +0\.8-1\.2x +yes", out), out


def test_linearity_needs_two_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    bench = _bench(monkeypatch)
    assert bench.linearity_rows({"15x5": [30.0]}) == []


def test_dispatch_rows_name_each_server_and_refuse_an_unknown_one(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "bench.py"), "--only", "dispatch", "--rounds", "1",
                           "--events", "5", "--dispatch-servers", "fast,aiosmtpd,relay"],
                          capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    timed = rf" +{NUMBER}(?: \[.*?\])? s +bare smtplib loop, same bytes, same server +{NUMBER}(?: \[.*?\])? s"
    row = rf"^(dispatch 5 events, one process(?:, aiosmtpd)?){timed} +{NUMBER}x +>= 0\.7x"  # no range at 1
    figures = re.findall(row, proc.stdout, re.M)
    assert [f[0] for f in figures] == ["dispatch 5 events, one process",
                                       "dispatch 5 events, one process, aiosmtpd"], proc.stdout
    assert all(float(f[1]) > 0 and float(f[3]) > 0 for f in figures), figures  # the loop may show 0.00 s
    assert "vs the durable floor" in proc.stdout  # against the fast sink only
    # delivery alone, the same messages queued first, with the same goal
    flushed = re.findall(rf"^(deliver \d+ queued messages \(outbox flush\)(?:, aiosmtpd)?){timed} +{NUMBER}x"
                         r" +>= 0\.7x", proc.stdout, re.M)
    assert [f[0].split(")")[-1] for f in flushed] == ["", ", aiosmtpd"], proc.stdout
    # a relay a few milliseconds away: shown, with no goal, its measured round trip in the note
    relay = re.findall(rf"^((?:dispatch|deliver) .*a relay a few ms away){timed} +{NUMBER}x +- +-$",
                       proc.stdout, re.M)
    assert len(relay) == 2, proc.stdout
    assert re.search(r"a round trip of \d+\.\d ms \(measured with NOOP\)", proc.stdout), proc.stdout
    wrong = subprocess.run([sys.executable, str(BENCH / "bench.py"), "--only", "dispatch",
                            "--dispatch-servers", "fast,exim"], capture_output=True, text=True, timeout=60,
                           check=False)
    assert wrong.returncode == 2
    assert "unknown --dispatch-servers exim: choose from fast, aiosmtpd, postfix, relay" in wrong.stderr


@pytest.mark.slow
def test_bench_dispatch_on_its_own_prints_the_dispatch_rows_against_the_bare_loop() -> None:
    """The command the speed goal names, `benchmarks/bench_dispatch.py`, ran and printed nothing:
    it now prints the dispatch rows with their ratios and goals (a short run, one server)."""
    proc = subprocess.run([sys.executable, str(BENCH / "bench_dispatch.py"), "--rounds", "1",
                           "--events", "20", "--dispatch-servers", "fast"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for figure in (r"dispatch 20 events, one process", r"deliver \d+ queued messages \(outbox flush\)"):
        row = (rf"^{figure} +{NUMBER}(?: \[.*?\])? s +bare smtplib loop, same bytes, same server +"
               rf"{NUMBER}(?: \[.*?\])? s +{NUMBER}x +>= 0\.7x +(yes|NO)")
        assert re.search(row, proc.stdout, re.M), proc.stdout
    assert re.search(r"^dispatch command, disk cache empty ", proc.stdout, re.M), proc.stdout
    assert not re.search(r"^(validate|render|serve)", proc.stdout, re.M), proc.stdout  # dispatch rows only
