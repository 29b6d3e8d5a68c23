"""Forms as modals: a Form → views.open's view, a view_submission → Inbound. Pure, no network."""

from __future__ import annotations

import json

from slack_sdk.models.views import View

from bot.channels.slack.forms import blank_fields, form_values, from_submission, render_form
from bot.events import Form, FormField

FORM = Form(
    payload="hform",
    trigger="t1",
    title="Nouvelles de la classe, pour toutes les familles",
    submit="Envoyer",
    blank="Veuillez écrire quelque chose.",
    fields=(
        FormField(name="class", label="Quelle classe ?", options=(("Classe 3B", "1"),)),
        FormField(name="text", label="Qu'a appris la classe ?", multiline=True, max_length=3000),
        FormField(name="urgent", label="Urgent", checkbox=True, required=False),
    ),
)


def submitted(values: dict[str, object], *, callback_id: str = "pb:form") -> dict[str, object]:
    view = render_form(FORM) | {"id": "V1", "callback_id": callback_id, "state": {"values": values}}
    return {"type": "view_submission", "user": {"id": "U1"}, "view": view}


def test_a_form_is_a_modal_slack_accepts():
    view = render_form(FORM)
    View(**view).to_dict()  # slack_sdk's own model and validators
    assert view["title"]["text"] == "Nouvelles de la classe,…" and len(view["title"]["text"]) == 24
    select, text, urgent = view["blocks"]
    assert select["element"]["initial_option"]["value"] == "1"  # the only class, already chosen
    assert (text["element"]["multiline"], text["element"]["max_length"], text["optional"]) == (
        True,
        3000,
        False,
    )
    assert (urgent["element"]["type"], urgent["optional"]) == ("checkboxes", True)
    meta = json.loads(view["private_metadata"])
    assert meta == {
        "payload": "hform",
        "blank": "Veuillez écrire quelque chose.",
        "required": ["class", "text"],
    }


def test_a_submission_is_an_inbound_with_its_answers():
    values = {
        "class": {"v": {"type": "static_select", "selected_option": {"value": "1"}}},
        "text": {"v": {"type": "plain_text_input", "value": "Nous avons planté des haricots."}},
        "urgent": {"v": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}},
    }
    inbound = from_submission(submitted(values))
    assert inbound is not None
    assert (inbound.address, inbound.event_id, inbound.payload) == ("U1", "view:V1", "hform")
    assert inbound.form_values == {"class": "1", "text": "Nous avons planté des haricots.", "urgent": "yes"}
    assert from_submission(submitted(values, callback_id="other")) is None


def test_blank_required_fields_get_the_forms_own_words():
    values = {
        "class": {"v": {"type": "static_select", "selected_option": None}},
        "text": {"v": {"type": "plain_text_input", "value": "   "}},
        "urgent": {"v": {"type": "checkboxes", "selected_options": []}},
    }
    view = submitted(values)["view"]
    assert form_values(view) == {"text": "   "}  # type: ignore[arg-type]
    assert blank_fields(view) == {  # type: ignore[arg-type]
        "class": "Veuillez écrire quelque chose.",
        "text": "Veuillez écrire quelque chose.",
    }
    assert blank_fields({"private_metadata": "not json"}) == {}


def test_a_photo_field_is_a_file_input_and_its_file_the_attachment():
    form = Form(
        payload="pform",
        trigger="t1",
        title="Une idée à essayer",
        submit="Envoyer",
        blank="Veuillez écrire quelque chose.",
        fields=(FormField(name="photo", label="Une photo", photo=True, required=False),),
    )
    view = render_form(form)
    View(**view).to_dict()
    assert view["blocks"][0]["element"] == {
        "type": "file_input",
        "filetypes": ["jpg", "jpeg", "png", "gif", "webp", "heic"],
        "max_files": 1,
        "action_id": "v",
    }
    shared = {
        "id": "F1",
        "name": "stairs.jpg",
        "mimetype": "image/jpeg",
        "url_private": "https://files.slack.com/x",
    }
    values = {"photo": {"v": {"type": "file_input", "files": [shared]}}}
    body = {
        "type": "view_submission",
        "user": {"id": "U1"},
        "view": view | {"id": "V2", "state": {"values": values}},
    }
    inbound = from_submission(body)
    assert inbound is not None and inbound.attachment is not None
    assert (inbound.attachment.platform_ref, inbound.attachment.content_type) == (
        "https://files.slack.com/x",
        "image/jpeg",
    )
    assert inbound.form_values == {}
