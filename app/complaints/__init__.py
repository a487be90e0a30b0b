"""The complaint: the registered record every feature reads and the workflow later changes."""
