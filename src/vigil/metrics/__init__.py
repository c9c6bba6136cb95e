"""CloudWatch metrics and alarms."""
