"""Alembic migrations of the coibot schema."""
