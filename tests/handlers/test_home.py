"""/home: the summary page (Slack's App Home), in the person's language, for staff and others."""

from __future__ import annotations

from bot.i18n import Speaker

ES = Speaker("es")
HIGHLIGHTS = "We planted beans. Ask your child what a seed needs."


async def test_staff_home_shows_classes_and_got_it_counts_with_nudge(join):
    people = await join(("Emma", "English"), ("Sarah", "English"), ("Carlos", "Español"))
    emma = people["Emma"]
    [page] = await emma.say("/home")
    assert page.content.home
    assert "Your classes: Class 3B" in page.text
    assert "No highlights or postcards have been sent yet." in page.text
    await emma.say("/highlights")
    await emma.say(HIGHLIGHTS)
    await emma.press("Send")
    await people["Sarah"].press("Got it")
    [page] = await emma.say("/home")
    assert "“We planted beans." in page.text
    assert "Got it: 1 · Not yet: 1" in page.text
    labels = [b.label for b in page.buttons]
    assert labels[:2] == ["Learning highlights", "Something to try at home"]
    assert [label.partition(" · #")[0] for label in labels[2:]] == ["Nudge 1"]


async def test_compose_buttons_start_the_flows(join):
    people = await join(("Emma", "English"), ("Sarah", "English"))
    emma, sarah = people["Emma"], people["Sarah"]
    await emma.say("/home")
    [question] = await emma.press("Learning highlights")
    assert question.text.startswith("Write the learning highlights for Class 3B")
    [confirm] = await emma.say(HIGHLIGHTS)
    assert confirm.text.startswith("Here is your message:")
    await emma.say("/home")
    [question] = await emma.press("Something to try at home")
    assert question.text == "Who is this postcard for?"
    [refused] = await sarah.press_payload("compose:highlights")  # forged by a parent
    assert refused.text.startswith("Sorry, only school staff can do that.")


async def test_family_home_is_in_their_language_and_shows_their_children(join):
    carlos = (await join(("Carlos", "Español")))["Carlos"]
    [page] = await carlos.say("/home")
    assert page.content.home
    assert ES._("You are part of the learning partnership for: {students}.").format(
        students="Sofía García"
    ) in (page.text)
    assert "Class 3B" not in page.text


async def test_unlinked_home_shows_only_how_to_join(chat, school):
    [page] = await chat("stranger").say("/home")
    assert page.content.home
    assert page.text.startswith("Hello! This is the school's partnerbot.")
