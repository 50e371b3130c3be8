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

from mailgitops.dispatch.forget import FORGOTTEN
from mailgitops.dispatch.lease import IN_FLIGHT, UNTRIED
from mailgitops.dispatch.outbox import NOT_TRIED, Recipient
from mailgitops.dispatch.recipients import describe

Tr = Callable[[str], str]

# one recipient's result with a server's reply (recipients.describe's English form)
REPLIED = "{address} ({kind}): {reply}"
# ... and one that ran out of time (recipients.expire puts our words before the server's text)
EXPIRED = "{address} ({kind}): {code} gave up after {n} attempt(s): {reply}"
_CERT = r"the certificate of (?P<where>\S+) is not trusted: (?P<why>.*); it has SHA-256 fingerprint (?P<seen>\S+) \("
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
    (r"(?P<stage>[A-Z]+) was refused: (?P<where>\S+) answered (?P<reply>.*), before any message",
     "{stage} was refused: {where} answered {reply}, before any message"),
    # the same, as a mailgitops before the command came first stored it (a pause, a held reason)
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
    # a certificate not trusted, with the way to trust it (smtp_errors.cert_hint); the library's own
    # reason (why) stays as it said it
    (_CERT + r"the certificate is for another name than (?P<host>.+): set server\.host to a name the certificate "
     r"carries, or pin it with server\.pin_sha256: (?P=seen)\)",
     "the certificate of {where} is not trusted: {why}; it has SHA-256 fingerprint {seen} (the certificate is for "
     "another name than {host}: set server.host to a name the certificate carries, or pin it with "
     "server.pin_sha256: {seen})"),
    (_CERT + r"the certificate in server\.ca_file did not issue this one: put the server's certificate \(or the CA "
     r"that issued it\) in that file, or pin it with server\.pin_sha256: (?P=seen)\)",
     "the certificate of {where} is not trusted: {why}; it has SHA-256 fingerprint {seen} (the certificate in "
     "server.ca_file did not issue this one: put the server's certificate (or the CA that issued it) in that "
     "file, or pin it with server.pin_sha256: {seen})"),
    (_CERT + r"if it is yours, trust it with server\.ca_file \(its PEM file in the repository\) or "
     r"server\.pin_sha256: (?P=seen)\)",
     "the certificate of {where} is not trusted: {why}; it has SHA-256 fingerprint {seen} (if it is yours, trust "
     "it with server.ca_file (its PEM file in the repository) or server.pin_sha256: {seen})"),
    (r"the certificate of (?P<where>\S+) is not trusted: (?P<why>.*)", "the certificate of {where} is not trusted: {why}"),
    (r"not sent: it was queued for (?P<addresses>.+) in production mode, and this installation now delivers "
     r"in (?P<mode>\S+) mode \(`mailgitops outbox retry (?P<id>\d+)` once in production again\)",
     "not sent: it was queued for {addresses} in production mode, and this installation now delivers in "
     "{mode} mode (`mailgitops outbox retry {id}` once in production again)"),
    (r"the stored message no longer matches its SHA-256 checksum; not sent\. Check the disk; the event can "
     r"be sent again under a new event_id", "the stored message no longer matches its SHA-256 checksum; not "
     "sent. Check the disk; the event can be sent again under a new event_id"),
    # why sending paused, as the sender stores it (smtp_errors.py, smtp.py, smtp_config.py,
    # smtp_session.py, smtp_trust.py): the banner on every page and each held message's reason
    (r"(?P<where>\S+) does not offer authentication: the server offers no AUTH \(after STARTTLS, if any\)",
     "{where} does not offer authentication: the server offers no AUTH (after STARTTLS, if any)"),
    (r"(?P<where>\S+) does not offer authentication: (?P<why>.*)", "{where} does not offer authentication: {why}"),
    (r"(?P<where>\S+) cannot authenticate us: (?P<why>.*)", "{where} cannot authenticate us: {why}"),
    (r"getting (?P<where>\S+) ready for mail failed \((?P<kind>\w+)\); check server and auth in config/smtp\.yaml "
     r"and the password's characters", "getting {where} ready for mail failed ({kind}); check server and auth in "
     "config/smtp.yaml and the password's characters"),
    (r"refusing to send the password to (?P<host>\S+) in cleartext; set server\.security to starttls or tls",
     "refusing to send the password to {host} in cleartext; set server.security to starttls or tls"),
    (r"(?P<where>\S+) does not offer STARTTLS; security: starttls never falls back to cleartext",
     "{where} does not offer STARTTLS; security: starttls never falls back to cleartext"),
    (r"auth\.password_env names (?P<name>\S+), but that environment variable is not set",
     "auth.password_env names {name}, but that environment variable is not set"),
    (r"cannot read auth\.password_file (?P<path>.+): (?P<why>[^:]*)", "cannot read auth.password_file {path}: {why}"),
    (r"auth mode is custom but neither password_env nor password_file is set",
     "auth mode is custom but neither password_env nor password_file is set"),
    (r"the server offers AUTH (?P<offered>.*); mailgitops speaks (?P<ours>.+)",
     "the server offers AUTH {offered}; mailgitops speaks {ours}"),
    (r"the server's certificate has SHA-256 fingerprint (?P<seen>.+), which does not match server\.pin_sha256 "
     r"(?P<pin>\S+)", "the server's certificate has SHA-256 fingerprint {seen}, which does not match "
     "server.pin_sha256 {pin}"),
    # why one message was not taken (smtp.py, smtp_wire.py): a recipient's result without a server's code
    (r"the message is (?P<size>[\d,]+) bytes, more than the (?P<limit>[\d,]+) bytes (?P<host>\S+) accepts \(SIZE "
     r"in its EHLO reply\); nothing was sent", "the message is {size} bytes, more than the {limit} bytes {host} "
     "accepts (SIZE in its EHLO reply); nothing was sent"),
    (r"the message is (?P<size>[\d,]+) bytes, more than the (?P<limit>[\d,]+) bytes allowed by "
     r"limits\.max_message_bytes in config/smtp\.yaml; nothing was sent", "the message is {size} bytes, more "
     "than the {limit} bytes allowed by limits.max_message_bytes in config/smtp.yaml; nothing was sent"),
    (r"answered '(?P<reply>.*)' to (?P<command>MAIL FROM|RCPT TO|DATA) instead of (?P<expected>\d+); nothing was "
     r"sent yet", "answered '{reply}' to {command} instead of {expected}; nothing was sent yet"),
    (r"unreadable reply after the final dot: (?P<reply>.*)", "unreadable reply after the final dot: {reply}"),
    (r"neither success nor refusal after the final dot: (?P<reply>.*)",
     "neither success nor refusal after the final dot: {reply}"),
    (r"connection lost after the final dot: (?P<why>.*)", "connection lost after the final dot: {why}"),
    (r"the domain of (?P<address>\S+) is not a valid internationalised domain name",
     "the domain of {address} is not a valid internationalised domain name"),
    (r"(?P<address>\S+) has non-ASCII characters before the @, and (?P<host>\S+) does not offer SMTPUTF8 "
     r"\(internationalised email\), so this address cannot be sent to through it", "{address} has non-ASCII "
     "characters before the @, and {host} does not offer SMTPUTF8 (internationalised email), so this address "
     "cannot be sent to through it"),
    # a message a process that ended was holding (recovery), and a record past its keeping (outbox forget)
    (re.escape(IN_FLIGHT), IN_FLIGHT),
    (re.escape(UNTRIED), UNTRIED),
    (re.escape(FORGOTTEN), FORGOTTEN),
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
    "{stage} was refused: {where} answered {reply}, before any message": "{stage} wurde abgelehnt; {where} antwortete „{reply}“, noch vor jeder Nachricht",
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
    "{first} (and {n} more)": "{first} (weitere Empfänger: {n})",
    "sending paused: {why}": "Versand angehalten: {why}",
    "the certificate of {where} is not trusted: {why}; it has SHA-256 fingerprint {seen} (the certificate is for another name than {host}: set server.host to a name the certificate carries, or pin it with server.pin_sha256: {seen})":
        "dem Zertifikat von {where} wird nicht vertraut: {why}; sein SHA-256-Fingerabdruck ist {seen} (es gilt für einen anderen Namen als {host}: Die Administration setzt server.host auf einen Namen aus dem Zertifikat oder legt es mit server.pin_sha256: {seen} fest)",
    "the certificate of {where} is not trusted: {why}; it has SHA-256 fingerprint {seen} (the certificate in server.ca_file did not issue this one: put the server's certificate (or the CA that issued it) in that file, or pin it with server.pin_sha256: {seen})":
        "dem Zertifikat von {where} wird nicht vertraut: {why}; sein SHA-256-Fingerabdruck ist {seen} (das Zertifikat in server.ca_file hat es nicht ausgestellt: Die Administration legt das Zertifikat des Servers (oder der ausstellenden CA) in diese Datei oder legt es mit server.pin_sha256: {seen} fest)",
    "the certificate of {where} is not trusted: {why}; it has SHA-256 fingerprint {seen} (if it is yours, trust it with server.ca_file (its PEM file in the repository) or server.pin_sha256: {seen})":
        "dem Zertifikat von {where} wird nicht vertraut: {why}; sein SHA-256-Fingerabdruck ist {seen} (ist es das eigene, vertraut ihm die Administration mit server.ca_file (seine PEM-Datei im Repository) oder server.pin_sha256: {seen})",
    "{where} does not offer authentication: the server offers no AUTH (after STARTTLS, if any)":
        "{where} bietet keine Anmeldung an: Der Server bietet kein AUTH an (auch nicht nach STARTTLS)",
    "{where} does not offer authentication: {why}": "{where} bietet keine Anmeldung an: {why}",
    "{where} cannot authenticate us: {why}": "{where} kann uns nicht anmelden: {why}",
    "getting {where} ready for mail failed ({kind}); check server and auth in config/smtp.yaml and the password's characters":
        "die Verbindung zu {where} ließ sich nicht für den Versand vorbereiten ({kind}); die Administration prüft server und auth in config/smtp.yaml und die Zeichen des Passworts",
    "refusing to send the password to {host} in cleartext; set server.security to starttls or tls":
        "das Passwort wird nicht unverschlüsselt an {host} gesendet; die Administration setzt server.security auf starttls oder tls",
    "{where} does not offer STARTTLS; security: starttls never falls back to cleartext":
        "{where} bietet kein STARTTLS an; mit security: starttls wird nie unverschlüsselt gesendet",
    "auth.password_env names {name}, but that environment variable is not set":
        "auth.password_env nennt {name}, aber diese Umgebungsvariable ist nicht gesetzt",
    "cannot read auth.password_file {path}: {why}": "auth.password_file {path} kann nicht gelesen werden: {why}",
    "auth mode is custom but neither password_env nor password_file is set":
        "auth mode ist custom, aber weder password_env noch password_file ist gesetzt",
    "the server offers AUTH {offered}; mailgitops speaks {ours}": "der Server bietet AUTH {offered} an; mailgitops beherrscht {ours}",
    "the server's certificate has SHA-256 fingerprint {seen}, which does not match server.pin_sha256 {pin}":
        "das Zertifikat des Servers hat den SHA-256-Fingerabdruck {seen}, der nicht zu server.pin_sha256 {pin} passt",
    "the message is {size} bytes, more than the {limit} bytes {host} accepts (SIZE in its EHLO reply); nothing was sent":
        "die Nachricht hat {size} Bytes, mehr als die {limit} Bytes, die {host} annimmt (SIZE in seiner EHLO-Antwort); nichts wurde gesendet",
    "the message is {size} bytes, more than the {limit} bytes allowed by limits.max_message_bytes in config/smtp.yaml; nothing was sent":
        "die Nachricht hat {size} Bytes, mehr als die {limit} Bytes, die limits.max_message_bytes in config/smtp.yaml erlaubt; nichts wurde gesendet",
    "answered '{reply}' to {command} instead of {expected}; nothing was sent yet":
        "der Server antwortete auf {command} „{reply}“ statt {expected}; es wurde noch nichts gesendet",
    "unreadable reply after the final dot: {reply}": "unlesbare Antwort nach dem abschließenden Punkt; der Server antwortete „{reply}“",
    "neither success nor refusal after the final dot: {reply}":
        "weder Annahme noch Ablehnung nach dem abschließenden Punkt; der Server antwortete „{reply}“",
    "connection lost after the final dot: {why}": "Verbindung nach dem abschließenden Punkt verloren: {why}",
    "the domain of {address} is not a valid internationalised domain name":
        "die Domain von {address} ist kein gültiger internationalisierter Domainname",
    "{address} has non-ASCII characters before the @, and {host} does not offer SMTPUTF8 (internationalised email), so this address cannot be sent to through it":
        "{address} hat Nicht-ASCII-Zeichen vor dem @, und {host} bietet kein SMTPUTF8 (internationalisierte E-Mail) an; über diesen Server kann an diese Adresse nicht gesendet werden",
    IN_FLIGHT: "der sendende Prozess endete mitten in der Zustellung; sie wird mit derselben Message-ID erneut gesendet",
    UNTRIED: "von einem Prozess übernommen, der vor dem Versuch endete; erneut eingereiht",
    FORGOTTEN: "(nach der Aufbewahrungsfrist entfernt)",
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
    "{stage} was refused: {where} answered {reply}, before any message": "{stage} 被拒绝：{where} 答复“{reply}”，尚未发送任何邮件",
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
    "the certificate of {where} is not trusted: {why}; it has SHA-256 fingerprint {seen} (the certificate is for another name than {host}: set server.host to a name the certificate carries, or pin it with server.pin_sha256: {seen})":
        "{where} 的证书不受信任：{why}；其 SHA-256 指纹为 {seen}（该证书属于 {host} 以外的名称：请管理员将 server.host 设为证书中的名称，或用 server.pin_sha256: {seen} 固定它）",
    "the certificate of {where} is not trusted: {why}; it has SHA-256 fingerprint {seen} (the certificate in server.ca_file did not issue this one: put the server's certificate (or the CA that issued it) in that file, or pin it with server.pin_sha256: {seen})":
        "{where} 的证书不受信任：{why}；其 SHA-256 指纹为 {seen}（server.ca_file 中的证书并未签发它：请管理员把服务器的证书（或签发它的 CA）放入该文件，或用 server.pin_sha256: {seen} 固定它）",
    "the certificate of {where} is not trusted: {why}; it has SHA-256 fingerprint {seen} (if it is yours, trust it with server.ca_file (its PEM file in the repository) or server.pin_sha256: {seen})":
        "{where} 的证书不受信任：{why}；其 SHA-256 指纹为 {seen}（如果这是您自己的服务器，请管理员用 server.ca_file（仓库中的 PEM 文件）或 server.pin_sha256: {seen} 信任它）",
    "{where} does not offer authentication: the server offers no AUTH (after STARTTLS, if any)":
        "{where} 不提供身份验证：服务器不提供 AUTH（使用 STARTTLS 后也不提供）",
    "{where} does not offer authentication: {why}": "{where} 不提供身份验证：{why}",
    "{where} cannot authenticate us: {why}": "{where} 无法验证我们的身份：{why}",
    "getting {where} ready for mail failed ({kind}); check server and auth in config/smtp.yaml and the password's characters":
        "无法让与 {where} 的连接准备好发送邮件（{kind}）；请管理员检查 config/smtp.yaml 中的 server 和 auth 以及密码中的字符",
    "refusing to send the password to {host} in cleartext; set server.security to starttls or tls":
        "拒绝以明文向 {host} 发送密码；请管理员将 server.security 设为 starttls 或 tls",
    "{where} does not offer STARTTLS; security: starttls never falls back to cleartext":
        "{where} 不提供 STARTTLS；设置 security: starttls 时绝不会退回明文传输",
    "auth.password_env names {name}, but that environment variable is not set": "auth.password_env 指定了 {name}，但该环境变量未设置",
    "cannot read auth.password_file {path}: {why}": "无法读取 auth.password_file {path}：{why}",
    "auth mode is custom but neither password_env nor password_file is set":
        "auth mode 为 custom，但 password_env 和 password_file 都未设置",
    "the server offers AUTH {offered}; mailgitops speaks {ours}": "服务器提供的 AUTH 方式为 {offered}；mailgitops 支持 {ours}",
    "the server's certificate has SHA-256 fingerprint {seen}, which does not match server.pin_sha256 {pin}":
        "服务器证书的 SHA-256 指纹为 {seen}，与 server.pin_sha256 {pin} 不符",
    "the message is {size} bytes, more than the {limit} bytes {host} accepts (SIZE in its EHLO reply); nothing was sent":
        "邮件有 {size} 字节，超过 {host} 接受的 {limit} 字节（见其 EHLO 答复中的 SIZE）；没有发送任何内容",
    "the message is {size} bytes, more than the {limit} bytes allowed by limits.max_message_bytes in config/smtp.yaml; nothing was sent":
        "邮件有 {size} 字节，超过 config/smtp.yaml 中 limits.max_message_bytes 允许的 {limit} 字节；没有发送任何内容",
    "answered '{reply}' to {command} instead of {expected}; nothing was sent yet":
        "服务器对 {command} 答复“{reply}”，而不是 {expected}；尚未发送任何内容",
    "unreadable reply after the final dot: {reply}": "邮件结束标记之后的答复无法读取；服务器答复“{reply}”",
    "neither success nor refusal after the final dot: {reply}": "邮件结束标记之后的答复既不是接收也不是拒绝；服务器答复“{reply}”",
    "connection lost after the final dot: {why}": "邮件结束标记之后连接中断：{why}",
    "the domain of {address} is not a valid internationalised domain name": "{address} 的域名不是有效的国际化域名",
    "{address} has non-ASCII characters before the @, and {host} does not offer SMTPUTF8 (internationalised email), so this address cannot be sent to through it":
        "{address} 的 @ 之前含有非 ASCII 字符，而 {host} 不提供 SMTPUTF8（国际化邮件），因此无法通过它发送到此地址",
    IN_FLIGHT: "发送它的进程在投递途中结束；将以相同的 Message-ID 重新发送",
    UNTRIED: "被一个在尝试之前就已结束的进程领取；已重新排队",
    FORGOTTEN: "（保存期满后已删除）",
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
