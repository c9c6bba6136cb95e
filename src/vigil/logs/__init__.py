"""CloudWatch Logs: filter patterns, log groups and events, metric filters."""
