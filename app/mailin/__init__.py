"""Mail intake: every e-mail that reaches the registry's mailbox is stored raw, signed on
arrival and read; a complainant's reply lands on its complaint, anything else waits in the
clerks' tray (docs/mail.md)."""
