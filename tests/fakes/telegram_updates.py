"""Realistic Bot API update JSON for the fake Telegram server: what families' phones would send."""

from __future__ import annotations

import hashlib
import itertools
import time
from typing import Any

JSON = dict[str, Any]


class UpdateFactory:
    """Builds updates and queues them for getUpdates; keeps the files they refer to."""

    def __init__(self, *, bot_user: JSON) -> None:
        self.bot_user = bot_user
        self.updates: list[JSON] = []
        self.files: dict[str, JSON] = {}
        self.chats: dict[str, list[JSON]] = {}
        self._update_ids = itertools.count(50_001)
        self._ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}

    def _queue(self, update: JSON) -> None:
        self.updates.append(update)

    def push(self, kind: str, payload: JSON) -> JSON:
        """Queue an update of any kind; the push_* helpers below build the usual ones."""
        update = {"update_id": next(self._update_ids), kind: payload}
        self._queue(update)
        return update

    # -- people and chats ----------------------------------------------------------------------

    @staticmethod
    def user(
        user_id: int,
        *,
        first_name: str = "Amina",
        last_name: str | None = "Haddad",
        language_code: str = "ar",
    ) -> JSON:
        user: JSON = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        if last_name:
            user["last_name"] = last_name
        return user

    @staticmethod
    def chat(chat_id: int) -> JSON:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Amina", "last_name": "Haddad"}
        kind = "supergroup" if chat_id < -1_000_000_000_000 else "group"
        return {"id": chat_id, "type": kind, "title": "Class 4B families"}

    def next_message_id(self, chat_id: int) -> int:
        """Telegram numbers messages per chat, the bot's and the person's in one sequence: the
        same number names different messages in two chats."""
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _message(self, chat_id: int, user: JSON | None, **content: Any) -> JSON:
        return {
            "message_id": self.next_message_id(chat_id),
            "from": user or self.user(chat_id if chat_id > 0 else 777),
            "chat": self.chat(chat_id),
            "date": int(time.time()),
            **content,
        }

    # -- what people send -----------------------------------------------------------------------

    def push_text(
        self, chat_id: int, text: str, *, user: JSON | None = None, reply_to: JSON | None = None
    ) -> JSON:
        """A text message; with `reply_to` (a message of that chat), a reply to it, which Telegram
        sends with the whole replied-to message inside."""
        content: JSON = {"text": text}
        if reply_to is not None:
            content["reply_to_message"] = reply_to
        return self.push("message", self._message(chat_id, user, **content))

    def push_command(
        self,
        chat_id: int,
        command: str,
        *args: str,
        bot_username: str | None = None,
        user: JSON | None = None,
    ) -> JSON:
        """ "/start CODE" (a deep link opens the chat with exactly this), "/help@bot" in groups."""
        head = f"/{command}@{bot_username}" if bot_username else f"/{command}"
        text = " ".join([head, *args])
        entities = [{"offset": 0, "length": len(head), "type": "bot_command"}]
        return self.push("message", self._message(chat_id, user, text=text, entities=entities))

    def push_callback(
        self, chat_id: int, data: str, *, message: JSON | None = None, user: JSON | None = None
    ) -> JSON:
        """A press on a button of `message` (by default the bot's latest message there with buttons)."""
        if message is None:
            message = next(m for m in reversed(self.chats.get(str(chat_id), [])) if m.get("reply_markup"))
        query = {
            "id": str(4_382_000_000_000 + next(self._ids)),
            "from": user or self.user(chat_id if chat_id > 0 else 777),
            "message": message,
            "chat_instance": "-5011998887431122",
            "data": data,
        }
        return self.push("callback_query", query)

    def push_photo(
        self, chat_id: int, data: bytes, *, caption: str | None = None, user: JSON | None = None
    ) -> JSON:
        content: JSON = {"photo": self.photo_sizes(self.add_file(data))}
        if caption is not None:
            content["caption"] = caption
        return self.push("message", self._message(chat_id, user, **content))

    def push_sticker(self, chat_id: int, *, user: JSON | None = None) -> JSON:
        file_id = self.add_file(b"RIFF-webp-sticker", folder="stickers")
        sticker = {
            "file_id": file_id,
            "file_unique_id": self.files[file_id]["file_unique_id"],
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self.push("message", self._message(chat_id, user, sticker=sticker))

    def push_edited(self, chat_id: int, text: str, *, user: JSON | None = None) -> JSON:
        edited = self._message(chat_id, user, text=text, edit_date=int(time.time()))
        return self.push("edited_message", edited)

    def push_my_chat_member(self, chat_id: int, *, status: str = "kicked", user: JSON | None = None) -> JSON:
        """The bot's own membership changed: "kicked" when a family blocks it, "member" in a new group."""
        change = {
            "chat": self.chat(chat_id),
            "from": user or self.user(chat_id if chat_id > 0 else 777),
            "date": int(time.time()),
            "old_chat_member": {"user": self.bot_user, "status": "member"},
            "new_chat_member": {"user": self.bot_user, "status": status, "until_date": 0},
        }
        return self.push("my_chat_member", change)

    def push_group_join(self, group_id: int, *, user: JSON | None = None) -> JSON:
        """The service message a group shows when a teacher adds the bot."""
        joined = {"new_chat_members": [self.bot_user], "new_chat_member": self.bot_user}
        return self.push("message", self._message(group_id, user, **joined))

    # -- files -----------------------------------------------------------------------------------

    def add_file(self, data: bytes, *, folder: str = "photos") -> str:
        """Keep `data` as a Telegram file; returns its file_id."""
        number = next(self._ids)
        unique = hashlib.sha256(data).hexdigest()[:16]
        file_id = f"AgACAgQAAxkBAAI{number:06d}{unique}"
        self.files[file_id] = {
            "file_id": file_id,
            "file_unique_id": f"AQAD{unique}",
            "file_size": len(data),
            "file_path": f"{folder}/file_{number}.jpg",
            "data": data,
        }
        return file_id

    def photo_sizes(self, file_id: str) -> list[JSON]:
        """A photo as Telegram lists it: thumbnails first, `file_id` as the largest size."""
        thumbnails = [(90, 68), (320, 240)]
        sizes = []
        for width, height in thumbnails:
            thumb = self.files[self.add_file(b"thumbnail %dx%d" % (width, height))]
            sizes.append({**_size(thumb), "width": width, "height": height})
        return [*sizes, {**_size(self.files[file_id]), "width": 1280, "height": 960}]


def _size(file: JSON) -> JSON:
    return {key: file[key] for key in ("file_id", "file_unique_id", "file_size")}
