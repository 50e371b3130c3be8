"""The private-use markers the cached HTML and text carry where a link or image goes, filled in at
send time when the target's value is known: M_OPEN kind payload (M_SEP field)* M_END.
Shared by markdown.py (HTML) and text.py (plain text), which is why they live in neither."""

M_OPEN, M_END, M_SEP = "\ue002", "\ue003", "\ue004"
