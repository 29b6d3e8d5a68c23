"""Preferences after joining and with /settings: each answer stored and confirmed in the person's language."""

from __future__ import annotations

from datetime import time

import pytest
from sqlmodel import select

from bot.app import build_app
from bot.handlers.preferences import parse_range, parse_time
from bot.i18n import Speaker
from storage.models import ChannelAccount, Frequency, Involvement, PartnershipMember, Person
from tests.harness import Chat

AR, ES, FR = Speaker("ar"), Speaker("es"), Speaker("fr")


def _arabic(text: str) -> bool:
    return sum("\u0600" <= ch <= "\u06ff" for ch in text) > len(text) // 3


def _person(session, name: str) -> Person:
    session.expire_all()
    return session.exec(select(Person).where(Person.name == name)).one()


@pytest.fixture
async def amina(chat, invite):
    """Amina, joined on her phone, at the language question."""
    phone = chat("amina-phone")
    await phone.say(f"/start {invite('Amina')}")
    return phone


@pytest.mark.email_channel  # so her e-mail address is offered
async def test_onboarding_in_arabic_confirms_every_answer_in_arabic(amina, session):
    replies = await amina.press("العربية")
    assert replies[0].text == AR._("Thank you. From now on we will write to you in {language}.").format(
        language="العربية"
    )
    assert replies[0].rtl
    assert _arabic(replies[1].text)
    assert replies[1].text.startswith(AR._("Where should we send your messages?"))

    await amina.press(AR._("E-mail") + " (amina.haddad@example.org)")
    assert amina.inbox[-2].text == AR._("Done: we will send your messages to {channel}.").format(
        channel=AR._("E-mail") + " (amina.haddad@example.org)"
    )
    await amina.press(AR._("Weekly digest"))
    await amina.press(AR.weekday(0))
    replies = await amina.press(AR.time(time(19, 0)))
    assert AR.weekday(0) in replies[0].text and AR.time(time(19, 0)) in replies[0].text
    replies = await amina.say("٢١:٣٠-٠٧:٠٠")  # Arabic-Indic digits, typed
    assert replies[0].text == AR._("Done: no messages between {start} and {end}, except urgent ones.").format(
        start=AR.time(time(21, 30)), end=AR.time(time(7, 0))
    )
    replies = await amina.press(AR._("Support: try strategies at home"))
    assert replies[-1].text.startswith(AR._("All set, thank you! Here is how we will keep in touch:"))
    assert _arabic(replies[-1].text)
    assert all(reply.rtl for reply in amina.inbox[3:])

    person = _person(session, "Amina Haddad")
    assert (person.language, person.frequency, person.digest_weekday, person.digest_time) == (
        "ar",
        Frequency.WEEKLY,
        0,
        time(19, 0),
    )
    assert (person.quiet_start, person.quiet_end) == (time(21, 30), time(7, 0))
    assert person.onboarded_at is not None
    preferred = session.exec(select(ChannelAccount).where(ChannelAccount.preferred)).all()
    assert [(a.channel, a.address) for a in preferred] == [("email", "amina.haddad@example.org")]
    member = session.exec(select(PartnershipMember).where(PartnershipMember.person_id == person.id)).one()
    assert member.involvement == Involvement.SUPPORT


async def test_an_e_mail_address_is_not_offered_where_no_e_mail_channel_runs(amina, session):
    """The roster gave Amina an e-mail account, but nothing here sends e-mail."""
    replies = await amina.press("English")
    assert [b.label for b in replies[1].buttons] == ["test"]
    mail = session.exec(select(ChannelAccount).where(ChannelAccount.channel == "email")).first()
    replies = await amina.press_payload(f"account:{mail.id}")  # a button from when e-mail ran
    assert replies[0].text == "Please choose one of the options below."

    await amina.say("/cancel")
    mail.preferred = True  # chosen when e-mail still ran
    session.add(mail)
    session.commit()
    replies = await amina.say("/settings")
    assert "• Where to reach you: test" in replies[0].text
    await amina.press("Where to reach me")
    assert amina.buttons() == ["test"]


async def test_as_it_happens_skips_the_digest_questions(amina, session):
    await amina.press("English")
    await amina.press("test")
    replies = await amina.press("Straight away")
    assert replies[0].text == "Done: Straight away."
    assert replies[1].text.startswith("When should we not send you messages")
    replies = await amina.press("No quiet hours")
    assert replies[0].text.startswith("Done: no quiet hours")
    assert _person(session, "Amina Haddad").quiet_start is None


async def test_settings_shows_current_choices_and_changes_one(amina, session):
    for label in [
        "English",
        "test",
        "Daily digest",
        "7:00\u202fAM",
        "No quiet hours",
        "Just keep me informed",
    ]:
        await amina.press(label)
    replies = await amina.say("/settings")
    assert "• Language: English" in replies[0].text
    assert "• How often: Daily digest at 7:00\u202fAM" in replies[0].text
    assert "• Yusuf Haddad – Just keep me informed" in replies[0].text

    await amina.press("How often")
    await amina.press("Digest every two weeks")
    await amina.press("Wednesday")
    replies = await amina.say("18:45")
    assert replies[0].text == "Done: Digest every two weeks on Wednesday at 6:45\u202fPM."
    assert "What would you like to change?" in replies[1].text  # back to the menu
    await amina.press("My involvement")
    await amina.press("Adviser: help plan and decide")
    await amina.press("Language")
    replies = await amina.press("Español")
    assert replies[0].text == ES._("Thank you. From now on we will write to you in {language}.").format(
        language="Español"
    )
    assert replies[0].text != "Thank you. From now on we will write to you in Español."
    assert ES._("What would you like to change?") in replies[1].text
    await amina.press(Speaker("es")._("Done"))

    person = _person(session, "Amina Haddad")
    assert (person.frequency, person.digest_weekday, person.digest_time, person.language) == (
        Frequency.FORTNIGHTLY,
        2,
        time(18, 45),
        "es",
    )
    member = session.exec(select(PartnershipMember).where(PartnershipMember.person_id == person.id)).one()
    assert member.involvement == Involvement.ADVISER


async def test_a_button_from_another_question_or_forged_is_not_accepted(amina, session):
    replies = await amina.press_payload("freq:daily")  # asked for a language, not a frequency
    assert replies[0].text == AR._("Please choose a language from the list.")
    replies = await amina.press_payload("lang:xx")
    assert replies[0].text == AR._("Please choose a language from the list.")
    await amina.press("English")
    replies = await amina.press_payload("account:999999")  # someone else's account id
    assert replies[0].text == "Please choose one of the options below."
    assert _person(session, "Amina Haddad").language == "en"


async def test_bad_times_are_asked_again(amina):
    for label in ["English", "test", "Daily digest"]:
        await amina.press(label)
    for bad in ["25:00", "soon", "7:99", ""]:
        replies = await amina.say(bad) if bad else await amina.send(amina.inbound("", payload="time:xx"))
        assert replies[0].text.startswith("Sorry, I did not understand that time")
    await amina.say("6")
    for bad in ["21:00-21:00", "tonight", "21:00-"]:
        assert (await amina.say(bad))[0].text.startswith("Sorry, I did not understand that.")


async def test_a_restart_mid_conversation_loses_nothing(amina, settings, db, channel, clock):
    await amina.press("Français")
    restarted = Chat(build_app(settings, {"test": channel}, db=db, clock=clock), channel, "amina-phone")
    replies = await restarted.press("test")
    assert replies[0].text == FR._("Done: we will send your messages to {channel}.").format(channel="test")
    assert replies[1].text == FR._(
        "How often would you like to hear from us? Urgent messages always come straight away."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", time(7)),
        ("07:30", time(7, 30)),
        ("19.05", time(19, 5)),
        ("8h15", time(8, 15)),
        ("٢١:٠٠", time(21)),
        ("24:00", None),
        ("7:60", None),
        ("noon", None),
        ("", None),
    ],
)
def test_parse_time(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:00-07:00", (time(21), time(7))),
        ("22 – 6:30", (time(22), time(6, 30))),
        ("21:00 to 07:00", (time(21), time(7))),
        ("21h à 7h", (time(21), time(7))),
        ("9-9", None),
        ("21:00", None),
        ("a-b", None),
    ],
)
def test_parse_range(text, expected):
    assert parse_range(text) == expected


async def test_settings_in_the_middle_of_joining_does_not_skip_the_first_time_questions(amina, session):
    """Amina sends /settings at the second question and presses Done: quiet hours and her
    involvement are still asked, and only then is she set up."""
    await amina.press("English")
    await amina.say("/settings")
    replies = await amina.press("Done")
    assert replies[-1].text.startswith("When should we not send you messages")
    replies = await amina.press("No quiet hours")
    assert "How would you like to be involved in Yusuf Haddad's learning partnership?" in replies[-1].text
    replies = await amina.press("Just keep me informed")
    assert replies[-1].text.startswith("All set, thank you! Here is how we will keep in touch:")
    assert _person(session, "Amina Haddad").onboarded_at is not None


async def test_settings_mid_join_asks_only_what_the_menu_did_not(amina, session):
    await amina.press("English")
    await amina.say("/settings")
    await amina.press("Quiet hours")
    await amina.press("No quiet hours")
    replies = await amina.press("Done")
    assert "How would you like to be involved in Yusuf Haddad's learning partnership?" in replies[-1].text
    await amina.press("Just keep me informed")
    await amina.say("/settings")
    replies = await amina.press("Done")
    assert replies[-1].text == "Saved. You can come back with /settings at any time."
