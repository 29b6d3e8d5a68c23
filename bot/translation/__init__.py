"""Machine translation of what people write: the Translator seam and the cached TranslationService.

The backends live in `bot.translation.backends` (with `make_translator`), so that importing the
service does not pull in an HTTP client.
"""

from __future__ import annotations

from bot.translation.base import Translator, TranslatorError, TranslatorUnavailable
from bot.translation.service import Translated, TranslationService

__all__ = ["Translated", "TranslationService", "Translator", "TranslatorError", "TranslatorUnavailable"]
