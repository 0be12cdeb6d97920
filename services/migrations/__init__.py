"""Alembic migrations: the only way the control-plane schema changes."""
