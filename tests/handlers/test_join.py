"""Joining with a one-time invite, and what an unlinked account may see (nothing)."""

from __future__ import annotations

from sqlmodel import select

from bot.i18n import Speaker
from storage.models import ChannelAccount, Invite, Person

AR, ES = Speaker("ar"), Speaker("es")


async def test_start_with_code_links_the_account_and_starts_preferences(chat, invite, session):
    code = invite("Amina")
    replies = await chat("amina-phone").say(f"/start {code}")

    assert replies[0].text.startswith(
        # the roster says Amina is Yusuf's mother: addressed as a woman
        Speaker("ar", gender="female")
        ._("Welcome, {name}! You are now connected with the school.")
        .format(name="Amina Haddad")
    )
    assert "Yusuf Haddad" in replies[0].text
    assert "العربية" in [b.label for b in replies[-1].buttons]
    account = session.exec(select(ChannelAccount).where(ChannelAccount.address == "amina-phone")).one()
    assert account.person_id is not None
    assert account.preferred


async def test_the_code_alone_also_links_in_any_case_and_spacing(chat, invite):
    code = invite("Carlos")
    replies = await chat("carlos").say("  " + code.upper().replace("-", " ") + " ")
    assert replies[0].text.startswith(
        ES._("Welcome, {name}! You are now connected with the school.").format(name="Carlos García")
    )


async def test_code_is_stored_hashed_and_works_once(chat, invite, session):
    code = invite("Amina")
    assert code.replace("-", "") not in {i.code_hash for i in session.exec(select(Invite)).all()}
    await chat("first").say(f"/start {code}")
    replies = await chat("second").say(f"/start {code}")
    assert "already been used" in replies[-1].text


async def test_expired_code_links_nothing(chat, invite, clock, settings):
    code = invite("Amina")
    clock.advance(days=settings.invite_ttl_days, seconds=1)
    replies = await chat("late").say(f"/start {code}")
    assert "expired" in replies[-1].text
    assert "Yusuf" not in replies[-1].text


async def test_unknown_code_links_nothing(chat, invite):
    invite("Amina")
    replies = await chat("guess").say("/start aaaa-bbbb-cccc-dddd-eeee-ffff-gg")
    assert "did not work" in replies[-1].text
    assert (await chat("guess").say("/settings"))[-1].text.startswith("Hello!")


async def test_five_wrong_codes_lock_the_account_for_an_hour(chat, invite, clock):
    guesser = chat("guesser")
    for attempt in range(5):
        await guesser.say(f"/start wrong-code-{attempt}")
    good = invite("Amina")
    assert "Too many wrong codes" in (await guesser.say(f"/start {good}"))[-1].text
    clock.advance(hours=1, seconds=1)
    assert "Amina Haddad" in (await guesser.say(f"/start {good}"))[0].text


async def test_many_accounts_guessing_together_are_refused_too(chat, invite, clock, settings, caplog):
    settings.invite_max_failures_per_hour_overall = 6
    for guesser in range(3):
        for attempt in range(2):  # each account stays under its own limit of five
            await chat(f"guesser-{guesser}").say(f"/start wrong-code-{guesser}-{attempt}")
    good = invite("Amina")
    assert "Too many wrong codes" in (await chat("amina").say(f"/start {good}"))[-1].text
    assert "6 wrong in the last hour across accounts" in caplog.text
    clock.advance(hours=1, seconds=1)
    assert "Amina Haddad" in (await chat("amina").say(f"/start {good}"))[0].text


async def test_unlinked_account_sees_nothing_about_any_student(chat, school):
    stranger = chat("stranger")
    for text in ["hello", "/settings", "/help", "/start", "Yusuf Haddad", "/acks", "1"]:
        for reply in await stranger.say(text):
            assert "partnerbot" in reply.text and "/start" in reply.text
            for name in ["Yusuf", "Sofía", "Oliver", "Amina", "Emma", "Class 3B"]:
                assert name not in reply.text
            assert not reply.buttons


async def test_unlinked_account_is_answered_in_its_platform_language(chat, school):
    replies = await chat("hola", language_hint="es-MX").say("hola")
    assert "/start" in replies[0].text
    assert "Hello" not in replies[0].text


async def test_linked_account_sending_another_code_links_nothing_new(chat, invite, session):
    amina = chat("amina")
    await amina.say(f"/start {invite('Amina')}")
    replies = await amina.say(f"/start {invite('Carlos')}")
    assert replies[-1].text == AR._(
        "This chat is already connected. If a code is for someone else, "
        "they should send it from their own account."
    )
    carlos_invite = session.exec(select(Invite).where(Invite.used_at.is_(None))).all()
    assert len(carlos_invite) == 1


def _set_email(session, name: str, email: str) -> None:
    person = session.exec(select(Person).where(Person.name == name)).one()
    person.email = email
    session.add(person)
    session.commit()


async def test_staff_with_a_verified_email_join_without_a_code(school, chat, session):
    _set_email(session, "Emma Clarke", "Emma.Clarke@school.example")
    emma = chat("U1")
    replies = await emma.send(emma.inbound("/acks", verified_email="emma.clarke@school.example"))
    assert replies[0].text.startswith("Welcome, Emma Clarke! You are now connected with the school.")
    account = session.exec(select(ChannelAccount).where(ChannelAccount.address == "U1")).one()
    assert account.person_id is not None
    assert (await emma.say("/help"))[-1].text != replies[0].text  # linked: no longer asked to join


async def test_an_email_that_is_not_staff_or_not_vouched_for_links_nothing(school, chat, session):
    _set_email(session, "Amina Haddad", "amina@home.example")  # a parent: families never join by e-mail
    _set_email(session, "Emma Clarke", "emma@school.example")
    parent = chat("U2")
    assert (await parent.send(parent.inbound("hi", verified_email="amina@home.example")))[0].text.startswith(
        "Hello!"
    )
    assert (await chat("U3").say("emma@school.example"))[0].text.startswith("Hello!")  # typed, not vouched
    accounts = session.exec(select(ChannelAccount).where(ChannelAccount.channel == "test")).all()
    assert [a.person_id for a in accounts] == [None, None]
