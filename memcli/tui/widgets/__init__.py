"""Widgets of the memory browser."""
