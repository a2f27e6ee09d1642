"""Real peers the tests start: PostgreSQL (and, in the channel tests, Dovecot and aiosmtpd)."""
