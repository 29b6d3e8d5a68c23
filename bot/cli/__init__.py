"""The `partnerbot` command line, one module per command group."""
