"""/acks, Nudge, and `partnerbot report acks`: staff see who has heard, per person and per language."""

from __future__ import annotations

import csv

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.channels.base import PermanentFailure, Rejected
from bot.cli.report import report_cli
from bot.i18n import Speaker
from storage.models import ChannelAccount

HIGHLIGHTS = "We planted beans. Ask your child what a seed needs."


@pytest.fixture
async def joined(chat, invite):
    """Emma (the teacher), Sarah (English) and Carlos (Spanish) joined; Amina did not."""
    people = {}
    for name, language in [("Emma", "English"), ("Sarah", "English"), ("Carlos", "Español")]:
        phone = chat(name.lower())
        await phone.say(f"/start {invite(name)}")
        await phone.press(language)
        await phone.say("/cancel")
        people[name] = phone
    return people


@pytest.fixture
async def sent(joined, session):
    """Emma's highlights went to three families: Sarah and Carlos joined; Amina cannot be reached."""
    people = joined
    amina_mail = session.exec(select(ChannelAccount).where(ChannelAccount.address.like("amina%"))).one()
    amina_mail.active = False
    session.add(amina_mail)
    session.commit()
    await people["Emma"].say("/highlights")
    await people["Emma"].say(HIGHLIGHTS)
    await people["Emma"].press("Send")
    return people


async def test_acks_lists_who_has_and_has_not_acknowledged(sent):
    await sent["Sarah"].press("Got it")
    replies = await sent["Emma"].say("/acks")
    report = replies[0].text
    assert "“We planted beans." in report
    assert "Got it: 1 · Not yet: 1 · Can't be reached: 1" in report
    assert "Not yet: Carlos García" in report
    assert "Can't be reached: Amina Haddad" in report
    assert [b.label for b in replies[0].buttons] == ["Nudge 1"]


async def test_nudge_reminds_only_those_who_have_not_acknowledged_in_their_language(sent):
    await sent["Sarah"].press("Got it")
    sarah_seen = len(sent["Sarah"].inbox)
    await sent["Emma"].say("/acks")
    replies = await sent["Emma"].press("Nudge 1")
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


async def test_report_acks_on_the_command_line_with_a_language_breakdown(
    sent, settings, monkeypatch, tmp_path
):
    await sent["Carlos"].press(Speaker("es")._("Got it"))
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", settings.database_url)
    out = tmp_path / "acks.csv"
    result = CliRunner().invoke(report_cli, ["--csv", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Acknowledgements" in result.output and "By language" in result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 5}
    assert "Spanish" in lines and "100%" in lines["Spanish"]
    assert "Arabic" in lines and "0%" in lines["Arabic"]
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {(r["person"], r["status"]) for r in rows} == {
        ("Carlos García", "acknowledged"),
        ("Sarah Bennett", "delivered"),
        ("Amina Haddad", "unreached"),
    }
    assert next(r for r in rows if r["status"] == "acknowledged")["acknowledged_channel"] == "test"


async def test_a_blocked_chat_and_a_rejected_message_show_as_cannot_be_reached(joined, channel):
    people = joined
    channel.failures["carlos"].append(PermanentFailure("Forbidden: bot was blocked by the user"))
    channel.failures["sarah"].append(Rejected("Bad Request: message is too long"))
    await people["Emma"].say("/highlights")
    await people["Emma"].say(HIGHLIGHTS)
    await people["Emma"].press("Send")
    report = (await people["Emma"].say("/acks"))[0].text
    assert "Got it: 0 · Not yet: 1 · Can't be reached: 2" in report
    assert "Can't be reached: Carlos García, Sarah Bennett" in report
