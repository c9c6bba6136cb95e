"""The lake: Parquet under <home>/lake/<table>/, a manifest in SQLite, DuckDB views over it."""
