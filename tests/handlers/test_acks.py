"""/acks, Nudge, and `partnerbot report acks`: staff see who has heard, per person and per language."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest
from sqlmodel import col, select, update
from typer.testing import CliRunner

from bot.__main__ import cli
from bot.channels.base import PermanentFailure, Rejected
from bot.cli.report import report_cli
from bot.events import Content, Outbound
from bot.i18n import Speaker
from storage.models import ChannelAccount, Delivery, DeliveryStatus, Message, MessageKind

HIGHLIGHTS = "We planted beans. Ask your child what a seed needs."


@pytest.fixture
async def joined(join):
    """Emma (the teacher), Sarah (English) and Carlos (Spanish) joined; Amina did not."""
    people = await join(("Emma", "English"), ("Sarah", "English"), ("Carlos", "Español"))
    return people


@pytest.fixture
async def sent(joined, session):
    """Emma's highlights went to three families: Sarah and Carlos joined; Amina cannot be reached."""
    people = joined
    amina_mail = session.exec(select(ChannelAccount).where(ChannelAccount.address.like("amina%"))).one()
    amina_mail.active = False
    session.add(amina_mail)
    session.commit()
    await _send_highlights(people["Emma"])
    return people


async def _send_highlights(emma) -> None:  # type: ignore[no-untyped-def]
    await emma.say("/highlights")
    await emma.say(HIGHLIGHTS)
    await emma.press("Send")


async def _nudge(chat, count: int) -> list[Outbound]:  # type: ignore[no-untyped-def]
    """Press the Nudge button for `count` people (its label also names the message)."""
    return await chat.press(next(label for label in chat.buttons() if label.startswith(f"Nudge {count} · #")))


def _to_email(session) -> list[Delivery]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.exec(select(Delivery).where(Delivery.channel == "email")).all())


async def test_acks_lists_who_has_and_has_not_acknowledged(sent, session):
    await sent["Sarah"].press("Got it")
    replies = await sent["Emma"].say("/acks")
    report = replies[0].text
    assert "“We planted beans." in report
    assert "Got it: 1 · Not yet: 1 · Can't be reached: 1" in report
    assert "Not yet: \u2068Carlos García\u2069" in report
    assert "Can't be reached: \u2068Amina Haddad\u2069" in report
    message = session.exec(select(Message).where(Message.kind == MessageKind.HIGHLIGHT)).one()
    assert [b.label for b in replies[0].buttons] == [f"Nudge 1 · #{message.id}"]


async def test_nudge_reminds_only_those_who_have_not_acknowledged_in_their_language(sent):
    await sent["Sarah"].press("Got it")
    sarah_seen = len(sent["Sarah"].inbox)
    await sent["Emma"].say("/acks")
    replies = await _nudge(sent["Emma"], 1)
    assert replies[0].text == "Reminder sent to 1 person."
    es = Speaker("es")
    reminder = sent["Carlos"].last
    assert reminder.text.startswith(es._("Reminder:"))
    assert HIGHLIGHTS in reminder.text
    assert len(sent["Sarah"].inbox) == sarah_seen
    # "Got it" on the reminder acknowledges the highlight itself
    await sent["Carlos"].press(es._("Got it"))
    replies = await sent["Emma"].say("/acks")
    assert "Got it: 2 · Not yet: 0 · Can't be reached: 1" in replies[0].text
    assert not replies[0].buttons


async def test_nudge_pressed_again_soon_sends_nothing_more_and_says_when_it_can(sent, clock):
    await sent["Sarah"].press("Got it")
    carlos_seen = len(sent["Carlos"].inbox)
    await sent["Emma"].say("/acks")
    assert (await _nudge(sent["Emma"], 1))[0].text == "Reminder sent to 1 person."
    for _ in range(3):  # pressed again and again: no more rounds
        await sent["Emma"].say("/acks")
        [again] = await _nudge(sent["Emma"], 1)
        assert again.text.startswith("They already got a reminder a short time ago.")
    assert len(sent["Carlos"].inbox) == carlos_seen + 1
    next_at = clock() + timedelta(hours=24)
    assert Speaker("en", "Europe/London").datetime(next_at, "short") in again.text  # in Emma's zone
    clock.advance(hours=24, seconds=1)
    await sent["Emma"].say("/acks")
    assert (await _nudge(sent["Emma"], 1))[0].text == "Reminder sent to 1 person."
    assert len(sent["Carlos"].inbox) == carlos_seen + 2


async def test_report_acks_on_the_command_line_with_a_language_breakdown(
    sent, settings, monkeypatch, tmp_path
):
    await sent["Carlos"].press(Speaker("es")._("Got it"))
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", settings.database_url)
    out = tmp_path / "acks.csv"
    result = CliRunner().invoke(report_cli, ["--csv", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Acknowledgements" in result.output and "By language" in result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if "%)" in line}
    assert "Spanish" in lines and "100%" in lines["Spanish"]
    assert "Arabic" in lines and "0%" in lines["Arabic"]
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {(r["person"], r["status"]) for r in rows} == {
        ("Carlos García", "acknowledged"),
        ("Sarah Bennett", "delivered"),
        ("Amina Haddad", "unreached"),
    }
    assert next(r for r in rows if r["status"] == "acknowledged")["acknowledged_channel"] == "test"


@pytest.mark.email_channel  # Amina hears by e-mail
async def test_a_blocked_chat_and_a_rejected_message_show_as_cannot_be_reached(joined, channel):
    people = joined
    channel.failures["carlos"].append(PermanentFailure("Forbidden: bot was blocked by the user"))
    channel.failures["sarah"].append(Rejected("Bad Request: message is too long"))
    await people["Emma"].say("/highlights")
    await people["Emma"].say(HIGHLIGHTS)
    await people["Emma"].press("Send")
    report = (await people["Emma"].say("/acks"))[0].text
    assert "Got it: 0 · Not yet: 1 · Can't be reached: 2" in report
    assert "Can't be reached: \u2068Carlos García\u2069 and \u2068Sarah Bennett\u2069" in report


async def test_a_family_with_only_e_mail_is_unreached_where_no_e_mail_channel_runs(joined, session):
    """Amina has only the roster's e-mail address, and this installation has no e-mail channel:
    she is unreached at once, not "Not yet" for ever, and a nudge sends nothing to e-mail."""
    await _send_highlights(joined["Emma"])
    replies = await joined["Emma"].say("/acks")
    assert "Got it: 0 · Not yet: 2 · Can't be reached: 1" in replies[0].text
    assert "Can't be reached: \u2068Amina Haddad\u2069" in replies[0].text
    [amina] = _to_email(session)
    assert (amina.status, amina.last_error) == (DeliveryStatus.UNREACHED, "channel not configured")

    replies = await _nudge(joined["Emma"], 2)
    assert replies[0].text == "Reminder sent to 2 people."
    assert _to_email(session) == [amina]


async def test_the_report_shows_an_e_mail_only_family_unreached(joined, settings, monkeypatch, tmp_path):
    await _send_highlights(joined["Emma"])
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", settings.database_url)
    out = tmp_path / "acks.csv"
    result = CliRunner().invoke(report_cli, ["--csv", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    rows = {r["person"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert (rows["Amina Haddad"]["status"], rows["Amina Haddad"]["channel"]) == ("unreached", "email")
    assert rows["Carlos García"]["status"] == "delivered"


async def test_a_family_preferring_e_mail_hears_on_the_channel_that_runs(joined, session):
    """Carlos chose e-mail when it still ran (or the roster said so): Telegram, here the test
    channel, is where his highlights and reminders go while no e-mail channel runs."""
    for account in session.exec(select(ChannelAccount).where(col(ChannelAccount.address).like("carlos%"))):
        account.preferred = account.channel == "email"
        session.add(account)
    session.commit()
    await _send_highlights(joined["Emma"])
    assert HIGHLIGHTS in joined["Carlos"].last.text
    await joined["Sarah"].press("Got it")
    await joined["Emma"].say("/acks")
    await _nudge(joined["Emma"], 1)
    assert joined["Carlos"].last.text.startswith(Speaker("es")._("Reminder:"))
    assert [d.address for d in _to_email(session)] == ["amina.haddad@example.org"]  # unreached


async def test_a_delivery_left_pending_on_a_channel_that_does_not_run_shows_as_unreached(joined, session):
    """Queued before this was checked (or while e-mail ran): nothing will ever send it."""
    await _send_highlights(joined["Emma"])
    carlos = next(
        d
        for d in session.exec(select(Delivery))
        if d.address == "carlos" and "beans" in Content.from_json(d.content).to_plain()
    )
    session.execute(
        update(Delivery)
        .where(col(Delivery.id) == carlos.id)
        .values(status=DeliveryStatus.PENDING, channel="email", address="carlos.garcia@example.org")
    )
    session.commit()
    report = (await joined["Emma"].say("/acks"))[0].text
    assert "Got it: 0 · Not yet: 1 · Can't be reached: 2" in report
    assert "Can't be reached: \u2068Amina Haddad\u2069 and \u2068Carlos García\u2069" in report


async def test_a_failed_send_shows_apart_and_can_be_queued_again(
    joined, channel, settings, monkeypatch, tmp_path
):
    """The report tells "failed" (sending kept failing) from "unreached" (the address is gone), and
    `partnerbot deliveries retry` queues the failed ones again; they then go out."""
    people = joined
    channel.failures["carlos"].append(PermanentFailure("Forbidden: bot was blocked by the user"))
    channel.failures["sarah"].append(Rejected("Bad Request: message is too long"))
    await _send_highlights(people["Emma"])
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", settings.database_url)
    out = tmp_path / "acks.csv"
    assert CliRunner().invoke(report_cli, ["--csv", str(out)]).exit_code == 0
    rows = {r["person"]: r["status"] for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows == {"Carlos García": "unreached", "Sarah Bennett": "failed", "Amina Haddad": "unreached"}

    retried = CliRunner().invoke(cli, ["deliveries", "retry"])
    assert (retried.exit_code, retried.output) == (0, "1 failed deliveries queued again.\n")
    await people["Emma"].app.dispatcher.drain()
    assert channel.sent["sarah"][-1].text.endswith(HIGHLIGHTS)
    again = CliRunner().invoke(cli, ["deliveries", "retry", "--since", "2000-01-01"])
    assert again.output == "0 failed deliveries queued again.\n"


# --- what /acks lists, and what counts as acknowledging ------------------------------------------


async def _postcard_from_home(amina) -> None:  # type: ignore[no-untyped-def]
    await amina.say("/tried")
    await amina.press("Something new")
    await amina.say("Counting stairs")
    await amina.press("Went well")
    await amina.say("We counted the stairs together.")
    await amina.press("Skip")


async def test_a_postcard_sent_to_the_teacher_is_not_in_her_acks(join, session):
    """Amina's postcard to the school side is for Emma to read, not to chase: no Nudge for it."""
    people = await join(("Emma", "English"), ("Amina", "English"))
    await _postcard_from_home(people["Amina"])
    assert "We counted the stairs together." in people["Emma"].last.text
    replies = await people["Emma"].say("/acks")
    assert [r.text for r in replies] == ["No highlights or postcards have been sent yet."]
    assert not replies[0].buttons
    await _send_highlights(people["Emma"])
    [report] = await people["Emma"].say("/acks")
    assert "We planted beans." in report.text and "stairs" not in report.text
    # nor can a forged Nudge remind the school side of Amina's postcard
    from_home = session.exec(select(Message).where(Message.kind == MessageKind.POSTCARD_FROM_HOME)).one()
    [refused] = await people["Emma"].press_payload(f"nudge:{from_home.id}")
    assert refused.text.startswith("That button is no longer active.")


async def test_acks_pages_beyond_the_latest_five_and_each_nudge_names_its_entry(joined, session):
    for n in range(7):
        await joined["Emma"].say("/highlights")
        await joined["Emma"].say(f"Week {n}: we planted beans.")
        await joined["Emma"].press("Send")
    highlights = select(Message).where(Message.kind == MessageKind.HIGHLIGHT)
    ids = [m.id for m in session.exec(highlights.order_by(col(Message.id).desc())).all()]
    [page] = await joined["Emma"].say("/acks")
    entries = page.text.split("\n\n")
    assert [e.split(" · ")[0] for e in entries] == [f"#{i}" for i in ids[:5]]
    assert "Week 6" in entries[0] and "Week 2" in entries[4]
    # one message: its buttons in the order of its entries (a typed 1 is the top entry's Nudge)
    assert [b.label for b in page.buttons] == [f"Nudge 2 · #{i}" for i in ids[:5]] + ["Older messages"]
    assert [b.payload for b in page.buttons[:5]] == [f"nudge:{i}" for i in ids[:5]]

    [older] = await joined["Emma"].press("Older messages")
    assert [e.split(" · ")[0] for e in older.text.split("\n\n")] == [f"#{i}" for i in ids[5:]]
    assert [b.label for b in older.buttons] == [f"Nudge 2 · #{i}" for i in ids[5:]]
    assert (await joined["Emma"].press(f"Nudge 2 · #{ids[6]}"))[0].text == "Reminder sent to 2 people."


async def test_we_tried_it_on_a_postcard_counts_as_acknowledging_it(join):
    people = await join(("Emma", "English"), ("Amina", "English"))
    emma, amina = people["Emma"], people["Amina"]
    await emma.say("/postcard")
    await emma.press("Yusuf Haddad")
    for answer in ["Counting stairs", "Count the stairs together.", "Touching makes numbers real."]:
        await emma.say(answer)
    await emma.press("Skip")
    await emma.press("Send")
    assert "Not yet: \u2068Amina Haddad\u2069" in (await emma.say("/acks"))[0].text
    await amina.press("We tried it")
    await amina.press("Went well")
    await amina.say("We counted them all.")
    await amina.press("Skip")
    report = (await emma.say("/acks"))[0].text
    assert "Got it: 1 · Not yet: 0" in report


async def test_a_reply_to_a_highlight_counts_as_acknowledging_it(sent):
    await sent["Carlos"].say("Gracias, lo haremos el lunes.")
    assert "Gracias, lo haremos el lunes." in sent["Emma"].last.text
    report = (await sent["Emma"].say("/acks"))[0].text
    assert "Got it: 1 · Not yet: 1 · Can't be reached: 1" in report
    assert "Not yet: \u2068Sarah Bennett\u2069" in report
