"""Outgoing letters: a numbered message to the complainant -> plain context -> a stamped PDF."""
