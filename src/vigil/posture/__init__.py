"""Posture audit of the logging set-up: snapshots, checks, scores, reports."""
