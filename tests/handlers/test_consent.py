"""Consent for an outside partner end to end (seed 001, 6.3): asked in the family's language,
given, the partner added, withdrawn from /settings, the partner refused; recorded by staff; refused;
and the child-protection override, for safeguarding leads only."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.i18n import Speaker, isolate
from storage.audit import Action
from storage.db import session_scope
from storage.models import AuditEntry, Consent, ConsentStatus, Person, Role
from storage.school import add_person
from tests.handlers.test_partnership import asked, set_up
from tests.harness import Chat

AR = Speaker("ar")
NOT_LINKED = "You are not linked to a class yet. Please ask your coordinator to add you."
AGENCY = "City Psychology Service"


@pytest.fixture
async def people(db, school, join):
    with session_scope(db) as session:
        school_id = session.exec(select(Person.school_id)).first()
        add_person(session=session, person=Person(school_id=school_id, name="Tom Reed", role=Role.EXTERNAL))
    return await join(("Emma", "English"), ("Amina", "العربية"), ("Carlos", "Español"), ("Tom", "English"))


async def propose_tom(emma: Chat, how: str) -> list:
    await set_up(emma)
    await emma.press("Tom Reed")
    await emma.say(AGENCY)
    await emma.press("Only the postcards and what was tried at home")
    return await emma.press(how)


def plain(text: str) -> str:
    """Text without the bidi isolates around names."""
    return text.replace("\u2068", "").replace("\u2069", "")


def button_payload(phone: Chat, label: str) -> str:
    for out in reversed(phone.inbox):
        for button in out.buttons:
            if button.label == label:
                return button.payload
    raise AssertionError(f"no button {label!r}")


def consent_of(session) -> Consent:
    session.expire_all()
    return session.exec(
        select(Consent).join(Person, Person.id == Consent.partner_id).where(Person.name == "Tom Reed")
    ).one()


async def test_consent_asked_given_partner_added_withdrawn_partner_refused(people, app, session):
    emma, amina, tom = people["Emma"], people["Amina"], people["Tom"]
    assert (await tom.say("/postcard"))[0].text == NOT_LINKED  # nothing about Yusuf before consent

    replies = await propose_tom(emma, "Ask the family through partnerbot")
    assert "We asked Amina Haddad" in plain(replies[0].text)
    await app.dispatcher.drain()
    question = next(
        o for o in reversed(amina.inbox) if any(b.label == AR._("Yes, I agree") for b in o.buttons)
    )
    assert AGENCY in question.text and AR._("Only the postcards and what was tried at home") in question.text
    assert (await tom.say("/postcard"))[0].text == NOT_LINKED  # asked is not given

    forged = await people["Carlos"].press_payload(button_payload(amina, AR._("Yes, I agree")))
    assert forged[0].text == Speaker("es")._(
        "That button is no longer active. Send /help to see what you can do."
    )
    assert consent_of(session).status == ConsentStatus.ASKED  # Carlos is not Yusuf's parent

    await amina.press_payload(button_payload(amina, AR._("Yes, I agree")))
    await app.dispatcher.drain()
    consent = consent_of(session)
    assert consent.status == ConsentStatus.GIVEN and consent.how == "bot" and consent.decided_at is not None
    assert any("Amina Haddad agreed that Tom Reed" in plain(o.text) for o in emma.inbox[-3:])
    assert "is bringing together the people who help" in tom.last.text
    assert [b.label for b in (await tom.say("/postcard"))[0].buttons] == ["Yusuf Haddad"]
    await tom.say("/cancel")

    await amina.say("/settings")
    await amina.press(AR._("Outside partners"))
    label = AR._("{partner} ({agency}) for {student}").format(
        partner="Tom Reed", agency=AGENCY, student="Yusuf Haddad"
    )
    replies = await amina.press(label)
    assert asked(AR, "Done. {agency} no longer sees anything new about your child.") in replies[0].text
    await app.dispatcher.drain()
    assert any("withdrew their consent" in o.text for o in emma.inbox[-3:])
    consent = consent_of(session)
    assert consent.status == ConsentStatus.WITHDRAWN and consent.withdrawn_at is not None
    assert (await tom.say("/postcard"))[0].text == NOT_LINKED  # nothing new after withdrawal
    logged = session.exec(
        select(AuditEntry).where(AuditEntry.target == f"consent:{consent.id}").order_by(col(AuditEntry.id))
    ).all()
    assert [(e.action, e.actor_id, e.subject_id, e.via) for e in logged] == [
        (Action.CHANGED_CONSENT, consent.decided_by, consent.partner_id, "chat"),  # given
        (Action.CHANGED_CONSENT, consent.withdrawn_by, consent.partner_id, "chat"),  # withdrawn
    ]


async def test_staff_record_the_familys_agreement_with_how(people, session):
    replies = await propose_tom(people["Emma"], "They signed a paper form")
    assert "Recorded: They signed a paper form." in replies[0].text
    consent = consent_of(session)
    assert consent.status == ConsentStatus.GIVEN and consent.how == "paper"
    assert consent.recorded_by is not None and consent.decided_by != consent.recorded_by
    assert [b.label for b in (await people["Tom"].say("/postcard"))[0].buttons] == ["Yusuf Haddad"]


async def test_a_family_can_say_no(people, app, session):
    await propose_tom(people["Emma"], "Ask the family through partnerbot")
    await app.dispatcher.drain()
    await people["Amina"].press_payload(button_payload(people["Amina"], AR._("No")))
    await app.dispatcher.drain()
    assert consent_of(session).status == ConsentStatus.REFUSED
    assert any("did not agree" in o.text for o in people["Emma"].inbox[-3:])
    assert (await people["Tom"].say("/postcard"))[0].text == NOT_LINKED


async def test_only_a_safeguarding_lead_can_override_and_it_is_recorded(people, app, db, session):
    emma = people["Emma"]
    await set_up(emma)
    await emma.press("Tom Reed")
    await emma.say(AGENCY)
    await emma.press("Everything in the partnership: messages, postcards and meeting notes")
    assert "Child protection: add now without consent" not in emma.buttons()
    await emma.say("/cancel")

    with session_scope(db) as s:
        lead = s.exec(select(Person).where(Person.name == "Emma Clarke")).one()
        lead.safeguarding_lead = True
        s.add(lead)
        lead_id = lead.id
    await emma.say("/partnership")
    await emma.press("Yusuf Haddad")
    await emma.press("Invite someone")
    await emma.press("Tom Reed")
    await emma.say(AGENCY)
    await emma.press("Everything in the partnership: messages, postcards and meeting notes")
    await emma.press("Child protection: add now without consent")
    replies = await emma.say("Police asked us to involve him today.")
    assert "recorded" in replies[0].text
    await app.dispatcher.drain()
    assert any("without the family's consent" in o.text for o in emma.inbox[-4:])
    consent = session.exec(select(Consent).where(Consent.status == ConsentStatus.OVERRIDE)).one()
    assert consent.reason == "Police asked us to involve him today." and consent.how == "override"
    override = session.exec(select(AuditEntry).where(AuditEntry.action == Action.USED_OVERRIDE)).one()
    assert (override.actor_id, override.target) == (lead_id, f"consent:{consent.id}")
    assert [b.label for b in (await people["Tom"].say("/postcard"))[0].buttons] == ["Yusuf Haddad"]
    # a withdrawal from /settings does not offer an override
    await people["Amina"].say("/settings")
    replies = await people["Amina"].press(AR._("Outside partners"))
    assert isolate("Tom Reed") not in replies[0].text
