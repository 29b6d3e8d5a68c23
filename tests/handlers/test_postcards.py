"""Postcards both ways, replies threading back to the author, and Show original."""

from __future__ import annotations

import pytest
from sqlmodel import select, update

from bot.events import Attachment
from bot.i18n import Speaker
from storage.models import Message, MessageKind, MessagePhoto, PartnershipMember, Person

AR = Speaker("ar")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def people(join):
    """Emma (teacher), Daniel (support), Priya (speech therapist) and the Haddad and García families."""
    joined = await join(
        ("Emma", "English"),
        ("Daniel", "English"),
        ("Priya", "English"),
        ("Amina", "العربية"),
        ("Carlos", "Español"),
    )
    return joined


async def _postcard_to_yusuf(emma, photo: bool = False):
    replies = await emma.say("/postcard")
    assert "Whole class: Class 3B" in [b.label for b in replies[0].buttons]
    await emma.press("Yusuf Haddad")
    await emma.say("Counting stairs")
    await emma.say("Count the stairs together out loud.\nTake turns saying the next number.")
    await emma.say("Counting things he can touch makes numbers real.")
    if photo:
        await emma.send(
            emma.inbound("", attachment=Attachment(filename="stairs.png", content_type="image/png", data=PNG))
        )
    else:
        await emma.press("Skip")
    replies = await emma.press("Send")
    assert replies[0].text.startswith("Sent to 1 person.")


async def test_something_to_try_at_home_reaches_only_that_family(people):
    await _postcard_to_yusuf(people["Emma"])
    amina = people["Amina"].last
    assert "“Counting stairs”" in amina.text
    assert "Count the stairs together out loud." in amina.text
    assert [b.label for b in amina.buttons] == [AR._("Got it"), AR._("We tried it"), AR._("Ask a question")]
    assert all("Counting stairs" not in out.text for out in people["Carlos"].inbox)


async def test_a_postcard_with_a_photo_sends_the_photo(people, channel, session):
    await _postcard_to_yusuf(people["Emma"], photo=True)
    assert people["Amina"].last.attachment.data == PNG
    assert session.exec(select(MessagePhoto)).one().data == PNG


async def test_we_tried_it_goes_to_the_school_side_filed_against_the_postcard(people, session):
    await _postcard_to_yusuf(people["Emma"])
    amina = people["Amina"]
    replies = await amina.press(AR._("We tried it"))
    assert replies[0].text == AR._("How did it go?")
    await amina.press(AR._("Went well"))
    await amina.say("عددنا الدرج معًا وكان يوسف سعيدًا جدًا")
    replies = await amina.press(AR._("Skip"))
    assert replies[0].text == AR._("Thank you! Your postcard was sent to: {names}.").format(
        names="Emma Clarke وDaniel Lee وPriya Patel"
    )

    answered = session.exec(select(Message).where(Message.kind == MessageKind.POSTCARD_TO_HOME)).one()
    from_home = session.exec(select(Message).where(Message.kind == MessageKind.POSTCARD_FROM_HOME)).one()
    assert (from_home.answers_id, from_home.language, from_home.details["outcome"]) == (
        answered.id,
        "ar",
        "well",
    )
    emma_sees = people["Emma"].last.text
    assert "Something we tried at home, from Amina Haddad (mother of Yusuf Haddad)" in emma_sees
    assert "Strategy: Counting stairs" in emma_sees and "How it went: Went well" in emma_sees
    assert "عددنا الدرج معًا" in emma_sees  # the original, always
    assert [b.label for b in people["Emma"].last.buttons] == ["Got it", "Reply"]
    assert "عددنا الدرج" in people["Priya"].last.text  # the speech therapist advises on Yusuf
    assert all("عددنا" not in out.text for out in people["Carlos"].inbox)


async def test_tried_command_offers_the_postcards_received_and_something_new(people, session):
    await _postcard_to_yusuf(people["Emma"])
    amina = people["Amina"]
    replies = await amina.say("/tried")
    assert [b.label for b in replies[0].buttons] == ["Counting stairs", AR._("Something new")]
    await amina.press(AR._("Something new"))
    await amina.say("قراءة قصة قبل النوم")
    await amina.press(AR._("Mixed"))
    await amina.say("كان متعبًا")
    await amina.send(
        amina.inbound(
            "", attachment=Attachment(filename="p.jpg", content_type="image/jpeg", data=b"\xff\xd8jpeg")
        )
    )
    from_home = session.exec(select(Message).where(Message.kind == MessageKind.POSTCARD_FROM_HOME)).one()
    assert (from_home.answers_id, from_home.details["title"]) == (None, "قراءة قصة قبل النوم")
    assert (
        session.exec(select(MessagePhoto).where(MessagePhoto.message_id == from_home.id)).one().data
        == b"\xff\xd8jpeg"
    )
    assert people["Daniel"].last.attachment.data == b"\xff\xd8jpeg"


async def test_ask_a_question_threads_to_the_author_and_the_answer_comes_back(people):
    await _postcard_to_yusuf(people["Emma"])
    amina, emma = people["Amina"], people["Emma"]
    await amina.press(AR._("Ask a question"))
    replies = await amina.say("هل نعد بالعربية أم بالإنجليزية؟")
    assert replies[0].text == AR._("Sent to {name}.").format(name="Emma Clarke")
    assert "هل نعد بالعربية" in emma.last.text
    assert emma.last.text.startswith("Message from Amina Haddad")
    await emma.press("Reply")
    await emma.say("Both are great! Use the language you love.")
    assert "Both are great!" in amina.last.text
    assert AR._("Reply") in [b.label for b in amina.last.buttons]


async def test_free_text_answers_the_latest_message(people):
    await _postcard_to_yusuf(people["Emma"])
    replies = await people["Amina"].say("شكرا جزيلا")
    assert replies[0].text == AR._("Sent to {name}.").format(name="Emma Clarke")
    assert "شكرا جزيلا" in people["Emma"].last.text


async def test_with_a_trigger_the_postcard_is_one_form_and_its_answers_are_checked(join):
    """Where the channel can open a form, /postcard is one; the answers are checked like the
    chat's steps (a target of the teacher's, all three texts, within their lengths)."""
    people = await join(("Emma", "English"), ("Amina", "العربية"))
    emma = people["Emma"]
    [form] = await emma.send(emma.inbound("/postcard", trigger="t1"))
    assert form.content.form is not None
    fields = {f.name: f for f in form.content.form.fields}
    assert list(fields) == ["target", "title", "steps", "why", "photo"]
    targets = dict(fields["target"].options)
    payload = form.content.form.payload
    texts = {
        "title": "Counting stairs",
        "steps": "Count the stairs together.",
        "why": "Touch makes numbers real.",
    }

    async def submit(**values: str) -> str:
        [reply] = await emma.send(emma.inbound("", payload=payload, form_values=values))
        return reply.text

    assert await submit(target="student:999", **texts) == (
        "That button is no longer active. Send /help to see what you can do."
    )
    assert await submit(target=targets["Yusuf Haddad"], **(texts | {"why": " "})) == (
        "Please answer with a text message."
    )
    assert (await submit(target=targets["Yusuf Haddad"], **texts)).startswith("Sent to")
    assert "Counting stairs" in people["Amina"].last.text


async def test_arabic_speaks_to_a_mother_and_a_father_each_in_their_form_and_neutral_otherwise(join, session):
    """The roster says Amina is Yusuf's mother and Carlos is Sofía's father; Arabic says "you tried"
    differently to each. A carer, of whom the roster says nothing more, reads the neutral form."""
    people = await join(("Amina", "العربية"), ("Carlos", "العربية"), ("Sarah", "العربية"))
    asked = {name: (await people[name].say("/tried"))[0].text for name in ("Amina", "Carlos")}
    assert asked == {"Amina": "أي فكرة جرّبتِ؟", "Carlos": "أي فكرة جرّبتَ؟"}
    sarah = session.exec(select(Person).where(Person.name == "Sarah Bennett")).one()
    session.exec(
        update(PartnershipMember).where(PartnershipMember.person_id == sarah.id).values(relationship="carer")
    )  # type: ignore[call-overload]
    session.commit()
    assert (await people["Sarah"].say("/tried"))[0].text == "أي فكرة جرّبتم؟"
