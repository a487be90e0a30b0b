"""The front desk: clerks register complaints received on paper, by post, phone, in person or
e-mail; print and reprint receipts; open a case; annul or correct a record."""
