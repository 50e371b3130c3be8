"""mailgitops: a print room's customer emails as code."""

__version__ = "0.1.0"
