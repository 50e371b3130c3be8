# Chinese punctuation (full-width comma, colon, semicolon) is right in Chinese text, and one entry per line reads better unwrapped:
# ruff: noqa: RUF001, E501
"""The core's messages an operator can meet in the console (editing, attaching, sending or
discarding a draft, and making its email), in German and Chinese. Keyed by the error's `code`, never by its English
text: tests/unit/console/test_core_text.py fails when a message the console can show has no
entry here, or an entry names a value the message does not carry. English is the core's own text."""

from __future__ import annotations

from collections.abc import Mapping

from mailgitops.console import i18n
from mailgitops.errors import MailgitopsError

# code -> language -> (message, hint or None); {names} are the error's `values`
CORE: Mapping[str, Mapping[str, tuple[str, str | None]]] = {
    # the outbox waits for `outbox migrate` (an upgrade in progress), or was migrated by a newer version
    "outbox-needs-migration": {
        "de": ("Der Postausgang wird gerade auf diese Version von mailgitops umgestellt (Schema {found} → {version}); bis dahin wird nichts gesendet.", "Es geht weiter, sobald die Administration `mailgitops outbox migrate` ausgeführt hat."),
        "zh": ("发件箱正在升级到此版本的 mailgitops（架构 {found} → {version}）；在此之前不会发送任何邮件。", "管理员运行 `mailgitops outbox migrate` 后即可继续。")},
    "outbox-taken-back": {
        "de": ("Der Postausgang wurde für die Rückkehr zu einer älteren Version von mailgitops auf Schema {found} zurückgestellt; diese Version (Schema {version}) sendet nichts daraus.", "Die Administration betreibt ihn mit der älteren Version weiter, oder stellt ihn mit `mailgitops outbox migrate` wieder auf diese Version um."),
        "zh": ("发件箱已为回退到旧版 mailgitops 而改回架构 {found}；此版本（架构 {version}）不会从中发送任何邮件。", "管理员可用旧版本继续运行它，或运行 `mailgitops outbox migrate` 让它回到此版本。")},
    "outbox-newer": {
        "de": ("Der Postausgang wurde von einer neueren Version von mailgitops umgestellt (Schema {found}); diese Version lässt ihn unberührt.", "Die Administration muss diesen Rechner auf die neuere Version aktualisieren."),
        "zh": ("发件箱已由更新版本的 mailgitops 升级（架构 {found}）；此版本不会改动它。", "管理员需要将这台机器升级到更新的版本。")},
    "draft-missing": {
        "de": ("Es gibt keinen Entwurf {id}.", "Die Liste der Entwürfe zeigt, welche warten."),
        "zh": ("没有草稿 {id}。", "草稿列表显示正在等待的草稿。")},
    "cc-not-an-address": {
        "de": ("Keine einzelne E-Mail-Adresse: {addresses}", "Geben Sie jede CC-Adresse einzeln an, etwa name@example.com oder Name <name@example.com>."),
        "zh": ("不是单个电子邮件地址：{addresses}", "请逐个填写抄送地址，例如 name@example.com 或 Name <name@example.com>。")},
    "subject-invalid": {
        "de": ("Der Betreff muss eine nicht leere Zeile mit höchstens {max} Zeichen sein.", None),
        "zh": ("主题必须是一行非空文字，最多 {max} 个字符。", None)},
    "body-invalid": {
        "de": ("Die Nachricht darf höchstens {max} Zeichen Text haben.", None),
        "zh": ("正文最多只能有 {max} 个字符的文字。", None)},
    "draft-not-editable": {
        "de": ("Entwurf {id} ist bereits {status}; er kann nicht mehr bearbeitet werden.", None),
        "zh": ("草稿 {id} 已经是“{status}”状态，不能再编辑。", None)},
    "draft-not-discardable": {
        "de": ("Entwurf {id} ist bereits {status}; er kann nicht verworfen werden.", None),
        "zh": ("草稿 {id} 已经是“{status}”状态，不能丢弃。", None)},
    "draft-gone-meanwhile": {
        "de": ("Entwurf {id} wurde inzwischen gesendet oder verworfen; nichts wurde geändert.", None),
        "zh": ("草稿 {id} 在此期间已被发送或丢弃；没有做任何修改。", None)},
    "cc-not-allowed": {
        "de": ("Bediener dürfen die CC-Adressen nicht ändern.", "Die Konfiguration erlaubt es mit allow_operator_cc: true in config/smtp.yaml."),
        "zh": ("操作员不可修改抄送地址。", "在 config/smtp.yaml 中设置 allow_operator_cc: true 即可允许。")},
    "attach-not-allowed": {
        "de": ("Bediener dürfen keine Dateien anhängen.", "Die Konfiguration erlaubt es mit allow_operator_attachments: true in config/workflow.yaml."),
        "zh": ("操作员不可附加文件。", "在 config/workflow.yaml 中设置 allow_operator_attachments: true 即可允许。")},
    "draft-made-in-production": {
        "de": ("Entwurf {id} wurde für {addresses} erstellt, als diese Installation echt zustellte; jetzt stellt sie im Modus {mode} zu, daher wird er nicht gesendet.",
               "Verwerfen Sie ihn, oder senden Sie ihn, wenn wieder echt zugestellt wird."),
        "zh": ("草稿 {id} 是在本系统正式投递时为 {addresses} 生成的；现在系统以 {mode} 模式投递，因此不会发送。",
               "请丢弃它，或在恢复正式投递后再发送。")},
    "draft-damaged": {
        "de": ("Der gespeicherte Entwurf der Nachricht {id} ({message_id}) ist beschädigt: {problem}",
               "Er wurde außerhalb von mailgitops geändert: Stellen Sie draft_json der Zeile aus einer Sicherung des Postausgangs wieder her (andere Nachrichten werden weiter gesendet)."),
        "zh": ("消息 {id}（{message_id}）保存的草稿已损坏：{problem}",
               "它在 mailgitops 之外被修改过：请从发件箱的备份中恢复该行的 draft_json（其他邮件照常发送）。")},
    # an attached file, checked when it is attached and again when the draft is sent
    "no-attachments-root": {
        "de": ("{path}: Es ist kein Anhangsordner eingerichtet.", "Starten Sie serve mit --attachments-root ORDNER (MAILGITOPS_ATTACHMENTS_ROOT)."),
        "zh": ("{path}：未设置附件根目录。", "启动 serve 时加上 --attachments-root 目录（MAILGITOPS_ATTACHMENTS_ROOT）。")},
    "attachment-outside-root": {
        "de": ("{path} liegt nicht innerhalb des Anhangsordners.", "Hängen Sie nur Dateien aus dem Anhangsordner an."),
        "zh": ("{path} 不在附件根目录之内。", "只能附加附件根目录下的文件。")},
    "attachments-root-missing": {
        "de": ("Der Anhangsordner ist auf diesem Rechner kein Ordner, daher kann {path} nicht gelesen werden.", "Setzen Sie --attachments-root oder MAILGITOPS_ATTACHMENTS_ROOT auf den Ordner mit den Dateien des Auftragssystems (ist er eingehängt?)."),
        "zh": ("附件根目录在本机上不是文件夹，因此无法读取 {path}。", "请将 --attachments-root 或 MAILGITOPS_ATTACHMENTS_ROOT 设为订单系统文件所在的文件夹（是否已挂载？）。")},
    "attachment-missing": {
        "de": ("{path} gibt es im Anhangsordner nicht.", "Prüfen Sie den Pfad, den das Auftragssystem sendet."),
        "zh": ("附件根目录下没有 {path}。", "请检查订单系统发送的路径。")},
    "attachment-unreadable": {
        "de": ("{path} kann nicht gelesen werden.", None),
        "zh": ("无法读取 {path}。", None)},
    "attachment-not-a-file": {
        "de": ("{path} ist keine gewöhnliche Datei.", None),
        "zh": ("{path} 不是普通文件。", None)},
    "attachment-type": {
        "de": ("{path}: Dateien dieses Typs werden nicht angehängt.", None),
        "zh": ("{path}：不附加此类型的文件。", None)},
    "attachment-too-large": {
        "de": ("{path} ist größer als erlaubt (limits.max_attachment_bytes in config/smtp.yaml).", "Verlinken Sie große Dateien, statt sie anzuhängen."),
        "zh": ("{path} 超过允许的大小（config/smtp.yaml 中的 limits.max_attachment_bytes）。", "大文件请提供链接，不要附加。")},
    # the email made from the draft when it is sent (render/email.py)
    "template-missing": {
        "de": ("Die Vorlage {template} ist in diesem Bundle nicht enthalten.", "Verwerfen Sie den Entwurf, oder spielen Sie ein Bundle mit dieser Vorlage ein."),
        "zh": ("此配置包中没有模板 {template}。", "请丢弃该草稿，或部署包含此模板的配置包。")},
    "render-timeout": {
        "de": ("{file}: Die E-Mail wurde nicht rechtzeitig erstellt; nichts wurde gesendet.", "Versuchen Sie es später noch einmal."),
        "zh": ("{file}：邮件未能及时生成；没有发送任何内容。", "请稍后再试。")},
    "render-error": {
        "de": ("{file}:{line}: Die E-Mail kann nicht erstellt werden: {msg}", "Prüfen Sie den Text an dieser Stelle; der Druckraum-Admin kann die Vorlage korrigieren."),
        "zh": ("{file}:{line}：无法生成邮件：{msg}", "请检查该处的文字；印刷室管理员可以修正模板。")},
    # an address of the email that the address rule refuses (a draft made before the rule changed)
    "address-invalid": {
        "de": ("{address} ist keine gültige E-Mail-Adresse, daher kann die E-Mail nicht erstellt werden; nichts wurde gesendet.", "Prüfen Sie die Adresse mit dem Kunden und korrigieren Sie sie im Auftragssystem, oder verwerfen Sie den Entwurf."),
        "zh": ("{address} 不是有效的电子邮件地址，因此无法生成邮件；没有发送任何内容。", "请与客户核对该地址并在订单系统中更正，或丢弃该草稿。")},
    "display-name-unsafe": {
        "de": ("Der Anzeigename von {address} enthält einen Zeilenumbruch oder ein NUL-Zeichen.", "Schreiben Sie den Namen in eine Zeile."),
        "zh": ("{address} 的显示名称包含换行符或 NUL 字符。", "请把名称写在一行内。")},
    "no-recipient": {
        "de": ("Eine E-Mail braucht mindestens einen Empfänger.", None),
        "zh": ("邮件至少需要一个收件人。", None)},
    "message-id-invalid": {
        "de": ("Keine gültige Message-ID: {message_id}", "Etwa <id@example.com>."),
        "zh": ("不是有效的 Message-ID：{message_id}", "例如 <id@example.com>。")},
    "email-too-large": {
        "de": ("Die E-Mail ist größer als {max} Bytes.", "Kürzen Sie den Text."),
        "zh": ("邮件超过 {max} 字节。", "请缩短正文。")},
}

_TRANSLATED_VALUES = ("status",)  # values that are words of the console's catalog (a status)


def parts(lang: str, e: MailgitopsError) -> tuple[str, str | None]:
    """The error's message and hint in the operator's language when the core named it by a
    code; the core's English otherwise."""
    entry = CORE.get(e.code or "", {}).get(lang)
    if entry is None:
        return e.message, e.hint
    tr = i18n.translator(lang)
    values = {k: tr(str(v)) if k in _TRANSLATED_VALUES else v for k, v in e.values.items()}
    return entry[0].format(**values), None if entry[1] is None else entry[1].format(**values)


def text(lang: str, e: MailgitopsError) -> str:
    """The error as the console shows it in one line: message (hint)."""
    message, hint = parts(lang, e)
    return message + (f" ({hint})" if hint else "")
