"""Bounces: delivery status notifications read back into the outbox as per-recipient results."""
