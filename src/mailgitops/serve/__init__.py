"""`mailgitops serve`: the HTTP service for the order system (events, drafts, outbox, health, metrics)."""
