"""Intake: the public complaint form, its JSON API, and the one operation that registers."""
