"""The staff desk: the clerk's registration form, receipts, the journal, case pages."""
