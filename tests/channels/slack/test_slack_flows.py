"""Staff flows end to end in Slack: real bolt over Socket Mode against the loopback Slack, through
the engine, storage and dispatcher, with families on the test channel."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from bot.app import App, build_app
from bot.channels.base import InboundSink
from bot.channels.slack.adapter import SlackChannel
from bot.channels.slack.limits import slack_limits
from bot.events import Attachment, Button, Outbound
from bot.i18n import Speaker
from storage.models import ChannelAccount, Delivery, DeliveryStatus, Message, MessageKind, Person
from tests.fakes.slack import FakeSlack
from tests.harness import Chat, TestChannel
from tests.processes import partnerbot_run, slack_environment

EMMA, DANIEL, STRANGER = "U100", "U200", "U300"
AR = Speaker("ar")
PHOTO = b"\xff\xd8\xff\xe0" + b"stairs" * 50
HIGHLIGHTS = "We measured the playground in steps & <feet>. Ask how many!"


class Families(TestChannel):
    """The test channel, running until stopped as a platform's channel does under serve_forever."""

    __test__ = False

    def __init__(self) -> None:
        super().__init__()
        self._stopped = asyncio.Event()

    async def start(self, sink: InboundSink) -> None:
        self.sink = sink
        await self._stopped.wait()

    async def stop(self) -> None:
        self._stopped.set()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack.running() as fake:
        fake.add_user(EMMA, name="Emma Clarke", email="emma.clarke@school.example")
        fake.add_user(DANIEL, name="Daniel Lee", email="daniel.lee@school.example")
        fake.add_user(STRANGER, name="Pat Visitor", email="pat@elsewhere.example")
        yield fake


@pytest.fixture
def staff_emails(school, session) -> None:
    for name, email in (
        ("Emma Clarke", "Emma.Clarke@school.example"),
        ("Daniel Lee", "daniel.lee@school.example"),
    ):
        person = session.exec(select(Person).where(Person.name == name)).one()
        person.email = email
        session.add(person)
    session.commit()


@pytest.fixture
async def served(settings, db, clock, slack, staff_emails, invite) -> AsyncIterator[tuple[App, TestChannel]]:
    """The app serving Slack (Socket Mode, the fake) and the test channel; Sarah and Carlos joined there."""
    families = Families()
    channel = SlackChannel(
        bot_token=slack.bot_token,
        app_token=slack.app_token,
        base_url=slack.base_url,
        limits=slack_limits(per_channel_per_s=None),  # pacing is the limiter's, tested on its own
    )
    app = build_app(settings, {"slack": channel, "test": families}, db=db, clock=clock)
    for name, language in (("Sarah", "English"), ("Carlos", "Español")):
        phone = Chat(app, families, name.lower())
        await phone.say(f"/start {invite(name)}")
        await phone.press(language)
        await phone.say("/cancel")
    serving = asyncio.create_task(app.serve_forever())
    await slack.connected()
    yield app, families
    serving.cancel()
    await asyncio.gather(serving, return_exceptions=True)


def shown(message: dict[str, Any]) -> str:
    """A Slack message as a person reads it: its sections and context, unescaped."""
    parts = []
    for block in message.get("blocks", []):
        if block["type"] == "section":
            parts.append(block["text"]["text"])
        elif block["type"] == "context":
            parts += [element.get("text", "") for element in block["elements"]]
    return html.unescape("\n".join(parts))


async def said(slack: FakeSlack, user: str, count: int) -> list[str]:
    """Wait until `user`'s DM holds `count` messages; all of them as read."""
    await slack.wait_for(lambda: len(slack.posted_to(user)) >= count, timeout_s=10)
    return [shown(m) for m in slack.posted_to(user)]


async def linked_emma(slack: FakeSlack) -> int:
    """Emma's first command links her by her workspace e-mail; she picks English and closes the
    settings. Returns how many messages her DM then holds."""
    await slack.acked(await slack.push_command(EMMA, "help"))
    first = await said(slack, EMMA, 2)
    assert first[0].startswith("Welcome, Emma Clarke! You are now connected with the school.")
    await slack.acked(await slack.push_action(EMMA, value=slack.buttons(EMMA)["English"]))
    await said(slack, EMMA, 4)
    await slack.acked(await slack.push_command(EMMA, "cancel"))
    return len(await said(slack, EMMA, 5))


async def test_highlights_from_slack_reach_families_and_acks_show_got_it(served, slack, session):
    app, families = served
    seen = await linked_emma(slack)
    await slack.acked(await slack.push_command(EMMA, "highlights"))  # a modal opens
    await slack.wait_for(lambda: slack.opened.get(EMMA))
    [modal] = slack.opened[EMMA]
    assert (modal["title"]["text"], modal["submit"]["text"]) == ("Learning highlights", "Send")
    assert [b["label"]["text"] for b in modal["blocks"]] == [
        "Which class are these highlights for?",
        "What did the class learn, and how can families talk about it at home?",
        "Send as urgent",
    ]
    blank = await slack.push_submission(EMMA, {"text": "   "})
    assert (await slack.acked(blank))["payload"] == {
        "response_action": "errors",
        "errors": {"text": "Please write the highlights as a text message."},
    }  # shown in the modal; nothing recorded
    await slack.acked(await slack.push_submission(EMMA, {"text": HIGHLIGHTS}))
    assert (await said(slack, EMMA, seen + 1))[-1].startswith("Sent to 3 people.")

    await slack.wait_for(lambda: families.sent["sarah"] and HIGHLIGHTS in families.sent["sarah"][-1].text)
    sarah = families.sent["sarah"][-1]
    assert "Emma Clarke" in sarah.text
    got_it = next(b for b in sarah.buttons if b.label == "Got it")
    await families.sink(Chat(app, families, "sarah").inbound("Got it", payload=got_it.payload))  # type: ignore[misc]
    await slack.wait_for(lambda: families.sent["sarah"][-1] is not sarah)

    await slack.acked(await slack.push_command(EMMA, "acks"))
    report = (await said(slack, EMMA, seen + 2))[-1]
    assert HIGHLIGHTS.split(".")[0] in report
    assert "Got it: 1" in report
    nudges = [label for label in slack.buttons(EMMA) if label.startswith("Nudge")]
    assert nudges  # Carlos has not answered yet
    await slack.acked(await slack.push_home_opened(EMMA))  # her App Home shows the same count
    await slack.wait_for(lambda: EMMA in slack.views)
    home = shown(slack.views[EMMA])
    assert home.startswith("*Hello again, Emma Clarke!")
    assert "Your classes: Class 3B" in home and "Got it: 1" in home
    compose = {
        e["text"]["text"]: e["value"]
        for b in slack.views[EMMA]["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }
    await slack.acked(
        await slack.push_action(EMMA, value=compose["Learning highlights"])
    )  # from the Home tab
    await slack.wait_for(lambda: len(slack.opened[EMMA]) == 2)  # the same modal as the slash command
    assert slack.opened[EMMA][-1]["title"]["text"] == "Learning highlights"
    assert len(slack.posted_to(EMMA)) == seen + 2  # published, not sent as a message
    account = session.exec(select(ChannelAccount).where(ChannelAccount.address == EMMA)).one()
    assert (account.channel, account.display_name) == ("slack", "Emma Clarke")


async def test_a_retried_event_is_handled_once(served, slack):
    seen = await linked_emma(slack)
    first = await slack.push_dm(EMMA, "/help", event_id="EvRetry")
    retry = await slack.push_dm(EMMA, "/help", event_id="EvRetry", retry_attempt=1)
    await slack.acked(first)
    await slack.acked(retry)
    await said(slack, EMMA, seen + 1)
    await slack.acked(await slack.push_command(EMMA, "help"))  # a later event, to be sure the first is done
    assert len(await said(slack, EMMA, seen + 2)) == seen + 2


async def test_an_unlinked_user_sees_only_how_to_join_and_cannot_press_others_buttons(served, slack, session):
    await linked_emma(slack)
    await slack.acked(await slack.push_dm(EMMA, "/highlights"))  # typed in the DM: the chat's steps
    await slack.acked(await slack.push_dm(EMMA, HIGHLIGHTS))
    await slack.wait_for(lambda: "Send" in slack.buttons(EMMA))
    send = slack.buttons(EMMA)["Send"]
    await slack.acked(await slack.push_action(STRANGER, value=send))  # forged: Emma's button
    [answer] = await said(slack, STRANGER, 1)
    assert answer.startswith("Hello! This is the school's partnerbot.")
    assert "Class 3B" not in answer and "Emma" not in answer
    session.expire_all()
    assert session.exec(select(Message).where(Message.kind == MessageKind.HIGHLIGHT)).all() == []
    await slack.acked(await slack.push_home_opened(STRANGER))
    await slack.wait_for(lambda: STRANGER in slack.views)
    assert shown(slack.views[STRANGER]).startswith("Hello! This is the school's partnerbot.")
    assert len(slack.posted_to(STRANGER)) == 1  # the App Home is not a message


async def test_a_user_who_left_the_workspace_is_unreached(served, slack, session):
    seen = await linked_emma(slack)
    slack.fail("account_inactive", channel=EMMA, times=None)
    await slack.acked(await slack.push_command(EMMA, "help"))
    await slack.wait_for(lambda: _unreached(session), timeout_s=10)
    assert len(slack.posted_to(EMMA)) == seen
    assert len(slack.calls_to("chat.postMessage")) == seen + 1  # tried once, never again


def _unreached(session) -> bool:  # type: ignore[no-untyped-def]
    session.expire_all()
    deliveries = session.exec(select(Delivery).where(Delivery.address == EMMA)).all()
    return any(d.status == DeliveryStatus.UNREACHED for d in deliveries)


async def test_partnerbot_run_serves_slack_over_socket_mode(slack, settings, db, staff_emails, tmp_path):
    """The real command line: `partnerbot run` in its own process, connected to the fake Slack."""
    async with partnerbot_run(slack_environment(settings.database_url, slack), tmp_path) as run:
        await slack.connected(timeout_s=30)
        await slack.acked(await slack.push_command(EMMA, "help"), timeout_s=10)
        first = await said(slack, EMMA, 2)
        assert first[0].startswith("Welcome, Emma Clarke!")
    assert slack.bot_token not in run.stderr and slack.app_token not in run.stderr
    assert "Welcome" not in run.stderr  # no message bodies in the log


class Family:
    """A family on the test channel of a running app: says and presses, then waits for the answer."""

    def __init__(self, app: App, families: TestChannel, address: str, slack: FakeSlack) -> None:
        self.chat, self.families, self.address, self.slack = (
            Chat(app, families, address),
            families,
            address,
            slack,
        )

    @property
    def inbox(self) -> list[Outbound]:
        return self.families.sent[self.address]

    async def send(self, text: str, payload: str | None = None, attachment: Attachment | None = None) -> None:
        before = len(self.inbox)
        await self.chat.app.receive(self.chat.inbound(text, payload=payload, attachment=attachment))
        await self.slack.wait_for(lambda: len(self.inbox) > before, timeout_s=10)

    async def press(self, label: str) -> None:
        def button() -> Button | None:
            latest = next((out for out in reversed(self.inbox) if out.buttons), None)
            return next((b for b in latest.buttons if b.label == label), None) if latest else None

        await self.slack.wait_for(lambda: button() is not None, timeout_s=10)
        pressed = button()
        assert pressed is not None
        await self.send(label, payload=pressed.payload)


@pytest.fixture
async def translating(settings, db, clock, slack, staff_emails, invite, libretranslate):
    """As `served`, translating through the loopback LibreTranslate; Amina joined in Arabic."""
    translated = settings.model_copy(
        update={"translator": "libretranslate", "libretranslate_url": libretranslate.url}
    )
    families = Families()
    channel = SlackChannel(
        bot_token=slack.bot_token,
        app_token=slack.app_token,
        base_url=slack.base_url,
        limits=slack_limits(per_channel_per_s=None),
    )
    app = build_app(translated, {"slack": channel, "test": families}, db=db, clock=clock)
    phone = Chat(app, families, "amina")
    await phone.say(f"/start {invite('Amina')}")
    await phone.press("العربية")
    await phone.say("/cancel")
    serving = asyncio.create_task(app.serve_forever())
    await slack.connected()
    yield Family(app, families, "amina", slack)
    serving.cancel()
    await asyncio.gather(serving, return_exceptions=True)


async def test_an_arabic_family_answers_a_postcard_and_the_teacher_replies_from_slack(translating, slack):
    """Emma sends a postcard from Slack; Amina answers in Arabic with a photo; Emma reads the
    translation with the original beside it in Slack, presses Reply and writes in the modal; Amina
    gets it in Arabic."""
    amina = translating
    seen = await linked_emma(slack)

    await slack.acked(await slack.push_command(EMMA, "postcard"))  # a modal opens
    await slack.wait_for(lambda: slack.opened.get(EMMA))
    [modal] = slack.opened[EMMA]
    assert modal["title"]["text"] == "Something to try at home"
    targets = {o["text"]["text"]: o["value"] for o in modal["blocks"][0]["element"]["options"]}
    answers = {
        "title": "Counting stairs",
        "steps": "Count the stairs together.",
        "why": "Touching makes numbers real.",
    }
    await slack.acked(await slack.push_submission(EMMA, {"target": targets["Yusuf Haddad"], **answers}))
    seen += 1
    assert (await said(slack, EMMA, seen))[-1].startswith("Sent to")
    await slack.wait_for(lambda: any("[ar] Counting stairs" in out.text for out in amina.inbox), timeout_s=10)

    before = len(slack.posted_to(EMMA))
    await amina.press(AR._("We tried it"))
    await amina.press(AR._("Went well"))
    await amina.send("عددنا الدرج معًا وكان يوسف سعيدًا جدًا")
    await amina.send("", attachment=Attachment(filename="stairs.jpg", content_type="image/jpeg", data=PHOTO))
    await slack.wait_for(lambda: PHOTO in slack.files.values(), timeout_s=10)  # shared in Emma's DM
    answers = await said(slack, EMMA, before + 2)
    answer = next(text for text in answers[before:] if "عددنا" in text)
    assert "[en] عددنا الدرج معًا" in answer  # the translation (the fake prefixes the target language)
    assert "*Original (Arabic):*\nعددنا الدرج معًا وكان يوسف سعيدًا جدًا" in answer
    seen = len(slack.posted_to(EMMA))

    await slack.acked(await slack.push_action(EMMA, value=slack.buttons(EMMA)["Reply"]))  # a modal opens
    await slack.wait_for(lambda: len(slack.opened[EMMA]) == 2)
    modal = slack.opened[EMMA][-1]
    assert modal["title"]["text"] == "Reply"
    assert modal["blocks"][0]["label"]["text"].startswith("Write your message to Amina Haddad.")
    await slack.acked(await slack.push_submission(EMMA, {"text": "Wonderful! Try it with the doors too."}))
    assert (await said(slack, EMMA, seen + 1))[-1] == "Sent to Amina Haddad."
    await slack.wait_for(
        lambda: "[ar] Wonderful! Try it with the doors too." in amina.inbox[-1].text, timeout_s=10
    )


async def test_a_postcard_typed_in_the_dm_carries_the_photo_emma_shares(served, slack):
    """The chat's steps in the app's messages (no modal), with a photo shared from Slack: it is
    fetched with the bot token and reaches the families with the postcard."""
    _app, families = served
    seen = await linked_emma(slack)

    async def step(envelope: str) -> None:
        nonlocal seen
        await slack.acked(envelope)
        seen += 1
        await said(slack, EMMA, seen)

    await step(await slack.push_dm(EMMA, "/postcard"))
    await step(await slack.push_action(EMMA, value=slack.buttons(EMMA)["Whole class: Class 3B"]))
    for answer in ["Counting stairs", "Count the stairs together.", "Touching makes numbers real."]:
        await step(await slack.push_dm(EMMA, answer))
    await step(await slack.push_dm(EMMA, "", photo=PHOTO))
    await step(await slack.push_action(EMMA, value=slack.buttons(EMMA)["Send"]))
    await slack.wait_for(lambda: families.sent["sarah"] and families.sent["sarah"][-1].attachment is not None)
    postcard = families.sent["sarah"][-1]
    assert "Counting stairs" in postcard.text
    assert postcard.attachment is not None and postcard.attachment.data == PHOTO


@pytest.fixture
async def paced(settings, db, clock, slack, staff_emails) -> AsyncIterator[App]:
    """The app serving Slack with Slack's own pace: about a message a second per DM."""
    channel = SlackChannel(bot_token=slack.bot_token, app_token=slack.app_token, base_url=slack.base_url)
    app = build_app(settings, {"slack": channel}, db=db, clock=clock)
    serving = asyncio.create_task(app.serve_forever())
    await slack.connected()
    yield app
    serving.cancel()
    await asyncio.gather(serving, return_exceptions=True)


async def test_a_modal_opens_within_the_trigger_while_the_dm_is_busy(paced, slack):
    """Emma's DM has answers waiting for their turn (a message a second); the modal of her next
    command opens at once, within the trigger's 3 s, not after them. Before, it waited in the
    outbox behind them and Slack answered expired_trigger_id."""
    seen = await linked_emma(slack)
    for _ in range(8):  # eight answers: several seconds of the DM's pace
        await slack.acked(await slack.push_command(EMMA, "help"))
    await slack.acked(await slack.push_command(EMMA, "highlights"))
    await slack.wait_for(lambda: slack.opened.get(EMMA), timeout_s=slack.trigger_lifetime_s)
    assert slack.opened[EMMA][0]["title"]["text"] == "Learning highlights"
    assert len(slack.posted_to(EMMA)) < seen + 8  # it did not wait for the answers before it
    assert len(slack.calls_to("views.open")) == 1


async def test_the_app_home_is_shown_again_when_families_press_got_it(served, slack):
    """Emma's App Home is republished by itself: after she sends highlights, and once for the two
    Got it presses of the same moment (coalesced), with the new count."""
    app, families = served
    app.homes.window_s = 1.0  # both presses fall within one window
    await linked_emma(slack)
    await slack.acked(await slack.push_command(EMMA, "highlights"))
    await slack.wait_for(lambda: slack.opened.get(EMMA))
    await slack.acked(await slack.push_submission(EMMA, {"text": HIGHLIGHTS}))
    await slack.wait_for(lambda: EMMA in slack.views)  # never opened: shown because she sent something
    assert "Got it: 0" in shown(slack.views[EMMA])
    await slack.wait_for(lambda: families.sent["sarah"] and families.sent["carlos"])
    published = len(slack.calls_to("views.publish"))

    for family in ("sarah", "carlos"):
        got_it = next(b for b in families.sent[family][-1].buttons if b.label in ("Got it", "Entendido"))
        await families.sink(Chat(app, families, family).inbound("", payload=got_it.payload))  # type: ignore[misc]
    await slack.wait_for(lambda: "Got it: 2" in shown(slack.views[EMMA]))
    await app.intake.settled()
    assert len(slack.calls_to("views.publish")) == published + 1


async def test_a_message_shortcut_opens_the_modal_with_the_message_in_it(served, slack):
    """Emma uses "Send as class highlights" on a message of the staff channel: the highlights
    modal opens with its text (Slack's escaping undone); she sends it as it is."""
    _app, families = served
    seen = await linked_emma(slack)
    await slack.acked(await slack.push_shortcut(EMMA, "pb:highlights", HIGHLIGHTS))
    await slack.wait_for(lambda: slack.opened.get(EMMA))
    [modal] = slack.opened[EMMA]
    assert modal["title"]["text"] == "Learning highlights"
    assert modal["blocks"][1]["element"]["initial_value"] == HIGHLIGHTS
    await slack.acked(await slack.push_submission(EMMA, {}))  # the class is the only one; text kept
    assert (await said(slack, EMMA, seen + 1))[-1].startswith("Sent to 3 people.")
    await slack.wait_for(lambda: families.sent["sarah"] and HIGHLIGHTS in families.sent["sarah"][-1].text)

    await slack.acked(await slack.push_shortcut(EMMA, "pb:postcard", "Count the stairs together."))
    await slack.wait_for(lambda: len(slack.opened[EMMA]) == 2)
    postcard = slack.opened[EMMA][-1]
    assert postcard["title"]["text"] == "Something to try at home"
    steps = next(b for b in postcard["blocks"] if b["block_id"] == "steps")
    assert steps["element"]["initial_value"] == "Count the stairs together."


async def test_a_photo_added_in_the_postcard_modal_reaches_the_families(served, slack):
    """The postcard modal has a photo field (Slack's file input); the photo Emma adds there is
    fetched with the bot token and reaches the families with the postcard, as on Telegram."""
    _app, families = served
    seen = await linked_emma(slack)
    await slack.acked(await slack.push_command(EMMA, "postcard"))
    await slack.wait_for(lambda: slack.opened.get(EMMA))
    [modal] = slack.opened[EMMA]
    photo = next(b for b in modal["blocks"] if b["block_id"] == "photo")
    assert (photo["element"]["type"], photo["optional"]) == ("file_input", True)
    assert photo["label"]["text"] == "A photo (you can leave this empty)"
    targets = {o["text"]["text"]: o["value"] for o in modal["blocks"][0]["element"]["options"]}
    answers = {
        "target": targets["Whole class: Class 3B"],
        "title": "Counting stairs",
        "steps": "Count the stairs together.",
        "why": "Touching makes numbers real.",
        "photo": PHOTO,
    }
    await slack.acked(await slack.push_submission(EMMA, answers))
    assert (await said(slack, EMMA, seen + 1))[-1].startswith("Sent to")
    await slack.wait_for(
        lambda: families.sent["sarah"] and "Counting stairs" in families.sent["sarah"][-1].text
    )
    postcard = families.sent["sarah"][-1]
    assert postcard.attachment is not None and postcard.attachment.data == PHOTO
