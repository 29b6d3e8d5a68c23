"""Forms as Slack modals: a channel-neutral Form → views.open's view, a view_submission → Inbound.
Pure functions, no network."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.channels.slack.render import LABEL_LIMIT, Person, make_inbound, shared_photo
from bot.events import Form, FormField, Inbound

#: Our modals' callback_id, and the action_id of each input in them (the block_id is the field's name).
FORM_CALLBACK, FORM_ACTION = "pb:form", "v"
#: Slack's limits on a modal: title and submit label, input label, options of a select, metadata.
TITLE_LIMIT, INPUT_LABEL_LIMIT, OPTIONS_LIMIT, METADATA_LIMIT = 24, 2000, 100, 3000
#: The files a photo field takes (Slack checks the extension; the flow checks type and size again).
PHOTO_TYPES = ("jpg", "jpeg", "png", "gif", "webp", "heic")


def render_form(form: Form) -> dict[str, Any]:
    """A Form → the modal for views.open: one input block per field (Slack itself holds a text to
    its max_length and asks for the required ones); our payload, the required field names and
    the translated "blank" line ride in private_metadata."""
    blocks = [_input(field) for field in form.fields]
    meta = {
        "payload": form.payload,
        "blank": form.blank,
        "required": [f.name for f in form.fields if f.required],
    }
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "private_metadata": json.dumps(meta, ensure_ascii=False)[:METADATA_LIMIT],
        "title": {"type": "plain_text", "text": _cut(form.title, TITLE_LIMIT)},
        "submit": {"type": "plain_text", "text": _cut(form.submit, TITLE_LIMIT)},
        "blocks": blocks,
    }


def _input(field: FormField) -> dict[str, Any]:
    element: dict[str, Any]
    if field.checkbox:
        option = {"text": {"type": "plain_text", "text": _cut(field.label, LABEL_LIMIT)}, "value": "yes"}
        element = {"type": "checkboxes", "options": [option]}
    elif field.photo:
        element = {"type": "file_input", "filetypes": list(PHOTO_TYPES), "max_files": 1}
    elif field.options:
        options = [
            {"text": {"type": "plain_text", "text": _cut(label, LABEL_LIMIT)}, "value": value}
            for label, value in field.options[:OPTIONS_LIMIT]
        ]
        element = {"type": "static_select", "options": options}
        if len(options) == 1:
            element["initial_option"] = options[0]
    else:
        element = {"type": "plain_text_input", "multiline": field.multiline, "max_length": field.max_length}
        if field.initial:
            element["initial_value"] = field.initial[: field.max_length]
    return {
        "type": "input",
        "block_id": field.name,
        "optional": not field.required,
        "label": {"type": "plain_text", "text": _cut(field.label, INPUT_LABEL_LIMIT)},
        "element": {**element, "action_id": FORM_ACTION},
    }


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def from_submission(body: Mapping[str, Any], person: Person | None = None) -> Inbound | None:
    """A submitted form of ours (view_submission) → Inbound with its payload, answers by field and
    the photo added, if any (by its private URL: fetched with the token after it is recorded).
    Keyed on the view's id: a view is submitted once."""
    user = (body.get("user") or {}).get("id")
    view = body.get("view") or {}
    if body.get("type") != "view_submission" or view.get("callback_id") != FORM_CALLBACK:
        return None
    meta = _form_meta(view)
    if not isinstance(user, str) or meta is None or not view.get("id"):
        return None
    return make_inbound(
        person,
        address=user,
        event_id=f"view:{view['id']}",
        payload=str(meta["payload"]),
        form_values=form_values(view),
        attachment=shared_photo(form_files(view)),
    )


def form_files(view: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The files added to a view's photo fields (Slack has them uploaded and shared already)."""
    return [
        shared
        for actions in ((view.get("state") or {}).get("values") or {}).values()
        if (actions.get(FORM_ACTION) or {}).get("type") == "file_input"
        for shared in actions[FORM_ACTION].get("files") or []
    ]


def blank_fields(view: Mapping[str, Any]) -> dict[str, str]:
    """The required fields left empty or only spaces (Slack lets spaces through), each with the
    form's own translated "blank" line: what `response_action: errors` shows in the modal."""
    meta = _form_meta(view)
    if meta is None:
        return {}
    values = form_values(view)
    return {name: str(meta["blank"]) for name in meta.get("required", ()) if not values.get(name, "").strip()}


def form_values(view: Mapping[str, Any]) -> dict[str, str]:
    """A view's state as field name → answer: the text, the chosen option's value, or "yes" for
    a ticked box; what was left empty is absent."""
    answers: dict[str, str] = {}
    for name, actions in ((view.get("state") or {}).get("values") or {}).items():
        element = actions.get(FORM_ACTION) or {}
        kind = element.get("type")
        if kind == "plain_text_input" and element.get("value") is not None:
            answers[name] = str(element["value"])
        elif kind == "static_select" and element.get("selected_option"):
            answers[name] = str(element["selected_option"]["value"])
        elif kind == "checkboxes" and element.get("selected_options"):
            answers[name] = "yes"
    return answers


def _form_meta(view: Mapping[str, Any]) -> dict[str, Any] | None:
    try:
        meta = json.loads(view.get("private_metadata") or "")
    except ValueError:
        return None
    return meta if isinstance(meta, dict) and "payload" in meta and "blank" in meta else None
