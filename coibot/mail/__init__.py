"""Email in the core: parsing received messages and composing safe replies (stdlib `email` only)."""
