"""Rendering: Jinja (sandbox) → Markdown → HTML fragment → MJML shell → text part → MIME, one step each."""
