"""Queries over the lake: the Engine seam (`engine.py`) and its DuckDB implementation."""
