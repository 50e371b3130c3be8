# Chinese punctuation (full-width comma, colon, semicolon) is right in Chinese text, and one entry per line reads better unwrapped:
# ruff: noqa: RUF001, E501
"""The console's words in English, German and Chinese; each operator picks one (English is the key)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mailgitops.console import replies

NAMES: tuple[tuple[str, str], ...] = (("en", "English"), ("de", "Deutsch"), ("zh", "中文"))

TRIGGERS: Mapping[str, str] = {  # the trigger catalog's keys as the inbox names them
    "order_received": "Order received",
    "order_received_operator": "Order received (operators)",
    "quotation": "Quotation",
    "price_approval": "Price approval",
    "price_approved": "Price approved",
    "price_rejected": "Price rejected",
    "proof_ready": "Proof ready",
    "quotation_accepted": "Quotation accepted",
    "order_accepted": "Order accepted",
    "order_rejected": "Order rejected",
    "order_ready": "Order ready",
    "order_dispatched": "Order dispatched",
    "order_finalized": "Order finalized",
    "export_completed": "Export completed",
    "budget_threshold": "Budget threshold",
}

_DE = {
    "Action": "Aktion", "Addresses separated by commas.": "Adressen durch Kommas getrennt.",
    "All drafts": "Alle Entwürfe", "Allowed:": "Erlaubt:", "Any": "Alle", "Attach a file": "Datei anhängen",
    "Attached by operators": "Von Bedienern angehängt", "Attachments": "Anhänge", "Attempts": "Versuche",
    "Back": "Zurück", "CC": "CC", "Change": "Ändern", "Changes": "Änderungen", "Customer": "Kunde",
    "Deliveries": "Zustellungen", "Difference from the original": "Unterschied zum Original",
    "Discard": "Verwerfen", "Drafts waiting for you": "Entwürfe, die auf Sie warten", "Drafts": "Entwürfe",
    "Edit": "Bearbeiten", "Filter": "Filtern", "From": "Von", "Language": "Sprache",
    "Markdown: **bold**, *italic*, [link text](https://…), a blank line between paragraphs.":
        "Markdown: **fett**, *kursiv*, [Linktext](https://…), eine Leerzeile zwischen Absätzen.",
    "Message": "Nachricht", "Next attempt": "Nächster Versuch", "No draft is waiting.": "Kein Entwurf wartet.",
    "No message matches.": "Keine Nachricht passt.",
    "Pages": "Seiten", "Newer": "Neuere", "Older": "Ältere",
    "nobody": "niemand", "Hidden copy (BCC)": "Blindkopie (BCC)",
    "refused by the server for some recipients: {reply}": "vom Server für einige Empfänger abgelehnt: {reply}",
    "bounced later for {address}: {reply}": "später zurückgekommen für {address}; der Bericht des Servers: „{reply}“",
    "waiting to be sent": "wartet auf den Versand", "the operator discarded the draft": "der Bediener hat den Entwurf verworfen",
    "What you had typed is kept on this page and goes back into the editor once you have signed in.": "Was Sie eingegeben hatten, bleibt auf dieser Seite und kommt nach der Anmeldung zurück in den Editor.",
    "What you had typed before the session ended is back in the editor, not saved yet: save it, or tick the box and send.": "Was Sie vor dem Ende der Sitzung eingegeben hatten, ist wieder im Editor, noch nicht gespeichert: Speichern Sie es, oder setzen Sie den Haken und senden Sie.",
    "That form came from a page opened before you signed out and in again, so it was not used. Do it again here.": "Dieses Formular kam von einer Seite, die vor Ihrem Ab- und erneuten Anmelden geöffnet wurde, und wurde deshalb nicht verwendet. Führen Sie es hier noch einmal aus.",
    "{path} is not attached to this draft": "{path} ist diesem Entwurf nicht angehängt",
    "Files cannot be attached: the service has no attachments root.": "Dateien können nicht angehängt werden: Der Dienst hat keinen Anhangsordner.",
    "start serve with --attachments-root DIR (MAILGITOPS_ATTACHMENTS_ROOT)": "serve mit --attachments-root ORDNER (MAILGITOPS_ATTACHMENTS_ROOT) starten",
    "{name} cannot be stored under the attachments root: {why}": "{name} kann im Anhangsordner nicht gespeichert werden: {why}",
    "let the service's user write to the attachments root": "dem Benutzer des Dienstes Schreibrechte im Anhangsordner geben",
    "The CC was changed after the confirmation named its addresses, so nothing was sent. Check the addresses the confirmation names now, tick the box again and send.":
        "Die CC wurde geändert, nachdem die Bestätigung ihre Adressen genannt hatte; es wurde nichts gesendet. Prüfen Sie die Adressen, die die Bestätigung jetzt nennt, setzen Sie den Haken erneut und senden Sie.",
    "Searched back to message #{id} of {when}; Older searches on from there.": "Bis Nachricht #{id} vom {when} durchsucht; „Ältere“ sucht von dort weiter.",
    "No waiting draft matches.": "Kein wartender Entwurf passt.",
    "Order, customer or address": "Auftrag, Kunde oder Adresse",
    "Order, address or subject": "Auftrag, Adresse oder Betreff",
    "Nobody has changed this draft yet.": "Niemand hat diesen Entwurf bisher geändert.",
    "Order number": "Auftragsnummer",
    "Order": "Auftrag", "Password": "Passwort", "Preview": "Vorschau", "Reason": "Grund",
    "Remove": "Entfernen", "Retry": "Erneut senden", "Save changes": "Änderungen speichern",
    "Search": "Suchen", "Send or discard": "Senden oder verwerfen", "Send": "Senden",
    "Sending is paused": "Der Versand ist angehalten", "Show all": "Alle zeigen",
    "until the mail server's password is corrected": "bis das Passwort für den Mailserver korrigiert ist",
    "Sign in to the mail console": "Anmeldung an der Mail-Konsole", "Sign in": "Anmelden",
    "Sign out": "Abmelden", "Signed in as": "Angemeldet als", "Skip to content": "Zum Inhalt springen",
    "Status": "Status", "Subject": "Betreff", "Text part": "Textteil",
    "The email as it will be sent": "Die E-Mail, wie sie gesendet wird", "The email": "Die E-Mail",
    "To": "An", "Trigger": "Auslöser", "Upload": "Hochladen", "User name": "Benutzername",
    "Waiting": "Wartet seit", "Yes, discard this draft; it is never sent":
        "Ja, diesen Entwurf verwerfen; er wird nie gesendet",
    "Yes, send this email to": "Ja, diese E-Mail jetzt senden an", "at most": "höchstens", "until": "bis",
    "Console": "Konsole", "Email preview": "E-Mail-Vorschau",
    "queued": "wartet", "sending": "wird gesendet", "sent": "gesendet", "failed": "fehlgeschlagen",
    "expired": "abgelaufen", "draft": "Entwurf", "ambiguous": "unklar", "discarded": "verworfen",
    "skipped": "übersprungen", "corrupt": "beschädigt",
    "edited": "bearbeitet", "sent the email": "hat die E-Mail gesendet",
    "discarded the draft": "hat den Entwurf verworfen", "attached a file": "hat eine Datei angehängt",
    "removed a file": "hat eine Datei entfernt",
    "attached: {names}": "angehängt: {names}", "removed: {names}": "entfernt: {names}",
    "subject": "Betreff", "body": "Nachricht",
    "attachments": "Anhänge", "cc": "CC",
    "Wrong user name or password.": "Falscher Benutzername oder falsches Passwort.",
    "Too many failed sign-ins. Try again in {minutes} minutes.":
        "Zu viele fehlgeschlagene Anmeldungen. Versuchen Sie es in {minutes} Minuten erneut.",
    "The form has expired or came from another site. Reload the page and try again.":
        "Das Formular ist abgelaufen oder kam von einer anderen Seite. Laden Sie die Seite neu und "
        "versuchen Sie es noch einmal.",
    "Refused": "Abgelehnt", "Not found": "Nicht gefunden", "There is no such draft.": "Diesen Entwurf gibt es nicht.",
    "Saved. The CC keeps the addresses only: the name written with an address is left out of the email.":
        "Gespeichert. Die CC-Zeile behält nur die Adressen: Der Name vor einer Adresse fehlt in der E-Mail.",
    "Saved.": "Gespeichert.", "Queued to go out once; its delivery shows when it has been sent.":
        "Zum einmaligen Versand eingereiht; die Zustellung zeigt, wann sie gesendet wurde.",
    "This draft was already handed over for sending; nothing was queued twice.":
        "Dieser Entwurf war schon zum Versand übergeben; nichts wurde doppelt eingereiht.",
    "Discarded; this draft is never sent.": "Verworfen; dieser Entwurf wird nie gesendet.",
    "Queued for another attempt.": "Für einen weiteren Versuch eingereiht.",
    "This message cannot be retried now.": "Diese Nachricht kann jetzt nicht erneut gesendet werden.",
    "Tick the box to confirm.": "Setzen Sie das Häkchen zur Bestätigung.",
    "File attached.": "Datei angehängt.", "File removed.": "Datei entfernt.",
    "File attached under a numbered name, like “proof (2).pdf”: the draft already had a file of that "
    "name, and the customer must tell the two apart.":
        "Datei unter einem nummerierten Namen angehängt, etwa „Angebot (2).pdf“: Der Entwurf hatte "
        "schon eine Datei dieses Namens, und der Kunde muss beide auseinanderhalten können.",
    "File attached under a safe name: characters a file name cannot hold (such as : * ? \" < > |) "
    "were replaced or left out. The list shows the name the customer sees.":
        "Datei unter einem sicheren Namen angehängt: Zeichen, die ein Dateiname nicht enthalten kann "
        "(etwa : * ? \" < > |), wurden ersetzt oder weggelassen. Die Liste zeigt den Namen, den "
        "der Kunde sieht.",
    "Signed out.": "Abgemeldet.", "Not possible": "Nicht möglich",
    "Sending is temporarily unavailable. Try again in a minute.":
        "Der Versand ist vorübergehend nicht verfügbar. Versuchen Sie es in einer Minute erneut.",
    "{n} min": "{n} Min.", "{n} h": "{n} Std.", "{n} d": "{n} T.", "just now": "gerade eben",
    "changed by an operator": "von einem Bediener geändert", "Damaged draft": "Beschädigter Entwurf",
    "Someone changed this draft after you opened it, so nothing was changed. The page shows their version now; what you had typed is kept below the editor: copy what you need, then save or send again.":
        "Jemand hat diesen Entwurf geändert, nachdem Sie ihn geöffnet haben; daher wurde nichts geändert. Die Seite "
        "zeigt jetzt dessen Fassung, Ihre Eingabe steht unter dem Editor: Übernehmen Sie, was Sie brauchen, und "
        "speichern oder senden Sie erneut.",
    "What you had typed (not saved)": "Ihre Eingabe (nicht gespeichert)",
    "{n} byte": "{n} Byte", "{n} bytes": "{n} Byte",
    "This draft was discarded by {who} at {when}, before your Send; nothing was sent. What you had typed is kept below.":
        "Dieser Entwurf wurde von {who} am {when} verworfen, vor Ihrem Senden; nichts wurde gesendet. Ihre Eingabe "
        "steht unten.",
    "This draft was discarded before your Send; nothing was sent. What you had typed is kept below.":
        "Dieser Entwurf wurde vor Ihrem Senden verworfen; nichts wurde gesendet. Ihre Eingabe steht unten.",
    "This draft was discarded by {who} at {when}, before your Save; nothing was saved. What you had typed is kept below.":
        "Dieser Entwurf wurde von {who} am {when} verworfen, vor Ihrem Speichern; nichts wurde gespeichert. Ihre "
        "Eingabe steht unten.",
    "This draft was discarded by {who} at {when}, before your Upload; no file was attached. What you had typed is kept below.":
        "Dieser Entwurf wurde von {who} am {when} verworfen, vor Ihrem Hochladen; keine Datei wurde angehängt. "
        "Ihre Eingabe steht unten.",
    "This draft was discarded by {who} at {when}, before your Remove; no file was removed. What you had typed is kept below.":
        "Dieser Entwurf wurde von {who} am {when} verworfen, vor Ihrem Entfernen; keine Datei wurde entfernt. "
        "Ihre Eingabe steht unten.",
    "This draft was discarded before your Save; nothing was saved. What you had typed is kept below.":
        "Dieser Entwurf wurde vor Ihrem Speichern verworfen; nichts wurde gespeichert. Ihre Eingabe steht unten.",
    "This draft was discarded before your Upload; no file was attached. What you had typed is kept below.":
        "Dieser Entwurf wurde vor Ihrem Hochladen verworfen; keine Datei wurde angehängt. Ihre Eingabe steht "
        "unten.",
    "This draft was discarded before your Remove; no file was removed. What you had typed is kept below.":
        "Dieser Entwurf wurde vor Ihrem Entfernen verworfen; keine Datei wurde entfernt. Ihre Eingabe steht "
        "unten.",
    "This draft was already handed over for sending by {who} at {when}; nothing was queued twice.":
        "Dieser Entwurf wurde bereits von {who} am {when} zum Versand übergeben; nichts wurde doppelt eingereiht.",
    "This draft was handed over for sending by {who} at {when}, before your Send; nothing was queued twice. What you had typed differs from what was sent and is kept below.":
        "Dieser Entwurf wurde von {who} am {when} zum Versand übergeben, vor Ihrem Senden; nichts wurde doppelt "
        "eingereiht. Ihre Eingabe weicht vom Gesendeten ab und steht unten.",
    "This draft was handed over for sending before your Send; nothing was queued twice. What you had typed differs from what was sent and is kept below.":
        "Dieser Entwurf wurde vor Ihrem Senden zum Versand übergeben; nichts wurde doppelt eingereiht. Ihre "
        "Eingabe weicht vom Gesendeten ab und steht unten.",
    "This draft was handed over for sending by {who} at {when}, before your Save; nothing was saved. What you had typed is kept below.":
        "Dieser Entwurf wurde von {who} am {when} zum Versand übergeben, vor Ihrem Speichern; nichts wurde "
        "gespeichert. Ihre Eingabe steht unten.",
    "This draft was handed over for sending by {who} at {when}, before your Upload; no file was attached. What you had typed is kept below.":
        "Dieser Entwurf wurde von {who} am {when} zum Versand übergeben, vor Ihrem Hochladen; keine Datei wurde "
        "angehängt. Ihre Eingabe steht unten.",
    "This draft was handed over for sending by {who} at {when}, before your Remove; no file was removed. What you had typed is kept below.":
        "Dieser Entwurf wurde von {who} am {when} zum Versand übergeben, vor Ihrem Entfernen; keine Datei wurde "
        "entfernt. Ihre Eingabe steht unten.",
    "This draft was handed over for sending before your Save; nothing was saved. What you had typed is kept below.":
        "Dieser Entwurf wurde vor Ihrem Speichern zum Versand übergeben; nichts wurde gespeichert. Ihre Eingabe "
        "steht unten.",
    "This draft was handed over for sending before your Upload; no file was attached. What you had typed is kept below.":
        "Dieser Entwurf wurde vor Ihrem Hochladen zum Versand übergeben; keine Datei wurde angehängt. Ihre "
        "Eingabe steht unten.",
    "This draft was handed over for sending before your Remove; no file was removed. What you had typed is kept below.":
        "Dieser Entwurf wurde vor Ihrem Entfernen zum Versand übergeben; keine Datei wurde entfernt. Ihre Eingabe "
        "steht unten.",
    "Sends the email as the editor shows it, unsaved changes included.":
        "Sendet die E-Mail so, wie der Editor sie zeigt, auch mit nicht gespeicherten Änderungen.",
    "Your session had ended (8 hours without use, or signed out elsewhere), so that form was not used. Sign in again; the draft's editor then puts back what this tab had typed and not saved.":
        "Ihre Sitzung war beendet (8 Stunden ohne Nutzung oder anderswo abgemeldet); das Formular wurde daher nicht "
        "verwendet. Melden Sie sich erneut an; der Editor des Entwurfs setzt dann wieder ein, was Sie in diesem Tab "
        "eingegeben und nicht gespeichert hatten.",
    "waiting for an operator": "wartet auf einen Bediener", "There is no such message.": "Diese Nachricht gibt es nicht.",
    "There is no such page.": "Diese Seite gibt es nicht.",
    "All deliveries": "Alle Zustellungen", "Sent": "Gesendet", "Event": "Ereignis",
    "The draft and its changes": "Der Entwurf und seine Änderungen", "Recipients": "Empfänger",
    "Address": "Adresse", "As": "Als", "Result": "Ergebnis", "The server's reply": "Antwort des Servers",
    "What to do": "Was tun", "No recipient result is recorded.": "Für keinen Empfänger ist ein Ergebnis gespeichert.",
    "Sends it again to the same addresses.": "Sendet sie noch einmal an dieselben Adressen.",
    "(no subject)": "(kein Betreff)", "Draft": "Entwurf",
    "Its delivery, recipient by recipient": "Die Zustellung, Empfänger für Empfänger",
    "Try now": "Jetzt versuchen", "Waiting since": "Wartet seit",
    "What you had typed in this tab and not saved is back in the editor.":
        "Was Sie in diesem Tab eingegeben und nicht gespeichert hatten, steht wieder im Editor.",
    "Show the saved text instead": "Stattdessen den gespeicherten Text zeigen",
    "Mail is not going out": "Es gehen keine E-Mails hinaus", "See why": "Warum?",
    "Choose a file to attach first.": "Wählen Sie zuerst eine Datei zum Anhängen.",
    "files of type {suffix} are not attached; allowed: {allowed}":
        "Dateien vom Typ {suffix} werden nicht angehängt; erlaubt: {allowed}",
    "{name} is not a {kind} file (its content says otherwise)": "{name} ist keine {kind}-Datei (ihr Inhalt sagt etwas anderes)",
    "{name} contains HTML or script; such files are not attached":
        "{name} enthält HTML oder Skript; solche Dateien werden nicht angehängt",
    "{name} has {size} bytes, more than the {limit} allowed": "{name} hat {size} Bytes, mehr als die erlaubten {limit}",
    "link to large files instead of attaching them": "verlinken Sie große Dateien, statt sie anzuhängen",
    "{name} is empty": "{name} ist leer",
    "Your session had ended (8 hours without use, or signed out elsewhere). Sign in again.":
        "Ihre Sitzung war beendet (8 Stunden ohne Nutzung oder anderswo abgemeldet). Melden Sie sich erneut an.",
    "Waiting to be sent: {n}, the oldest since {since}. The mail server is not taking them now; they are tried again by themselves.":
        "Warten auf den Versand: {n}, die älteste seit {since}. Der Mailserver nimmt sie gerade nicht an; "
        "sie werden von selbst erneut versucht.",
    "The mail server is back? Try now instead of at the next attempt.":
        "Der Mailserver ist wieder da? Jetzt versuchen statt erst beim nächsten Versuch.",
    "accepted": "angenommen", "refused": "abgelehnt", "deferred": "zurückgestellt", "bounced": "zurückgekommen",
    "The receiving server refused this address, and Retry would send to the same address again. Check the address with the customer (by phone, say), correct it in the order system, and tell them yourself what this email said.":
        "Der empfangende Server hat diese Adresse abgelehnt, und „Erneut senden“ schickte wieder an dieselbe "
        "Adresse. Prüfen Sie die Adresse mit dem Kunden (etwa telefonisch), korrigieren Sie sie im Bestellsystem "
        "und teilen Sie ihm selbst mit, was diese E-Mail sagte.",
    "Accepted first, then returned as undeliverable. Check the address with the customer.":
        "Erst angenommen, dann als unzustellbar zurückgekommen. Prüfen Sie die Adresse mit dem Kunden.",
    "Not delivered yet; it is tried again by itself at the next attempt.":
        "Noch nicht zugestellt; es wird von selbst erneut versucht.",
    "Order received": "Auftrag eingegangen",
    "Order received (operators)": "Auftrag eingegangen (Bediener)",
    "Quotation": "Angebot",
    "Price approval": "Preisfreigabe",
    "Price approved": "Preis freigegeben",
    "Price rejected": "Preis abgelehnt",
    "Proof ready": "Korrekturabzug bereit",
    "Quotation accepted": "Angebot angenommen",
    "Order accepted": "Auftrag angenommen",
    "Order rejected": "Auftrag abgelehnt",
    "Order ready": "Auftrag fertig",
    "Order dispatched": "Auftrag versandt",
    "Order finalized": "Auftrag abgeschlossen",
    "Export completed": "Export abgeschlossen",
    "Budget threshold": "Budgetschwelle",
    "Unexpected error: this is a bug in mailgitops (see the server's log).":
        "Unerwarteter Fehler: Das ist ein Fehler in mailgitops (Einzelheiten im Protokoll des Servers).",
    "A token or password is never accepted in a URL; sign in with the form.":
        "Ein Token oder Passwort wird nie in einer Adresse (URL) angenommen; melden Sie sich mit dem Formular an.",
    "The form is too large (at most 21 MB) or has no length.":
        "Das Formular ist zu groß (höchstens 21 MB) oder hat keine Längenangabe.",
    "{n} draft waiting for review": "{n} Entwurf wartet auf Prüfung",
    "{n} drafts waiting for review": "{n} Entwürfe warten auf Prüfung",
    "damaged draft (outbox message {id}): {problem}": "beschädigter Entwurf (Nachricht {id} im Postausgang): {problem}",
    "Open the console: {url}": "Konsole öffnen: {url}",
    "Open the mailgitops console to review them.": "Öffnen Sie die mailgitops-Konsole, um sie zu prüfen.",
    "Open the console": "Konsole öffnen",
}

_ZH = {
    "Action": "操作", "Addresses separated by commas.": "多个地址用逗号分隔。", "All drafts": "全部草稿",
    "Allowed:": "允许：", "Any": "全部", "Attach a file": "附加文件", "Attached by operators": "操作员附加的文件",
    "Attachments": "附件", "Attempts": "尝试次数", "Back": "返回", "CC": "抄送", "Change": "切换",
    "Changes": "修改记录", "Customer": "客户", "Deliveries": "投递", "Difference from the original": "与原文的差异",
    "Discard": "放弃", "Drafts waiting for you": "等待处理的草稿", "Drafts": "草稿", "Edit": "编辑",
    "Filter": "筛选", "From": "发件人", "Language": "语言",
    "Markdown: **bold**, *italic*, [link text](https://…), a blank line between paragraphs.":
        "Markdown：**粗体**、*斜体*、[链接文字](https://…)，段落之间空一行。",
    "Message": "正文", "Next attempt": "下次尝试", "No draft is waiting.": "没有等待处理的草稿。",
    "Pages": "分页", "Newer": "较新", "Older": "较早",
    "nobody": "无", "Hidden copy (BCC)": "密送（BCC）",
    "refused by the server for some recipients: {reply}": "服务器拒绝了部分收件人：{reply}",
    "bounced later for {address}: {reply}": "{address} 随后被退回；服务器的报告：“{reply}”",
    "waiting to be sent": "等待发送", "the operator discarded the draft": "操作员已丢弃此草稿",
    "What you had typed is kept on this page and goes back into the editor once you have signed in.": "您输入的内容保留在此页面上，登录后会放回编辑器。",
    "What you had typed before the session ended is back in the editor, not saved yet: save it, or tick the box and send.": "会话结束前您输入的内容已放回编辑器，尚未保存：请保存，或勾选确认框后发送。",
    "That form came from a page opened before you signed out and in again, so it was not used. Do it again here.": "该表单来自您退出并重新登录之前打开的页面，因此未被使用。请在此处重新操作。",
    "{path} is not attached to this draft": "{path} 并未附加在此草稿上",
    "Files cannot be attached: the service has no attachments root.": "无法附加文件：服务没有设置附件根目录。",
    "start serve with --attachments-root DIR (MAILGITOPS_ATTACHMENTS_ROOT)": "启动 serve 时加上 --attachments-root 目录（MAILGITOPS_ATTACHMENTS_ROOT）",
    "{name} cannot be stored under the attachments root: {why}": "{name} 无法保存到附件根目录：{why}",
    "let the service's user write to the attachments root": "请让服务所用的用户可以写入附件根目录",
    "The CC was changed after the confirmation named its addresses, so nothing was sent. Check the addresses the confirmation names now, tick the box again and send.":
        "确认框列出地址之后抄送（CC）又被修改，因此没有发送。请核对确认框现在列出的地址，重新勾选后再发送。",
    "Searched back to message #{id} of {when}; Older searches on from there.": "已搜索到 {when} 的第 {id} 号邮件；点击“较早”从那里继续搜索。",
    "No message matches.": "没有匹配的邮件。", "No waiting draft matches.": "没有匹配的等待处理的草稿。",
    "Order, customer or address": "订单号、客户或邮箱地址", "Order, address or subject": "订单号、邮箱地址或主题",
    "Nobody has changed this draft yet.": "尚无人修改此草稿。",
    "Order number": "订单号", "Order": "订单", "Password": "密码", "Preview": "预览", "Reason": "原因",
    "Remove": "移除", "Retry": "重试", "Save changes": "保存修改", "Search": "搜索",
    "Send or discard": "发送或放弃", "Send": "发送", "Sending is paused": "发送已暂停", "Show all": "显示全部",
    "until the mail server's password is corrected": "直到邮件服务器的密码被更正",
    "Sign in to the mail console": "登录邮件控制台", "Sign in": "登录", "Sign out": "退出登录",
    "Signed in as": "当前用户", "Skip to content": "跳到内容", "Status": "状态", "Subject": "主题",
    "Text part": "纯文本部分", "The email as it will be sent": "即将发送的邮件", "The email": "邮件", "To": "收件人",
    "Trigger": "触发事件", "Upload": "上传", "User name": "用户名", "Waiting": "已等待",
    "Yes, discard this draft; it is never sent": "是的，放弃此草稿；它将不会被发送",
    "Yes, send this email to": "是的，现在发送此邮件给", "at most": "最大", "until": "直到",
    "Console": "控制台", "Email preview": "邮件预览",
    "queued": "排队中", "sending": "发送中", "sent": "已发送", "failed": "失败", "expired": "已过期",
    "draft": "草稿", "ambiguous": "不确定", "discarded": "已放弃", "skipped": "已跳过", "corrupt": "已损坏",
    "edited": "编辑了", "sent the email": "发送了邮件", "discarded the draft": "放弃了草稿",
    "attached a file": "附加了文件", "removed a file": "移除了文件",
    "attached: {names}": "附加：{names}", "removed: {names}": "移除：{names}", "subject": "主题", "body": "正文",
    "attachments": "附件", "cc": "抄送",
    "Wrong user name or password.": "用户名或密码错误。",
    "Too many failed sign-ins. Try again in {minutes} minutes.": "登录失败次数过多，请在 {minutes} 分钟后重试。",
    "The form has expired or came from another site. Reload the page and try again.":
        "表单已过期或来自其他网站。请刷新页面后重试。",
    "Refused": "已拒绝", "Not found": "未找到", "There is no such draft.": "没有这个草稿。",
    "Saved. The CC keeps the addresses only: the name written with an address is left out of the email.":
        "已保存。抄送只保留地址：写在地址前的名字不会出现在邮件中。",
    "Saved.": "已保存。",
    "Queued to go out once; its delivery shows when it has been sent.": "已排队，只会发送一次；投递状态显示何时已发出。",
    "This draft was already handed over for sending; nothing was queued twice.": "此草稿已交付发送；没有重复排队。",
    "Discarded; this draft is never sent.": "已放弃；此草稿不会被发送。",
    "Queued for another attempt.": "已重新排队等待发送。",
    "This message cannot be retried now.": "此邮件现在无法重试。",
    "Tick the box to confirm.": "请勾选复选框以确认。", "File attached.": "文件已附加。",
    "File removed.": "文件已移除。",
    "File attached under a numbered name, like “proof (2).pdf”: the draft already had a file of that "
    "name, and the customer must tell the two apart.":
        "文件已以编号名称附加（例如“报价单 (2).pdf”）：草稿中已有同名文件，客户需要能区分两者。",
    "File attached under a safe name: characters a file name cannot hold (such as : * ? \" < > |) "
    "were replaced or left out. The list shows the name the customer sees.":
        "文件已以安全名称附加：文件名不能包含的字符（如 : * ? \" < > |）已被替换或省略。"
        "列表中显示的是客户看到的名称。", "Signed out.": "已退出登录。", "Not possible": "无法执行",
    "Sending is temporarily unavailable. Try again in a minute.": "发送暂时不可用，请一分钟后重试。",
    "{n} min": "{n} 分钟", "{n} h": "{n} 小时", "{n} d": "{n} 天", "just now": "刚刚",
    "changed by an operator": "已被操作员修改", "Damaged draft": "草稿已损坏",
    "Someone changed this draft after you opened it, so nothing was changed. The page shows their version now; what you had typed is kept below the editor: copy what you need, then save or send again.":
        "在您打开此草稿后有人修改了它，因此没有做任何更改。页面现在显示对方的版本；您输入的内容保留在编辑器下方：复制需要的部分，然后再次保存或发送。",
    "What you had typed (not saved)": "您输入的内容（未保存）",
    "{n} byte": "{n} 字节", "{n} bytes": "{n} 字节",
    "This draft was discarded by {who} at {when}, before your Send; nothing was sent. What you had typed is kept below.":
        "此草稿已由 {who} 于 {when} 丢弃，早于您的发送；没有发送任何邮件。您输入的内容保留在下方。",
    "This draft was discarded before your Send; nothing was sent. What you had typed is kept below.":
        "此草稿在您发送之前已被丢弃；没有发送任何邮件。您输入的内容保留在下方。",
    "This draft was discarded by {who} at {when}, before your Save; nothing was saved. What you had typed is kept below.":
        "此草稿已由 {who} 于 {when} 丢弃，早于您的保存；没有保存任何内容。您输入的内容保留在下方。",
    "This draft was discarded by {who} at {when}, before your Upload; no file was attached. What you had typed is kept below.":
        "此草稿已由 {who} 于 {when} 丢弃，早于您的上传；没有附加任何文件。您输入的内容保留在下方。",
    "This draft was discarded by {who} at {when}, before your Remove; no file was removed. What you had typed is kept below.":
        "此草稿已由 {who} 于 {when} 丢弃，早于您的移除；没有移除任何文件。您输入的内容保留在下方。",
    "This draft was discarded before your Save; nothing was saved. What you had typed is kept below.":
        "此草稿在您保存之前已被丢弃；没有保存任何内容。您输入的内容保留在下方。",
    "This draft was discarded before your Upload; no file was attached. What you had typed is kept below.":
        "此草稿在您上传之前已被丢弃；没有附加任何文件。您输入的内容保留在下方。",
    "This draft was discarded before your Remove; no file was removed. What you had typed is kept below.":
        "此草稿在您移除之前已被丢弃；没有移除任何文件。您输入的内容保留在下方。",
    "This draft was already handed over for sending by {who} at {when}; nothing was queued twice.":
        "此草稿已由 {who} 于 {when} 交付发送；没有重复排队。",
    "This draft was handed over for sending by {who} at {when}, before your Send; nothing was queued twice. What you had typed differs from what was sent and is kept below.":
        "此草稿已由 {who} 于 {when} 交付发送，早于您的发送；没有重复排队。您输入的内容与已发送的不同，保留在下方。",
    "This draft was handed over for sending before your Send; nothing was queued twice. What you had typed differs from what was sent and is kept below.":
        "此草稿在您发送之前已交付发送；没有重复排队。您输入的内容与已发送的不同，保留在下方。",
    "This draft was handed over for sending by {who} at {when}, before your Save; nothing was saved. What you had typed is kept below.":
        "此草稿已由 {who} 于 {when} 交付发送，早于您的保存；没有保存任何内容。您输入的内容保留在下方。",
    "This draft was handed over for sending by {who} at {when}, before your Upload; no file was attached. What you had typed is kept below.":
        "此草稿已由 {who} 于 {when} 交付发送，早于您的上传；没有附加任何文件。您输入的内容保留在下方。",
    "This draft was handed over for sending by {who} at {when}, before your Remove; no file was removed. What you had typed is kept below.":
        "此草稿已由 {who} 于 {when} 交付发送，早于您的移除；没有移除任何文件。您输入的内容保留在下方。",
    "This draft was handed over for sending before your Save; nothing was saved. What you had typed is kept below.":
        "此草稿在您保存之前已交付发送；没有保存任何内容。您输入的内容保留在下方。",
    "This draft was handed over for sending before your Upload; no file was attached. What you had typed is kept below.":
        "此草稿在您上传之前已交付发送；没有附加任何文件。您输入的内容保留在下方。",
    "This draft was handed over for sending before your Remove; no file was removed. What you had typed is kept below.":
        "此草稿在您移除之前已交付发送；没有移除任何文件。您输入的内容保留在下方。",
    "Sends the email as the editor shows it, unsaved changes included.": "按编辑器中当前的内容发送邮件，包括尚未保存的修改。",
    "Your session had ended (8 hours without use, or signed out elsewhere), so that form was not used. Sign in again; the draft's editor then puts back what this tab had typed and not saved.":
        "您的会话已结束（8 小时未使用，或已在别处退出登录），因此该表单未被执行。请重新登录；草稿编辑器会放回您在此标签页中输入但未保存的内容。",
    "waiting for an operator": "等待操作员处理", "There is no such message.": "没有这封邮件。",
    "There is no such page.": "没有这个页面。",
    "All deliveries": "全部投递", "Sent": "发送时间", "Event": "事件",
    "The draft and its changes": "草稿及其修改记录", "Recipients": "收件人", "Address": "地址", "As": "类型",
    "Result": "结果", "The server's reply": "服务器的答复", "What to do": "如何处理",
    "No recipient result is recorded.": "没有记录任何收件人的结果。",
    "Sends it again to the same addresses.": "再次发送到相同的地址。", "(no subject)": "（无主题）", "Draft": "草稿",
    "Its delivery, recipient by recipient": "投递状态（逐个收件人）",
    "Try now": "立即重试", "Waiting since": "等待开始于",
    "What you had typed in this tab and not saved is back in the editor.": "您在此标签页中输入但未保存的内容已放回编辑器。",
    "Show the saved text instead": "改为显示已保存的文本",
    "Mail is not going out": "邮件未能发出", "See why": "查看原因",
    "Choose a file to attach first.": "请先选择要附加的文件。",
    "files of type {suffix} are not attached; allowed: {allowed}": "不附加 {suffix} 类型的文件；允许：{allowed}",
    "{name} is not a {kind} file (its content says otherwise)": "{name} 不是 {kind} 文件（其内容不符）",
    "{name} contains HTML or script; such files are not attached": "{name} 含有 HTML 或脚本；此类文件不会被附加",
    "{name} has {size} bytes, more than the {limit} allowed": "{name} 有 {size} 字节，超过允许的 {limit}",
    "link to large files instead of attaching them": "大文件请提供链接，不要附加",
    "{name} is empty": "{name} 是空文件",
    "Your session had ended (8 hours without use, or signed out elsewhere). Sign in again.": "您的会话已结束（8 小时未使用，或已在别处退出登录）。请重新登录。",
    "Waiting to be sent: {n}, the oldest since {since}. The mail server is not taking them now; they are tried again by themselves.":
        "等待发送：{n} 封，最早的从 {since} 开始。邮件服务器目前不接收；系统会自动重试。",
    "The mail server is back? Try now instead of at the next attempt.": "邮件服务器已恢复？立即重试，不必等到下次尝试。",
    "accepted": "已接收", "refused": "被拒绝", "deferred": "已推迟", "bounced": "被退回",
    "The receiving server refused this address, and Retry would send to the same address again. Check the address with the customer (by phone, say), correct it in the order system, and tell them yourself what this email said.":
        "收件服务器拒绝了这个地址，重试只会再次发送到同一地址。请与客户核对地址（例如打电话），在订单系统中更正，并亲自告诉客户这封邮件的内容。",
    "Accepted first, then returned as undeliverable. Check the address with the customer.":
        "先被接收，随后作为无法投递而被退回。请与客户核对地址。",
    "Not delivered yet; it is tried again by itself at the next attempt.": "尚未投递；将在下次尝试时自动重试。",
    "Order received": "已收到订单",
    "Order received (operators)": "已收到订单（操作员）",
    "Quotation": "报价",
    "Price approval": "价格审批",
    "Price approved": "价格已批准",
    "Price rejected": "价格被拒绝",
    "Proof ready": "校样已就绪",
    "Quotation accepted": "报价已接受",
    "Order accepted": "订单已接受",
    "Order rejected": "订单被拒绝",
    "Order ready": "订单已完成",
    "Order dispatched": "订单已发货",
    "Order finalized": "订单已结束",
    "Export completed": "导出已完成",
    "Budget threshold": "预算阈值",
    "Unexpected error: this is a bug in mailgitops (see the server's log).": "意外错误：这是 mailgitops 的程序缺陷（详见服务器日志）。",
    "A token or password is never accepted in a URL; sign in with the form.": "网址（URL）中的令牌或密码一律不被接受；请使用表单登录。",
    "The form is too large (at most 21 MB) or has no length.": "表单过大（最多 21 MB）或没有长度信息。",
    "{n} draft waiting for review": "{n} 份草稿等待审阅",
    "{n} drafts waiting for review": "{n} 份草稿等待审阅",
    "damaged draft (outbox message {id}): {problem}": "草稿已损坏（发件箱中的邮件 {id}）：{problem}",
    "Open the console: {url}": "打开控制台：{url}",
    "Open the mailgitops console to review them.": "请打开 mailgitops 控制台审阅。",
    "Open the console": "打开控制台",
}

# a delivery's reasons (a mail server's reply quoted in our sentence) are kept in replies.py
CATALOGS: Mapping[str, Mapping[str, str]] = {"en": {}, "de": {**_DE, **replies.DE}, "zh": {**_ZH, **replies.ZH}}


def trigger_name(lang: str, key: str) -> str:
    """A trigger as an operator reads it ("Price rejected"); a key the console does not know stays."""
    return translator(lang)(TRIGGERS.get(key, key))


def translator(lang: str) -> Callable[[str], str]:
    """English text in, the operator's language out; a missing entry falls back to English."""
    table = CATALOGS.get(lang, {})
    return lambda text: table.get(text, text)


def negotiate(accept_language: str | None) -> str:
    """The sign-in page's language, before anyone is signed in: the browser's first we speak."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        base = tag.split("-")[0]
        if base in CATALOGS:
            return base
    return "en"
