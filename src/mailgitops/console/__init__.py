"""The operator console: sign-in, drafts and deliveries in the browser (mounted at / of serve)."""
