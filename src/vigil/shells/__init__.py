"""Thin shells over vigil.api: parse arguments, make one library call, render."""
