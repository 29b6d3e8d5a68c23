"""Every flow the console has, end to end on Telegram: the real python-telegram-bot against the
loopback fake Bot API, through the engine, storage and dispatcher."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, select

from bot.app import build_app
from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.limits import telegram_limits
from bot.channels.telegram.render import RLM
from bot.handlers.help import menus
from bot.i18n import Speaker
from storage.models import ChannelAccount, Delivery, DeliveryStatus, Message, MessageKind, MessagePhoto
from tests.fakes.telegram import FakeTelegram
from tests.processes import partnerbot_run, telegram_environment

AR, ES = Speaker("ar"), Speaker("es")
EMMA, DANIEL, AMINA, CARLOS = 2001, 2002, 1001, 1002
PHOTO = b"\xff\xd8\xff\xe0" + b"stairs" * 50


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram.running() as fake:
        yield fake


@pytest.fixture
async def served(request, settings, db, clock, api, school):
    """The app on the fake Bot API; translating too when the test asks for `translating`."""
    if "translating" in request.fixturenames:
        settings = request.getfixturevalue("translating")
    channel = TelegramChannel(
        token=api.token,
        base_url=api.base_url,
        base_file_url=api.base_file_url,
        poll_timeout_s=1,
        request_timeout_s=3.0,
        retry_delay_s=0.01,
        # A conversation here is many messages to one chat; at Telegram's one a second the flows
        # took 10-17 s each. The pacing itself is tested in tests/delivery and measured in bench/.
        limits=telegram_limits(per_chat_per_s=50),
    )
    app = build_app(settings, {"telegram": channel}, db=db, clock=clock)
    serving = asyncio.create_task(app.serve_forever())
    yield app
    serving.cancel()
    await asyncio.gather(serving, return_exceptions=True)


def texts(api: FakeTelegram, chat: int) -> list[str]:
    return [c.params.get("text") or c.params.get("caption") or "" for c in api.sent_to(chat)]


def buttons(api: FakeTelegram, chat: int) -> dict[str, str]:
    """label → callback data of the latest message with a keyboard in that chat."""
    message = next(m for m in reversed(api.chats[str(chat)]) if m.get("reply_markup"))
    return {b["text"]: b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row}


async def said(api: FakeTelegram, chat: int, count: int) -> list[str]:
    """Wait until the bot has sent `count` more messages to `chat`; return all it sent there."""
    await api.wait_for(lambda: len(api.sent_to(chat)) >= count, timeout_s=10)
    return texts(api, chat)


async def join(api, invite, chat: int, name: str, language_label: str) -> None:
    before = len(api.sent_to(chat))
    api.push_command(chat, "start", invite(name), user=api.user(chat, first_name=name, language_code="en"))
    await said(api, chat, before + 2)
    before = len(api.sent_to(chat))
    api.push_callback(chat, buttons(api, chat)[language_label])
    await said(api, chat, before + 2)
    api.push_command(chat, "cancel")
    await said(api, chat, before + 3)


async def test_join_by_deep_link_and_choose_arabic(served, api, invite, session):
    api.push_command(AMINA, "start", invite("Amina"))
    sent = await said(api, AMINA, 2)
    assert "Amina Haddad" in sent[0]
    assert buttons(api, AMINA)["العربية"] == "lang:ar"
    api.push_callback(AMINA, "lang:ar")
    sent = await said(api, AMINA, 4)
    assert sent[2] == "\u200f" + AR._("Thank you. From now on we will write to you in {language}.").format(
        language="العربية"
    )
    await api.wait_for(lambda: api.calls_to("answerCallbackQuery") and api.calls_to("editMessageReplyMarkup"))
    account = session.exec(select(ChannelAccount).where(ChannelAccount.channel == "telegram")).one()
    assert (account.address, account.display_name) == (str(AMINA), "Amina Haddad")


async def test_commands_are_registered_in_each_language(api, settings):
    channel = TelegramChannel(token=api.token, base_url=api.base_url, base_file_url=api.base_file_url)
    await channel.register_commands(menus())
    await channel.stop()
    by_language = {c.params.get("language_code"): c.params["commands"] for c in api.calls_to("setMyCommands")}
    assert set(by_language) == {None, "es", "ar", "zh", "vi", "fr"}
    assert {c["command"] for c in by_language["ar"]} == {"tried", "settings", "help", "cancel"}
    assert by_language["es"][0]["description"] == Speaker("es")._(
        "tell the school about something you tried at home"
    )


async def test_highlights_and_got_it_on_telegram(served, api, invite, session):
    await join(api, invite, EMMA, "Emma", "English")
    await join(api, invite, CARLOS, "Carlos", "Español")
    seen = len(api.sent_to(EMMA))
    api.push_command(EMMA, "highlights")
    api.push_text(EMMA, "We planted <beans> & measured them.")
    await said(api, EMMA, seen + 2)
    api.push_callback(EMMA, buttons(api, EMMA)["Send"])
    await said(api, EMMA, seen + 3)
    await said(api, CARLOS, 6)  # joining took five
    assert "We planted &lt;beans&gt; &amp; measured them." in api.sent_to(CARLOS)[-1].params["text"]
    assert (
        "We planted <beans> & measured them." in api.chats[str(CARLOS)][-1]["text"]
    )  # as the family reads it
    heading = ES._("Learning highlights for {group} from {author}").format(
        group="Class 3B", author="Emma Clarke"
    )
    note = ES._(
        "This message was written in {language}. Automatic translation is not available, "
        "so here is the original."
    ).format(language="inglés")
    assert api.sent_to(CARLOS)[-1].params["text"] == (
        f"<b>{heading}</b>\n\nWe planted &lt;beans&gt; &amp; measured them.\n\n<i>{note}</i>"
    )
    api.push_callback(CARLOS, buttons(api, CARLOS)[ES._("Got it")])
    await said(api, CARLOS, 7)
    session.expire_all()
    acked = session.exec(select(Delivery).where(Delivery.acknowledged_at.is_not(None))).one()
    assert (acked.acknowledged_channel, acked.language) == ("telegram", "es")


async def _to_the_photo_of_we_tried_it(api, invite) -> int:  # type: ignore[no-untyped-def]
    """Emma sends Amina a postcard; Amina answers We tried it up to its photo. Returns how many
    messages Amina had been sent by then."""
    await join(api, invite, EMMA, "Emma", "English")
    await join(api, invite, AMINA, "Amina", "العربية")
    seen = len(api.sent_to(EMMA))
    api.push_command(EMMA, "postcard")
    await said(api, EMMA, seen + 1)
    api.push_callback(EMMA, buttons(api, EMMA)["Yusuf Haddad"])
    for answer in ["Counting stairs", "Count the stairs together.", "Touching makes numbers real."]:
        api.push_text(EMMA, answer)
    await said(api, EMMA, seen + 5)
    api.push_callback(EMMA, buttons(api, EMMA)["Skip"])
    await said(api, EMMA, seen + 6)
    amina_seen = len(api.sent_to(AMINA))
    api.push_callback(EMMA, buttons(api, EMMA)["Send"])
    await said(api, EMMA, seen + 7)

    await said(api, AMINA, amina_seen + 1)  # the postcard
    amina_seen += 1
    api.push_callback(AMINA, buttons(api, AMINA)[AR._("We tried it")])
    await said(api, AMINA, amina_seen + 1)
    api.push_callback(AMINA, buttons(api, AMINA)[AR._("Went well")])
    api.push_text(AMINA, "عددنا الدرج معًا")
    await said(api, AMINA, amina_seen + 3)
    return amina_seen + 3


async def test_a_photo_that_could_not_be_fetched_is_asked_for_again(served, api, invite, session):
    """Telegram failed to hand over the file: the family is told and asked again, not left to
    believe the teacher got a photo that was silently dropped."""
    amina_seen = await _to_the_photo_of_we_tried_it(api, invite)
    api.fail(status=500, description="Internal Server Error", method="getFile")
    api.push_photo(AMINA, PHOTO, caption="")
    asked_again = AR._("Sorry, the photo did not come through. Please send it again, or press Skip.")
    assert asked_again in (await said(api, AMINA, amina_seen + 1))[-1]
    assert not api.calls_to("sendPhoto")
    api.push_photo(AMINA, PHOTO, caption="")
    await api.wait_for(lambda: api.calls_to("sendPhoto"), timeout_s=10)
    assert api.calls_to("sendPhoto")[-1].files["photo"] == PHOTO


async def test_postcard_and_we_tried_it_with_a_photo(served, api, invite, session):
    amina_seen = await _to_the_photo_of_we_tried_it(api, invite) - 3
    api.push_photo(AMINA, PHOTO, caption="")
    await said(api, AMINA, amina_seen + 4)

    await api.wait_for(lambda: api.calls_to("sendPhoto"), timeout_s=10)
    photo_call = api.calls_to("sendPhoto")[-1]
    assert photo_call.chat_id == str(EMMA)
    assert photo_call.files["photo"] == PHOTO
    assert "عددنا الدرج معًا" in photo_call.params.get("caption", "") + "".join(texts(api, EMMA)[-2:])
    stored = session.exec(select(MessagePhoto)).one()
    assert stored.data == PHOTO
    assert session.get(Message, stored.message_id).kind == MessageKind.POSTCARD_FROM_HOME


async def test_a_family_that_blocked_the_bot_is_marked_unreached(served, api, invite, session):
    await join(api, invite, EMMA, "Emma", "English")
    await join(api, invite, CARLOS, "Carlos", "Español")
    api.block(CARLOS)
    seen = len(api.sent_to(EMMA))
    api.push_command(EMMA, "highlights")
    api.push_text(EMMA, "Trip on Friday.")
    await said(api, EMMA, seen + 2)
    api.push_callback(EMMA, buttons(api, EMMA)["Send"])
    await said(api, EMMA, seen + 3)

    def carlos_unreached() -> bool:
        session.expire_all()
        return (
            session.exec(
                select(Delivery).where(
                    Delivery.status == DeliveryStatus.UNREACHED, Delivery.channel == "telegram"
                )
            ).first()
            is not None
        )

    await api.wait_for(carlos_unreached, timeout_s=10)
    account = session.exec(select(ChannelAccount).where(ChannelAccount.address == str(CARLOS))).one()
    assert not account.active


async def test_a_429_waits_as_asked_for_that_chat_only(served, api, invite, session, clock):
    await join(api, invite, EMMA, "Emma", "English")
    await join(api, invite, CARLOS, "Carlos", "Español")
    api.rate_limit(CARLOS, retry_after=7)
    seen = len(api.sent_to(EMMA))
    api.push_command(EMMA, "highlights")
    api.push_text(EMMA, "Trip on Friday.")
    await said(api, EMMA, seen + 2)
    api.push_callback(EMMA, buttons(api, EMMA)["Send"])
    await said(api, EMMA, seen + 3)

    def waiting() -> Delivery | None:
        session.expire_all()
        return session.exec(
            select(Delivery).where(Delivery.address == str(CARLOS), Delivery.last_error.is_not(None))
        ).first()

    await api.wait_for(waiting, timeout_s=10)
    delivery = waiting()
    assert delivery.status == DeliveryStatus.PENDING
    assert (delivery.not_before - clock()).total_seconds() == pytest.approx(7, abs=1)


async def test_a_name_no_database_can_store_does_not_block_everyone_after_it(served, api, invite, session):
    """A NUL (PostgreSQL refuses it in text) and a lone surrogate in a first name: the update is
    recorded with them dropped and answered, and the family after it is answered too."""
    odd = api.user(AMINA, first_name="Am\x00ina\ud800", last_name="\ufffeHaddad")
    api.push_text(AMINA, "hello\x00", user=odd)
    api.push_command(CARLOS, "help", user=api.user(CARLOS, first_name="Carlos"))
    await said(api, AMINA, 1)
    await said(api, CARLOS, 1)
    session.expire_all()
    [account] = session.exec(select(ChannelAccount).where(ChannelAccount.address == str(AMINA))).all()
    assert account.display_name == "Amina Haddad"


async def test_updates_it_does_not_understand_do_not_stop_it(served, api, invite):
    await join(api, invite, AMINA, "Amina", "العربية")
    seen = len(api.sent_to(AMINA))
    api.push_sticker(AMINA)
    api.push_edited(AMINA, "edited text")
    api.push_group_join(-100123)
    api.push_my_chat_member(AMINA)
    api.push_command(AMINA, "help")
    sent = await said(api, AMINA, seen + 2)
    assert AR._("Sorry, I can only read text messages and button presses here.") in sent[seen]
    assert "/tried" in sent[seen + 1]


async def test_a_teacher_links_a_class_group_which_then_gets_the_highlights(served, api, invite):
    group = -1_001_234_567_890
    await join(api, invite, EMMA, "Emma", "English")
    api.push_text(group, "hello all, see you Friday", user=api.user(AMINA))
    api.push_command(group, "linkclass", user=api.user(EMMA, first_name="Emma", last_name="Clarke"))
    sent = await said(api, group, 1)
    assert sent == ["This group will now receive the learning highlights for Class 3B."]
    seen = len(api.sent_to(EMMA))
    api.push_command(EMMA, "highlights")
    api.push_text(EMMA, "We planted beans.")
    await said(api, EMMA, seen + 2)
    api.push_callback(EMMA, buttons(api, EMMA)["Send"])
    sent = await said(api, group, 2)
    assert "We planted beans." in sent[1]
    assert "reply_markup" not in api.sent_to(group)[1].params


async def test_partnerbot_run_serves_telegram_when_a_token_is_set(
    api, settings, db, school, invite, tmp_path
):
    """The real command line: `partnerbot run` in its own process, polling the fake Bot API."""
    async with partnerbot_run(telegram_environment(settings.database_url, api), tmp_path) as run:
        await api.wait_for(lambda: api.calls_to("setMyCommands"), timeout_s=30)
        api.push_command(AMINA, "start", invite("Amina"))
        sent = await said(api, AMINA, 2)
        assert "Amina Haddad" in sent[0]
    assert api.token not in run.stderr


async def _highlights_from(api: FakeTelegram, chat: int, text: str) -> None:
    seen = len(api.sent_to(chat))
    api.push_command(chat, "highlights")
    api.push_text(chat, text)
    await said(api, chat, seen + 2)
    api.push_callback(chat, buttons(api, chat)["Send"])
    await said(api, chat, seen + 3)


def bot_message(api: FakeTelegram, chat: int, words: str) -> dict[str, object]:
    """The bot's message in that chat that shows `words`, as Telegram keeps it (and puts in a reply)."""
    return next(m for m in api.chats[str(chat)] if words in str(m.get("text", "")))


async def test_a_reply_is_filed_against_the_message_it_names(served, api, invite, session):
    """Amina replies (Telegram's reply) to Emma's highlights, not to the newer ones from Daniel, and
    Carlos does in his chat, where message numbers are his chat's own. A reply naming no message of
    ours is threaded as a plain message is: to the latest (Daniel's). The four join at once: each
    chat is paced on its own."""
    await asyncio.gather(
        join(api, invite, EMMA, "Emma", "English"),
        join(api, invite, DANIEL, "Daniel", "English"),
        join(api, invite, AMINA, "Amina", "العربية"),
        join(api, invite, CARLOS, "Carlos", "Español"),
    )
    amina_saw, carlos_saw = len(api.sent_to(AMINA)), len(api.sent_to(CARLOS))
    await _highlights_from(api, EMMA, "We measured the playground.")
    await _highlights_from(api, DANIEL, "Swimming starts on Monday.")
    await said(api, AMINA, amina_saw + 2)
    await said(api, CARLOS, carlos_saw + 2)
    emma_saw, daniel_saw = len(api.sent_to(EMMA)), len(api.sent_to(DANIEL))

    api.push_text(AMINA, "كم خطوة؟", reply_to=bot_message(api, AMINA, "We measured the playground."))
    sent = await said(api, AMINA, amina_saw + 3)
    assert AR._("Sent to {name}.").format(name="Emma Clarke") in sent[-1]
    sent = await said(api, EMMA, emma_saw + 1)
    assert sent[-1].startswith("<b>Message from Amina Haddad</b>\n\n")  # the heading in bold
    assert "كم خطوة؟" in sent[-1]
    assert "Reply" in buttons(api, EMMA)
    api.push_text(CARLOS, "¡Qué bien!", reply_to=bot_message(api, CARLOS, "We measured the playground."))
    await said(api, CARLOS, carlos_saw + 3)
    sent = await said(api, EMMA, emma_saw + 2)
    assert sent[-1].startswith("<b>Message from Carlos García</b>\n\n")  # the heading in bold
    assert len(api.sent_to(DANIEL)) == daniel_saw
    emmas = session.exec(select(Message).where(Message.kind == MessageKind.HIGHLIGHT)).all()[0]
    answers = session.exec(select(Message.answers_id).where(col(Message.answers_id).is_not(None))).all()
    assert answers == [emmas.id, emmas.id]

    hers = {"message_id": 9_999, "from": api.user(AMINA), "chat": api.chat(AMINA), "date": 0, "text": "قبل"}
    api.push_text(AMINA, "كم خطوة؟", reply_to=hers)
    sent = await said(api, AMINA, amina_saw + 4)
    assert AR._("Sent to {name}.").format(name="Daniel Lee") in sent[-1]
    await said(api, DANIEL, daniel_saw + 1)
    api.push_text(AMINA, "شكرا", reply_to=api.chats[str(AMINA)][-1])  # "Sent to Daniel Lee."
    sent = await said(api, AMINA, amina_saw + 5)
    assert AR._("Sent to {name}.").format(name="Daniel Lee") in sent[-1]
    sent = await said(api, DANIEL, daniel_saw + 2)
    assert "شكرا" in sent[-1]


@pytest.fixture
def translating(settings, libretranslate):
    """`served` translating through the loopback LibreTranslate ("[<lang>] <text>")."""
    return settings.model_copy(
        update={"translator": "libretranslate", "libretranslate_url": libretranslate.url}
    )


async def test_a_postcard_and_the_answer_from_home_arrive_as_telegram_html(translating, served, api, invite):
    """The family sees the postcard's parts marked up (title, labels, numbered steps, the note);
    the teacher sees the answer from home with the Arabic original in an expandable quote."""
    await join(api, invite, EMMA, "Emma", "English")
    await join(api, invite, AMINA, "Amina", "العربية")
    seen, amina_seen = len(api.sent_to(EMMA)), len(api.sent_to(AMINA))
    api.push_command(EMMA, "postcard")
    await said(api, EMMA, seen + 1)
    api.push_callback(EMMA, buttons(api, EMMA)["Yusuf Haddad"])
    for answer in [
        "Counting stairs",
        "Count the stairs together.\nSay each number out loud.",
        "It makes numbers real.",
    ]:
        api.push_text(EMMA, answer)
    await said(api, EMMA, seen + 5)
    api.push_callback(EMMA, buttons(api, EMMA)["Skip"])
    await said(api, EMMA, seen + 6)
    api.push_callback(EMMA, buttons(api, EMMA)["Send"])
    await said(api, AMINA, amina_seen + 1)
    postcard = api.sent_to(AMINA)[-1].params["text"]
    heading = AR._("Something to try at home, for {student}, from {author}").format(
        student="Yusuf Haddad", author="Emma Clarke"
    )
    note = AR._("Translated automatically from {language}.").format(language=AR.language_name_here("en"))
    lines = [
        f"<b>{heading}</b>",
        "",
        "<i>“[ar] Counting stairs”</i>",
        "",
        f"<b>{AR._('What to try:')}</b>",
        "1. [ar] Count the stairs together.",
        "2. Say each number out loud.",
        "",
        f"<b>{AR._('Why it helps:')}</b>",
        "[ar] It makes numbers real.",
        "",
        f"<i>{note}</i>",
    ]
    assert postcard.replace(RLM, "") == "\n".join(lines)
    assert all(line.startswith(RLM) for line in re.sub("<[^>]+>", "", postcard).split("\n") if line)

    api.push_callback(AMINA, buttons(api, AMINA)[AR._("We tried it")])
    await said(api, AMINA, amina_seen + 2)
    api.push_callback(AMINA, buttons(api, AMINA)[AR._("Went well")])
    api.push_text(AMINA, "عددنا الدرج معًا")
    await said(api, AMINA, amina_seen + 4)
    api.push_callback(AMINA, buttons(api, AMINA)[AR._("Skip")])
    await said(api, EMMA, seen + 8)
    answer = api.sent_to(EMMA)[-1].params["text"]
    assert answer.startswith("<b>Something we tried at home, from Amina Haddad")
    assert "Strategy: Counting stairs\n\nHow it went: Went well\n\n[en] عددنا الدرج معًا" in answer
    assert answer.endswith(
        "\n\n<blockquote expandable><b>Original (Arabic):</b>\nعددنا الدرج معًا</blockquote>"
    )
