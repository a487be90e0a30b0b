"""Receipts: a stored complaint -> plain context -> a two-copy stamped PDF."""
