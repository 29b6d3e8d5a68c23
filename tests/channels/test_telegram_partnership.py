"""Consent for an outside partner on Telegram, end to end: the real python-telegram-bot against the
loopback fake Bot API. Asked in Arabic → given → the partner added → withdrawn → the partner refused."""

from __future__ import annotations

from sqlmodel import select

from bot.i18n import Speaker
from storage.db import session_scope
from storage.models import Consent, ConsentStatus, Person, Role
from storage.school import add_person
from tests.channels.test_telegram_flows import api, buttons, join, served, texts  # noqa: F401 - fixtures

AR = Speaker("ar")
EMMA, AMINA, TOM = 2001, 1001, 3001
AGENCY = "City Psychology Service"
NOT_LINKED = "You are not linked to a class yet. Please ask your coordinator to add you."


def _plain(text: str) -> str:
    return text.replace("\u2068", "").replace("\u2069", "").replace("\u200f", "")


async def _press(fake, chat: int, label: str) -> None:
    """Press `label` once a message offering it has arrived (a step may answer in two messages)."""
    await fake.wait_for(lambda: label in buttons(fake, chat), timeout_s=10)
    before = len(fake.sent_to(chat))
    fake.push_callback(chat, buttons(fake, chat)[label])
    await fake.wait_for(lambda: len(fake.sent_to(chat)) > before, timeout_s=10)


async def _say(fake, chat: int, text: str, *, command: str | None = None) -> None:
    before = len(fake.sent_to(chat))
    if command:
        fake.push_command(chat, command)
    else:
        fake.push_text(chat, text)
    await fake.wait_for(lambda: len(fake.sent_to(chat)) > before, timeout_s=10)


def _status(db) -> ConsentStatus:
    with session_scope(db) as session:
        return session.exec(select(Consent).where(Consent.agency == AGENCY)).one().status


async def test_consent_given_then_withdrawn_on_telegram(db, school, invite, api, served):  # noqa: F811
    with session_scope(db) as session:
        school_id = session.exec(select(Person.school_id)).first()
        add_person(session=session, person=Person(school_id=school_id, name="Tom Reed", role=Role.EXTERNAL))
    await join(api, invite, EMMA, "Emma", "English")
    await join(api, invite, AMINA, "Amina", "العربية")
    await join(api, invite, TOM, "Tom", "English")

    await _say(api, TOM, "", command="postcard")
    assert texts(api, TOM)[-1] == NOT_LINKED

    await _say(api, EMMA, "", command="partnership")
    await _press(api, EMMA, "Yusuf Haddad")
    await _press(api, EMMA, "Setting learning goals")
    await _say(api, EMMA, "Yusuf reads a short book each week.")
    await _press(api, EMMA, next(iter(buttons(api, EMMA))))
    await _press(api, EMMA, "Tom Reed")
    await _say(api, EMMA, AGENCY)
    await _press(api, EMMA, "Only the postcards and what was tried at home")
    await _press(api, EMMA, "Ask the family through partnerbot")
    await api.wait_for(lambda: any(AGENCY in t for t in texts(api, AMINA)), timeout_s=10)

    await _press(api, AMINA, AR._("Yes, I agree"))
    await api.wait_for(
        lambda: any("agreed that Tom Reed" in _plain(t) for t in texts(api, EMMA)), timeout_s=10
    )
    assert _status(db) == ConsentStatus.GIVEN
    await api.wait_for(lambda: any("bringing together" in t for t in texts(api, TOM)), timeout_s=10)
    await _say(api, TOM, "", command="postcard")
    assert "Yusuf Haddad" in buttons(api, TOM)
    await _say(api, TOM, "", command="cancel")

    await _say(api, AMINA, "", command="settings")
    await _press(api, AMINA, AR._("Outside partners"))
    label = AR._("{partner} ({agency}) for {student}").format(
        partner="Tom Reed", agency=AGENCY, student="Yusuf Haddad"
    )
    await _press(api, AMINA, label)
    await api.wait_for(lambda: any("withdrew their consent" in t for t in texts(api, EMMA)), timeout_s=10)
    assert _status(db) == ConsentStatus.WITHDRAWN
    await _say(api, TOM, "", command="postcard")
    assert texts(api, TOM)[-1] == NOT_LINKED
