"""Database layer: typed models, sessions, migrations entry points."""
