"""Slack for staff: Socket Mode (or HTTP mode) through slack-bolt; Block Kit from the neutral Content."""
