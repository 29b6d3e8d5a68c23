"""Storage: SQLModel tables, query functions and Alembic migrations; the only place that writes SQL."""
