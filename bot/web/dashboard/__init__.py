"""The staff dashboard: server-rendered pages in the staff member's language, signed in by a one-time link."""
