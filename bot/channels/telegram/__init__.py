"""Telegram: python-telegram-bot adapter, its HTML rendering and its error mapping."""
