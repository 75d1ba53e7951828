"""Retrieval: full-text (FTS5) and vector (sqlite-vec) channels and their fusion."""
