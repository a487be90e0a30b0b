"""E-mail: composing a message from an outbox row (app/notifications), delivering it after the
commit, the SMTP/file transports, and the `flask notifications` commands."""
