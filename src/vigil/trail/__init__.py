"""CloudTrail log-file integrity: digest chains, validation, and signing for test chains."""
