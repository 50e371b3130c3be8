# Chinese punctuation (full-width comma, colon, quotes) is right in Chinese text, and one entry per line reads better unwrapped:
# ruff: noqa: RUF001, E501
"""A delivery's reason in the operator's language. The sender stores it in English (the API's and
the CLI's words, outcome.py); the console rebuilds it from the row's recipients: the sentence
around a mail server's reply is ours and translated, the reply itself stays as the server wrote
it, quoted and marked as the server's words. Our own explanations (a connection refused, no
answer in time, sending paused) are recognised by their English form and translated; anything
not recognised is shown as stored, so nothing is ever hidden."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from mailgitops.dispatch.outbox import NOT_TRIED, Recipient
from mailgitops.dispatch.recipients import describe

Tr = Callable[[str], str]

# one recipient's result with a server's reply (recipients.describe's English form)
REPLIED = "{address} ({kind}): {reply}"
# ... and one that ran out of time (recipients.expire puts our words before the server's text)
EXPIRED = "{address} ({kind}): {code} gave up after {n} attempt(s): {reply}"
# our own words, by their English form: (pattern, catalog key); a `reply` group is the server's
OURS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.S), key) for p, key in (
    (r"(?P<where>\S+) refused the connection \(is the server running, is the port right\?\)",
     "{where} refused the connection (is the server running, is the port right?)"),
    (r"no answer from (?P<where>\S+) within (?P<s>[\d.]+) s", "no answer from {where} within {s} s"),
    (r"the server name (?P<host>.+) was not found \(DNS: (?P<why>.*)\)",
     "the server name {host} was not found (DNS: {why})"),
    (r"(?P<where>\S+) dropped the connection: (?P<why>.*)", "{where} dropped the connection: {why}"),
    (r"connection lost: (?P<why>.*)", "connection lost: {why}"),
    (r"TLS with (?P<where>\S+) failed: (?P<why>.*)", "TLS with {where} failed: {why}"),
    (r"(?P<where>\S+) rejected the user name or password: (?P<reply>.*)",
     "{where} rejected the user name or password: {reply}"),
    (r"(?P<where>\S+) answered (?P<reply>.*) at (?P<stage>[A-Z]+), before any message",
     "{where} answered {reply} at {stage}, before any message"),
    (r"(?P<where>\S+) answered (?P<reply>.*)", "{where} answered {reply}"),
    (r"(?P<where>\S+) refuses connections from this machine: (?P<reply>.*) \(before any message; its "
     r"administrator can say why, e\.g\. a block list or a relay that does not know this machine\)",
     "{where} refuses connections from this machine: {reply} (before any message; its administrator can "
     "say why, e.g. a block list or a relay that does not know this machine)"),
    (r"(?P<where>\S+) refused our greeting \(EHLO (?P<helo>\S+)\): (?P<reply>.*); set server\.helo_name in "
     r"config/smtp\.yaml to a name it accepts, e\.g\. this machine's full DNS name",
     "{where} refused our greeting (EHLO {helo}): {reply}; set server.helo_name in config/smtp.yaml to a "
     "name it accepts, e.g. this machine's full DNS name"),
    (r"the certificate of (?P<where>\S+) is not trusted: (?P<why>.*)", "the certificate of {where} is not trusted: {why}"),
    (r"not sent: it was queued for (?P<addresses>.+) in production mode, and this installation now delivers "
     r"in (?P<mode>\S+) mode \(`mailgitops outbox retry (?P<id>\d+)` once in production again\)",
     "not sent: it was queued for {addresses} in production mode, and this installation now delivers in "
     "{mode} mode (`mailgitops outbox retry {id}` once in production again)"),
    (r"the stored message no longer matches its SHA-256 checksum; not sent\. Check the disk; the event can "
     r"be sent again under a new event_id", "the stored message no longer matches its SHA-256 checksum; not "
     "sent. Check the disk; the event can be sent again under a new event_id"),
))
GAVE_UP = re.compile(r"gave up after (?P<n>\d+) attempt\(s\): (?P<rest>.*)", re.S)
MORE = re.compile(r"(?P<first>.*) \(and (?P<n>\d+) more\)", re.S)
PAUSED = "sending paused: "

DE: Mapping[str, str] = {
    REPLIED: "{address} ({kind}): Der Server antwortete „{reply}“",
    EXPIRED: "{address} ({kind}): nach {n} Versuch(en) aufgegeben; der Server antwortete zuletzt „{code} {reply}“",
    "{where} refused the connection (is the server running, is the port right?)": "{where} hat die Verbindung abgelehnt (läuft der Server, stimmt der Port?)",
    "no answer from {where} within {s} s": "keine Antwort von {where} innerhalb von {s} s",
    "the server name {host} was not found (DNS: {why})": "der Servername {host} wurde nicht gefunden (DNS: {why})",
    "{where} dropped the connection: {why}": "{where} hat die Verbindung getrennt: {why}",
    "connection lost: {why}": "Verbindung verloren: {why}",
    "TLS with {where} failed: {why}": "TLS mit {where} ist fehlgeschlagen: {why}",
    "{where} rejected the user name or password: {reply}": "{where} hat Benutzername oder Passwort abgelehnt; der Server antwortete „{reply}“",
    "{where} answered {reply}": "{where} antwortete „{reply}“",
    "{where} answered {reply} at {stage}, before any message": "{where} antwortete bei {stage} „{reply}“, noch vor jeder Nachricht",
    "{where} refuses connections from this machine: {reply} (before any message; its administrator can say why, e.g. a block list or a relay that does not know this machine)":
        "{where} nimmt von diesem Rechner keine Verbindung an; der Server antwortete „{reply}“ (vor jeder Nachricht; seine Administration kann den Grund nennen, etwa eine Sperrliste)",
    "{where} refused our greeting (EHLO {helo}): {reply}; set server.helo_name in config/smtp.yaml to a name it accepts, e.g. this machine's full DNS name":
        "{where} hat unsere Begrüßung (EHLO {helo}) abgelehnt; der Server antwortete „{reply}“. Die Administration setzt server.helo_name in config/smtp.yaml auf einen Namen, den er annimmt",
    "the certificate of {where} is not trusted: {why}": "dem Zertifikat von {where} wird nicht vertraut: {why}",
    "not sent: it was queued for {addresses} in production mode, and this installation now delivers in {mode} mode (`mailgitops outbox retry {id}` once in production again)":
        "nicht gesendet: Sie wurde im Produktivbetrieb für {addresses} eingereiht, und diese Installation stellt jetzt im Modus {mode} zu (Wiederholen, sobald wieder echt zugestellt wird)",
    "the stored message no longer matches its SHA-256 checksum; not sent. Check the disk; the event can be sent again under a new event_id":
        "die gespeicherte Nachricht passt nicht mehr zu ihrer SHA-256-Prüfsumme; nicht gesendet. Die Administration prüft den Datenträger; das Ereignis kann unter einer neuen event_id erneut gesendet werden",
    "gave up after {n} attempt(s): {rest}": "nach {n} Versuch(en) aufgegeben: {rest}",
    "{first} (and {n} more)": "{first} (und {n} weitere)",
    "sending paused: {why}": "Versand angehalten: {why}",
}
ZH: Mapping[str, str] = {
    REPLIED: "{address}（{kind}）：服务器答复“{reply}”",
    EXPIRED: "{address}（{kind}）：尝试 {n} 次后放弃；服务器最后答复“{code} {reply}”",
    "{where} refused the connection (is the server running, is the port right?)": "{where} 拒绝了连接（服务器是否在运行，端口是否正确？）",
    "no answer from {where} within {s} s": "{where} 在 {s} 秒内没有应答",
    "the server name {host} was not found (DNS: {why})": "找不到服务器名称 {host}（DNS：{why}）",
    "{where} dropped the connection: {why}": "{where} 断开了连接：{why}",
    "connection lost: {why}": "连接中断：{why}",
    "TLS with {where} failed: {why}": "与 {where} 的 TLS 连接失败：{why}",
    "{where} rejected the user name or password: {reply}": "{where} 拒绝了用户名或密码；服务器答复“{reply}”",
    "{where} answered {reply}": "{where} 答复“{reply}”",
    "{where} answered {reply} at {stage}, before any message": "{where} 在 {stage} 阶段答复“{reply}”，尚未发送任何邮件",
    "{where} refuses connections from this machine: {reply} (before any message; its administrator can say why, e.g. a block list or a relay that does not know this machine)":
        "{where} 不接受来自本机的连接；服务器答复“{reply}”（在发送任何邮件之前；其管理员可以说明原因，例如黑名单）",
    "{where} refused our greeting (EHLO {helo}): {reply}; set server.helo_name in config/smtp.yaml to a name it accepts, e.g. this machine's full DNS name":
        "{where} 拒绝了我们的问候（EHLO {helo}）；服务器答复“{reply}”。管理员需在 config/smtp.yaml 中将 server.helo_name 设为它接受的名称",
    "the certificate of {where} is not trusted: {why}": "{where} 的证书不受信任：{why}",
    "not sent: it was queued for {addresses} in production mode, and this installation now delivers in {mode} mode (`mailgitops outbox retry {id}` once in production again)":
        "未发送：它是在正式投递模式下为 {addresses} 排队的，而本系统现在以 {mode} 模式投递（恢复正式投递后请重试）",
    "the stored message no longer matches its SHA-256 checksum; not sent. Check the disk; the event can be sent again under a new event_id":
        "保存的邮件与其 SHA-256 校验和不再一致；未发送。请管理员检查磁盘；该事件可以用新的 event_id 重新发送",
    "gave up after {n} attempt(s): {rest}": "尝试 {n} 次后放弃：{rest}",
    "{first} (and {n} more)": "{first}（另有 {n} 个）",
    "sending paused: {why}": "发送已暂停：{why}",
}


def ours(_: Tr, text: str) -> str:
    """One of our own explanations in the operator's language; as stored when not recognised."""
    if text == NOT_TRIED:
        return _(NOT_TRIED)
    if (m := GAVE_UP.fullmatch(text)) is not None:
        return _("gave up after {n} attempt(s): {rest}").format(n=m["n"], rest=ours(_, m["rest"]))
    for pattern, key in OURS:
        if (m := pattern.fullmatch(text)) is not None:
            return _(key).format(**m.groupdict())
    return text


def recipient(_: Tr, r: Recipient) -> str:
    """One recipient's result: the server's reply quoted as its own, our words translated."""
    text = str(r.get("text") or "")
    if r.get("code") is None:  # no server said it: a connection that failed, a message not tried
        return f"{r['address']} ({r['kind']}): {ours(_, text)}"
    if (gave_up := GAVE_UP.fullmatch(text)) is not None:  # ran out of time: ours around the server's
        return _(EXPIRED).format(address=r["address"], kind=r["kind"], code=r["code"], n=gave_up["n"],
                                 reply=gave_up["rest"])
    return _(REPLIED).format(address=r["address"], kind=r["kind"], reply=f"{r['code']} {text}".strip())


def reason(_: Tr, stored: str, recipients: Sequence[Recipient]) -> str:
    """A stored English reason in the operator's language, its recipients' parts rebuilt from
    their results (so a server's words are never translated, nor taken for ours)."""
    if stored.startswith(PAUSED):
        return _("sending paused: {why}").format(why=reason(_, stored.removeprefix(PAUSED), recipients))
    if (m := MORE.fullmatch(stored)) is not None and any(describe(r) == m["first"] for r in recipients):
        return _("{first} (and {n} more)").format(first=reason(_, m["first"], recipients), n=m["n"])
    parts = {describe(r): r for r in recipients if r.get("text") is not None}
    rest, out = stored, []
    while rest:  # "a (to): ...; b (cc): ...", each part one recipient's (a reply may hold "; ")
        hit = next((s for s in sorted(parts, key=len, reverse=True)
                    if rest == s or rest.startswith(s + "; ")), None)
        if hit is None:
            return ours(_, stored)
        out.append(recipient(_, parts[hit]))
        rest = rest[len(hit) + 2:]
    return "; ".join(out)
