"""Answers a flow collects over several turns: text within a phone-sized limit, and a photo kept in
the flow's state until the message is sent (base64 in the JSON state, so a restart loses nothing)."""

from __future__ import annotations

import base64

from bot.events import Attachment, Button
from bot.handlers.flow import Turn

MAX_PHOTO_BYTES = 5 * 1024 * 1024


def take_text(turn: Turn, key: str, limit: int = 1500) -> bool:
    """Store the typed answer under `key`; False (and a gentle ask) when it is not usable text."""
    if not turn.text or turn.inbound.payload is not None:
        turn.reply(turn._("Please answer with a text message."))
        return False
    if len(turn.text) > limit:
        turn.reply(
            turn._("That is long for a phone screen: please keep it under {limit} characters.").format(
                limit=limit
            )
        )
        return False
    turn.data[key] = turn.text
    return True


def skip_button(turn: Turn) -> list[Button]:
    return [Button(label=turn._("Skip"), payload="skip")]


def take_photo(turn: Turn) -> bool | None:
    """A photo sent → stored in the flow (True); Skip → False; anything else → asked again (None)."""
    attachment = turn.inbound.attachment
    if attachment is not None and attachment.content_type.startswith("image/"):
        if attachment.data is None:  # the platform did not hand the file over (app.py logs it)
            turn.reply(
                turn._("Sorry, the photo did not come through. Please send it again, or press Skip."),
                skip_button(turn),
            )
            return None
        if len(attachment.data) > MAX_PHOTO_BYTES:
            turn.reply(
                turn._("That photo is too large. Please send a smaller one, or press Skip."),
                skip_button(turn),
            )
            return None
        turn.data["photo"] = {
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "data": base64.b64encode(attachment.data).decode(),
            "platform_ref": attachment.platform_ref,
        }
        return True
    if turn.choice(skip_button(turn)) == "skip":
        return False
    turn.reply(turn._("Please send a photo, or press Skip."), skip_button(turn))
    return None


def stored_photo(turn: Turn) -> Attachment | None:
    stored = turn.data.get("photo")
    if not stored:
        return None
    data = base64.b64decode(stored["data"]) if stored.get("data") else None
    return Attachment(
        filename=stored["filename"],
        content_type=stored["content_type"],
        data=data,
        platform_ref=stored.get("platform_ref"),
    )
