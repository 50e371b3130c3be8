"""The runtime dispatcher: status events to emails through a durable outbox (see api.py)."""
