"""Threat intelligence: threat lists and trusted-IP lists, as GuardDuty has them."""
