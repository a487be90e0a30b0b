"""Management: the escalation review desk and the SLA dashboard (figures, charts, exports)."""
