"""Several `partnerbot run` on one PostgreSQL: what must run in one process at a time is elected."""
