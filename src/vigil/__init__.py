"""Vigil: self-hosted security monitoring and alerting for AWS-style logs."""

__version__ = "0.1.0"
