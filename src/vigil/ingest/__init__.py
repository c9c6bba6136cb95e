"""Ingestion: sources → parsers → lake, with the manifest making every run repeatable."""
