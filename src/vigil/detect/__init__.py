"""Detection: content units (YAML + SQL), their runner over the lake, and their test harness."""
