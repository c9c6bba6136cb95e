"""Remediation playbooks: plans from events, recorded, applied only when asked."""
