"""Parsers per log type: raw bytes in, Arrow tables and rejects out."""
