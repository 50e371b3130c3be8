"""PostgreSQL stopped for a while and started again (a restart for an upgrade, a failover): the
outbox answers again within a few seconds of the server's return. The connection pool's own
reconnection waits twice as long after each failed attempt, so after 40 s down it next tried
about 20 s after the server was back (after 2.5 minutes down, 87 s): events were answered 503 all
that time while the database ran."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from mailgitops.dispatch.outbox_pg import PgOutbox
from mailgitops.errors import ExitCode, MailgitopsError
from support.pgcluster import PgCluster
from support.pgswitch import PgSwitch

DOWN_SECONDS = 40


@pytest.fixture
def switch(pg_cluster: PgCluster) -> Iterator[PgSwitch]:
    sw = PgSwitch(pg_cluster.port).up()
    yield sw
    sw.down()


@pytest.mark.slow
def test_the_outbox_answers_again_soon_after_postgresql_is_back(
        pg_cluster: PgCluster, switch: PgSwitch) -> None:
    ob = PgOutbox(switch.url(pg_cluster.new_database()))
    try:
        assert ob.counts()["queued"] == 0
        switch.down()
        stop = threading.Event()
        codes: list[int] = []
        reasons: list[str] = []

        def ask() -> None:  # serve's senders and request threads keep asking meanwhile
            while not stop.is_set():
                try:
                    ob.counts()
                except MailgitopsError as e:
                    codes.append(e.exit_code)
                    reasons.append(e.message)
                stop.wait(0.5)

        askers = [threading.Thread(target=ask) for _ in range(4)]
        for t in askers:
            t.start()
        time.sleep(DOWN_SECONDS)  # the outage itself is what is being tested, not a wait for an event
        switch.up()
        back = time.monotonic()
        while True:
            try:
                ob.counts()
                break
            except MailgitopsError:
                if time.monotonic() - back > 60:
                    break
        took = time.monotonic() - back
        stop.set()
        for t in askers:
            t.join()
    finally:
        ob.close()
    assert codes and set(codes) == {ExitCode.TEMPORARY}  # 503 / exit 75 while down: try again later
    # named by its URL, with a reason a person can act on (not the pool's "couldn't get a connection")
    assert all(r.startswith(f"cannot use the outbox postgresql://postgres@127.0.0.1:{switch.port}/")
               for r in reasons), reasons[:2]
    assert not any("couldn't get a connection" in r for r in reasons), reasons[:2]
    assert took < 5, f"the outbox answered again only {took:.1f} s after PostgreSQL was back"


def test_while_postgresql_is_down_requests_are_answered_within_seconds_not_after_15(
        pg_cluster: PgCluster, switch: PgSwitch) -> None:
    # an event posted during an outage got its 503 after the pool's 15 s wait: past many order
    # systems' HTTP timeout, a thread held per request all that time
    ob = PgOutbox(switch.url(pg_cluster.new_database()))
    try:
        assert ob.counts()["queued"] == 0
        switch.down()
        # /health's probe, or a sender, finds it down first
        with ob.answer_within(1), pytest.raises(MailgitopsError):
            ob.counts()
        for _ in range(2):
            start = time.monotonic()
            with pytest.raises(MailgitopsError) as got:
                ob.counts()
            assert got.value.exit_code == ExitCode.TEMPORARY
            assert time.monotonic() - start < 4
        switch.up()
        deadline = time.monotonic() + 30
        while True:  # back within seconds, each try answered within seconds meanwhile
            try:
                assert ob.counts()["queued"] == 0
                break
            except MailgitopsError:
                assert time.monotonic() < deadline, "the outbox did not answer again"
    finally:
        ob.close()


def test_the_first_request_of_an_outage_is_answered_within_seconds_too(
        pg_cluster: PgCluster, switch: PgSwitch) -> None:
    """Nothing has found the server down yet (no /health probe, no sender): the first requests
    still waited the pool's whole 15 s before their 503 (an operations walk: every event posted
    in an outage's first 15 s). A connection of its own asks the server once the pool has none."""
    ob = PgOutbox(switch.url(pg_cluster.new_database()))
    try:
        assert ob.counts()["queued"] == 0
        switch.down()
        start = time.monotonic()
        with pytest.raises(MailgitopsError) as got:
            ob.counts()
        took = time.monotonic() - start
        assert got.value.exit_code == ExitCode.TEMPORARY
        assert got.value.message.startswith(f"cannot use the outbox postgresql://postgres@127.0.0.1:{switch.port}/")
        assert took < 5, f"the first request of the outage waited {took:.1f} s"
    finally:
        ob.close()


def test_a_busy_pool_is_waited_for_not_called_down(pg_cluster: PgCluster) -> None:
    """Every pooled connection busy (a long transaction each) while the server runs: a request
    waits for one and gets it; asking the server said it is there."""
    ob = PgOutbox(pg_cluster.new_database())
    held: list[object] = []
    try:
        release = threading.Event()

        def hold() -> None:
            with ob._conn():  # the pool's connections, taken as requests take them
                held.append(1)
                release.wait(10)

        holders = [threading.Thread(target=hold) for _ in range(4)]  # the pool's max_size
        for t in holders:
            t.start()
        while len(held) < 4:
            time.sleep(0.05)
        threading.Timer(2.5, release.set).start()
        start = time.monotonic()
        assert ob.counts()["queued"] == 0  # after the holders gave theirs back, not a 503
        assert 2 < time.monotonic() - start < 10
        for t in holders:
            t.join()
    finally:
        ob.close()
