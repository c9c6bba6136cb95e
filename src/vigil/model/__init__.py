"""Typed records shared across stages (no I/O)."""
