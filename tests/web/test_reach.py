"""Reach: Got it rates by week, class, language and channel (charts beside their tables), the
families never reached, and which channel families are on."""

from __future__ import annotations

import re

from sqlmodel import select

from storage.models import ChannelAccount
from tests.web.conftest import sign_in


def _rows(html: str, section: str) -> dict[str, list[str]]:
    """A rates table's rows: label → [sent to, got it, rate]."""
    part = html.split(f'<h2 id="rates-{section}">')[1].split("</section>")[0]
    return {
        label: [count or rate for count, rate in re.findall(r"<td>(\d+)</td>|<span>([^<]+)</span>", rest)]
        for label, rest in re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', part, re.S)
    }


async def test_rates_by_class_language_and_channel_and_who_is_never_reached(people, others, web, session):
    emma = people["Emma"]
    await emma.say("/highlights")
    await emma.say("We planted beans.")
    await emma.press("Send")
    await people["Sarah"].press("Got it")
    await sign_in(web, emma)
    page = await web.get("/dashboard/reach")
    assert page.status_code == 200
    html = page.text
    assert '<svg class="weeks"' in html and 'role="img"' in html
    assert _rows(html, "2") == {"Class 3B": ["3", "1", "33%"]}
    assert _rows(html, "3") == {
        "Arabic": ["1", "0", "0%"],
        "English": ["1", "1", "100%"],
        "Spanish": ["1", "0", "0%"],
    }
    assert _rows(html, "4") == {"test": ["3", "1", "33%"]}
    never = html.split('id="never"')[1].split("</section>")[0]
    assert "Every family has been reached at least once." in never
    assert "Mia Novak" not in html  # another class's family


async def test_a_family_with_no_way_to_reach_them_is_listed(people, web, session, db):
    for account in session.exec(select(ChannelAccount).where(ChannelAccount.address.like("amina%"))).all():
        account.active = False
        session.add(account)
    session.commit()
    emma = people["Emma"]
    await emma.say("/highlights")
    await emma.say("We planted beans.")
    await emma.press("Send")
    await sign_in(web, emma)
    html = (await web.get("/dashboard/reach")).text
    never = html.split('id="never"')[1].split("</section>")[0]
    assert "1 family has never received a highlight or a postcard." in never
    assert "Amina Haddad · Yusuf Haddad" in never
    assert "Sarah Bennett" not in never
    channels = html.split('id="channels"')[1]
    assert re.search(r'<th scope="row">No way to reach them</th><td>1</td>', channels)
    assert re.search(r'<th scope="row">test</th><td>2</td>', channels)
