"""CloudWatch Logs Insights queries over log groups and lake tables."""
