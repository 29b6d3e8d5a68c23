"""Conversations. They speak through gettext and turn.reply, never through a platform API."""
