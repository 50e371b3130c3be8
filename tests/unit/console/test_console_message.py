"""One message's page: each recipient's result as the server gave it, and what to do about a
refused address; a draft in the list reads as waiting for an operator, not as a CLI command."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from mailgitops.dispatch.api import Dispatcher
from support.console import ConsoleRig
from support.dispatchrepo import sample_event
from support.smtpd import SmtpServer

REFUSAL = "550 5.1.1 <nobody@refused.example>: Recipient address rejected: User unknown"


def test_a_refused_customer_shows_each_recipients_result_and_what_to_do(
        rig: ConsoleRig, signed_in: TestClient, sink: SmtpServer) -> None:
    from mailgitops.dispatch import drafts

    customer = {**sample_event("flyers")["customer"], "email": "nobody@refused.example", "language": "en"}
    refused = rig.draft("m-1", order_number="PO-4001", customer=customer)
    sink.faults.refuse["nobody@refused.example"] = REFUSAL
    disp = rig.service.dispatcher()
    drafts.send(disp, refused, deliver=False)
    disp.sender.flush()
    assert disp.outbox.get(refused).status == "failed"
    listing = signed_in.get("/deliveries", params={"status": "failed"}).text
    assert f'<a href="/deliveries/{refused}">' in listing
    page = signed_in.get(f"/deliveries/{refused}").text
    rows = {m[0]: m[1:] for m in re.findall(
        r'<tr class="result-\w+"><td>([^<]+)</td><td>(\w+)</td>\s*<td><span[^>]*>(\w+)</span></td>'
        r'<td>([^<]*)</td></tr>\s*'
        r'(?:<tr class="todo[^"]*"><td colspan="4"><strong>What to do:</strong>([^<]*)</td>)?',
        page)}
    to, cc = rows["nobody@refused.example"], rows["archive@example.com"]
    assert to[:2] == ("TO", "refused")
    assert "550" in to[2] and "User unknown" in to[2]
    assert "Check the address with the customer" in to[3]
    assert cc[:2] == ("CC", "accepted")
    assert cc[3] == ""
    assert "Retry</button>" in page
    assert signed_in.get("/deliveries/99999").status_code == 404


def test_a_waiting_draft_reads_as_waiting_for_an_operator(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft("m-2")
    listing = signed_in.get("/deliveries").text
    assert "waiting for an operator" in listing
    assert "mailgitops drafts send" not in listing
    page = signed_in.get(f"/deliveries/{draft_id}").text
    assert "mailgitops drafts send" not in page
    assert f'<a href="/draft/{draft_id}">' in page
    assert "<span class=\"status status-draft\">draft</span>" in page
    assert "waiting to be sent" not in page and "tried again by itself" not in page  # it waits for a person


def test_a_discarded_draft_reads_as_never_sent(rig: ConsoleRig, signed_in: TestClient) -> None:
    """Its recipients were shown "deferred, waiting to be sent", with "it is tried again by itself
    at the next attempt": a discarded email that would still go out (an operator's walk)."""
    from mailgitops.dispatch import drafts

    gone = rig.draft("m-discarded")
    drafts.discard(rig.service.dispatcher().outbox, gone)
    page = signed_in.get(f"/deliveries/{gone}").text
    assert "the operator discarded the draft" in page
    assert "deferred" not in page and "waiting to be sent" not in page
    assert "tried again by itself" not in page


def test_a_message_the_server_put_off_shows_when_it_is_tried_again_with_the_zone(
        rig: ConsoleRig, signed_in: TestClient, sink: SmtpServer) -> None:
    from mailgitops.dispatch import drafts

    later = rig.draft("m-3")
    sink.faults.add("MAIL", "451 4.3.2 try again later")
    disp = rig.service.dispatcher()
    drafts.send(disp, later, deliver=False)
    disp.sender.flush()
    assert disp.outbox.get(later).status == "queued"
    listing = signed_in.get("/deliveries", params={"status": "queued"}).text
    # as an operator reads it, in the workflow's zone (Europe/Berlin) with its name; ISO for machines
    shown = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', listing)
    assert shown, listing
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00", shown.group(1))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T", shown.group(2))
    page = signed_in.get(f"/deliveries/{later}").text
    assert "it is tried again by itself" in page
    assert f">{shown.group(2)}</time>" in page


def test_send_says_queued_not_sent_and_leads_to_the_delivery(rig: ConsoleRig, signed_in: TestClient) -> None:
    from support.console import csrf_of

    draft_id = rig.draft("m-4")
    page = signed_in.get(f"/draft/{draft_id}").text
    version = re.search(r'name="version" value="([^"]+)"', page)
    assert version
    resp = signed_in.post(f"/draft/{draft_id}/send", data={"csrf": csrf_of(page), "confirm": "yes",
                                                           "version": version.group(1)})
    after = signed_in.get(resp.headers["location"]).text
    # nothing has reached a server yet (the sender has not run): the page must not say "sent"
    assert rig.service.dispatcher().outbox.get(draft_id).status == "queued"
    assert "Queued to go out once; its delivery shows when it has been sent." in after
    assert "Sent once" not in after
    assert f'<a href="/deliveries/{draft_id}">Its delivery, recipient by recipient</a>' in after


def _put_off(rig: ConsoleRig, sink: SmtpServer, event_id: str) -> tuple[Dispatcher, int]:
    """A draft sent by its operator that the server put off (451): queued for a later attempt."""
    from mailgitops.dispatch import drafts

    later = rig.draft(event_id)
    sink.faults.add("MAIL", "451 4.3.2 try again later")
    disp = rig.service.dispatcher()
    drafts.send(disp, later, deliver=False)
    disp.sender.flush()
    return disp, later


def test_once_the_server_is_back_a_put_off_message_can_be_tried_now(
        rig: ConsoleRig, signed_in: TestClient, sink: SmtpServer) -> None:
    import time

    from support.console import csrf_of

    disp, later = _put_off(rig, sink, "m-5")
    assert disp.outbox.get(later).next_attempt_at > time.time() + 10  # minutes away, by the backoff
    listing = signed_in.get("/deliveries").text
    assert f'aria-label="Try now #{later}">Try now</button>' in listing
    resp = signed_in.post(f"/deliveries/{later}/retry", data={"csrf": csrf_of(listing)})
    assert resp.status_code == 303
    assert disp.outbox.get(later).next_attempt_at <= time.time()
    sink.messages.clear()
    disp.sender.flush()
    assert disp.outbox.get(later).status == "sent"
    assert len(sink.messages) == 1
    # a message never tried (a waiting draft) cannot be pushed
    waiting = rig.draft("m-6")
    assert f"Try now #{waiting}" not in signed_in.get("/deliveries").text
    assert signed_in.post(f"/deliveries/{waiting}/retry", data={"csrf": csrf_of(listing)}).status_code == 409


def test_every_page_says_so_when_mail_has_not_gone_out_for_ten_minutes(
        rig: ConsoleRig, signed_in: TestClient, sink: SmtpServer) -> None:
    import sqlite3
    import time


    _, later = _put_off(rig, sink, "m-7")
    assert "Mail is not going out" not in signed_in.get("/").text  # a minute's delay is no outage
    db = sqlite3.connect(rig.service.outbox_location)  # the outbox file itself: queued 11 minutes ago
    with db:
        db.execute("UPDATE messages SET created_at=? WHERE id=?", (time.time() - 660, later))
    db.close()
    for path in ("/", "/deliveries", f"/draft/{later}"):
        page = signed_in.get(path).text
        banner = re.search(r'<div class="banner" role="status">(.*?)</div>', page, re.S)
        assert banner, path
        assert "Waiting to be sent: 1, " in banner.group(1)
        assert re.search(r"the oldest since \d{4}-\d\d-\d\d \d\d:\d\d CES?T", banner.group(1))
        assert 'href="/deliveries?status=queued"' in banner.group(1)


def test_the_draft_address_of_a_message_that_is_no_draft_leads_to_its_page(
        rig: ConsoleRig, signed_in: TestClient) -> None:
    from mailgitops.dispatch import drafts

    draft_id = rig.draft("m-8")
    drafts.send(rig.service.dispatcher(), draft_id, deliver=False)  # still a draft row: its page stays
    assert signed_in.get(f"/draft/{draft_id}").status_code == 200
    rig.service.dispatcher().handle(sample_event("flyers", trigger="order_received", event_id="m-9"),
                                    deliver=False)  # an email no operator holds
    row = max(r.id for r in rig.service.dispatcher().outbox.rows(None, 50))
    assert rig.service.dispatcher().outbox.get(row).draft is None
    resp = signed_in.get(f"/draft/{row}")
    assert resp.status_code == 303
    assert resp.headers["location"] == f"/deliveries/{row}"
    assert signed_in.get("/draft/99999").status_code == 404


def test_the_paused_banner_says_until_when_or_what_ends_it(rig: ConsoleRig, signed_in: TestClient) -> None:
    """A pause after a refused password has no end time: the banner read "until : 535 ...", an
    end that looked lost. A timed pause shows its end in the workflow's zone with its name."""
    import os
    import time

    disp = rig.service.dispatcher()
    tag = disp.sender._tag(os.urandom(16))  # the password configured here is the one that failed
    disp.outbox.pause(None, "535 5.7.8 authentication failed", secret=tag)
    banner = re.search(r'<div class="banner" role="alert">(.*?)</div>', signed_in.get("/deliveries").text)
    assert banner, "no paused banner"
    assert "until the mail server&#39;s password is corrected: 535 5.7.8" in banner.group(1), banner.group(1)
    assert "<time" not in banner.group(1)
    disp.outbox.pause(time.time() + 300, "the server's certificate could not be checked")
    banner = re.search(r'<div class="banner" role="alert">(.*?)</div>', signed_in.get("/deliveries").text)
    assert banner
    timed = r'until <time datetime="[^"]+\+0[12]:00">\d{4}-\d\d-\d\d \d\d:\d\d CES?T</time>: the server'
    assert re.search(timed, banner.group(1)), banner.group(1)


def _reason_cell(page: str, row_id: int) -> str:
    row = re.search(rf"<tr>\s*<td>{row_id}</td>(.*?)</tr>", page, re.S)
    assert row, f"no row {row_id} on Deliveries"
    return re.findall(r"<td>(.*?)</td>", row.group(1), re.S)[3]


def test_the_reason_column_says_changed_by_an_operator_in_words_and_only_after_an_edit(
        rig: ConsoleRig, client: TestClient, sink: SmtpServer) -> None:
    from support.console import csrf_of, sign_in

    rig.add_operator("bernd", language="de")
    sign_in(client, "bernd")
    edited, untouched, discarded = rig.draft("m-edited"), rig.draft("m-untouched"), rig.draft("m-discarded")
    for draft_id, subject in ((edited, "Ihr geändertes Angebot"), (untouched, None)):
        page = client.get(f"/draft/{draft_id}").text
        version = re.search(r'name="version" value="([^"]+)"', page)
        assert version
        sent = client.post(f"/draft/{draft_id}/send", data={
            "csrf": csrf_of(page), "version": version.group(1), "confirm": "yes",
            **({"subject": subject} if subject else {})})
        assert sent.headers["location"].endswith("notice=sent")
    rig.service.dispatcher().sender.flush()
    assert len(sink.messages) == 2
    page = client.get(f"/draft/{discarded}").text
    client.post(f"/draft/{discarded}/discard", data={"csrf": csrf_of(page), "confirm": "yes"})
    listed = client.get("/deliveries").text
    # it read "(von einem Bediener geändert)": a bracket after nothing
    assert _reason_cell(listed, edited) == "von einem Bediener geändert"
    assert _reason_cell(listed, untouched) == ""  # sent as written: nobody changed it
    # it read "… verworfen (von einem Bediener geändert)", the discard taken for an edit
    assert _reason_cell(listed, discarded) == "der Bediener hat den Entwurf verworfen"
