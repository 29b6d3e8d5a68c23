"""The "Something to try at home" postcard as one form, for channels that open forms (Slack's
modal); `postcards.on_form` checks and sends what comes back."""

from __future__ import annotations

from bot.events import Button, Form, FormField
from bot.handlers.flow import Turn

#: The payload a submitted postcard form comes back with.
FORM = "pform"


def form(turn: Turn, targets: list[Button]) -> Form:
    """The whole postcard at once: who for, title, steps, why, a photo if wanted; see `on_form`."""
    _ = turn._
    return Form(
        payload=FORM,
        trigger=turn.inbound.trigger or "",
        title=_("Something to try at home"),
        submit=_("Send"),
        blank=_("Please answer with a text message."),
        fields=(
            FormField(
                name="target",
                label=_("Who is this postcard for?"),
                options=tuple((b.label, b.payload) for b in targets),
            ),
            FormField(
                name="title", label=_("What is the strategy called? A short title, please."), max_length=120
            ),
            FormField(
                name="steps",
                label=_("What should the family try? Short steps, one per line."),
                multiline=True,
                max_length=1500,
                initial=turn.inbound.quoted or "",
            ),
            FormField(
                name="why",
                label=_("Why does it help? One or two sentences."),
                multiline=True,
                max_length=1500,
            ),
            FormField(
                name="photo", label=_("A photo (you can leave this empty)"), photo=True, required=False
            ),
        ),
    )
