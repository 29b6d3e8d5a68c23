"""A person's data as JSON (complete, for another system) and HTML (readable, in the reader's language)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from bot.exports import private_folder, write_private
from bot.i18n import Speaker
from storage.audit import Action, record
from storage.db import Session
from storage.rights import collect

Rows = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Written:
    folder: Path
    json: Path
    html: Path
    rows: int


def _plain(value: Any) -> Any:
    """A column's value as JSON holds it."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("bot.rights", "templates"), autoescape=select_autoescape(), auto_reload=False
    )


def write_export(*, rows: Rows, folder: Path, reader: Speaker, at: datetime) -> Written:
    """Write export.json, export.html and the photos into `folder` (private to its owner)."""
    private_folder(folder)
    photos = private_folder(folder / "photos")
    plain = {
        table: [{k: _plain(v) for k, v in row.items()} for row in found] for table, found in rows.items()
    }
    json_path = folder / "export.json"
    document = {"exported_at": at.isoformat(), "tables": plain}
    write_private(json_path, json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"))
    photo_files = {}
    for photo in rows.get("messagephoto", []):
        name = f"{photo['id']}-{Path(photo['filename']).name or 'photo'}"
        write_private(photos / name, photo["data"])
        photo_files[photo["id"]] = f"photos/{name}"
    html_path = folder / "export.html"
    html = (
        _environment()
        .get_template("export.html")
        .render(
            _=reader._,
            rtl=reader.is_rtl,
            language=reader.language,
            when=reader.datetime(at, "long"),
            view=_view(plain, photo_files),
        )
    )
    write_private(html_path, html.encode("utf-8"))
    return Written(folder=folder, json=json_path, html=html_path, rows=sum(len(r) for r in rows.values()))


def _view(tables: Rows, photo_files: dict[int, str]) -> dict[str, Any]:
    """What the HTML shows: the person first, their messages with translations, then every other table."""
    person = (tables.get("person") or [{}])[0]
    translations: dict[int, list[dict[str, Any]]] = {}
    for row in tables.get("messagetranslation", []):
        translations.setdefault(row["message_id"], []).append(row)
    messages = tables.get("message", [])
    acked = [d for d in tables.get("delivery", []) if d.get("acknowledged_at")]
    shown = {"person", "message", "messagetranslation", "messagephoto"}
    return {
        "person": person,
        "written": [m for m in messages if m.get("author_id") == person.get("id")],
        "received": [m for m in messages if m.get("author_id") != person.get("id")],
        "translations": translations,
        "acknowledged": acked,
        "photos": [
            {"message_id": p["message_id"], "src": photo_files[p["id"]], "filename": p["filename"]}
            for p in tables.get("messagephoto", [])
        ],
        "other": {name: found for name, found in tables.items() if name not in shown and found},
    }


def export_person(
    *,
    session: Session,
    person_id: int,
    folder: Path,
    reader: Speaker,
    at: datetime,
    actor_id: int | None,
    via: str,
) -> Written:
    """Everything held about a person, written to `folder`; the export is recorded in the audit log."""
    rows = collect(session=session, person_id=person_id)
    record(session=session, action=Action.EXPORTED, at=at, actor_id=actor_id, subject_id=person_id, via=via)
    return write_export(rows=rows, folder=folder, reader=reader, at=at)
