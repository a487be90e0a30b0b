"""Staff accounts: roles, sign-in, passwords, and what each role may do."""
