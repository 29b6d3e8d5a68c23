"""Delivery: the dispatcher, per-channel rate limits, and when a person may be written to."""
