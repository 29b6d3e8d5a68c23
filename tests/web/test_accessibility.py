"""Accessibility basics on every dashboard page, in English and Arabic: `lang` and `dir`, one h1 and no
skipped heading level, a name for every control, link and image, header cells in tables, and a
palette whose text colours reach WCAG AA contrast (4.5:1) on the backgrounds they are used on."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from bot.i18n import Speaker
from bot.web.dashboard.render import STATIC_DIR
from tests.web.conftest import csrf_of, sign_in, student_id

AR = Speaker("ar")
#: (text colour, background) pairs of the palette, as dashboard.css uses them.
PAIRS = [
    ("text", "background"),
    ("text", "surface"),
    ("muted", "background"),
    ("muted", "surface"),
    ("accent", "background"),
    ("accent", "surface"),
    ("on-accent", "accent"),
    ("acknowledged", "surface"),
    ("waiting", "surface"),
    ("unreached", "surface"),
    ("focus", "surface"),
]


class _Page(HTMLParser):
    """What the checks need from a page: its root attributes, headings, and nameless things."""

    def __init__(self) -> None:
        super().__init__()
        self.root: dict[str, str | None] = {}
        self.headings: list[int] = []
        self.problems: list[str] = []
        self.tables = self.header_cells = 0
        self.landmarks: set[str] = set()
        self._open: list[tuple[str, dict[str, str | None], list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.root = found
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag in {"main", "nav", "header"}:
            self.landmarks.add(tag)
        if tag == "table":
            self.tables += 1
        if tag == "th":
            self.header_cells += 1
            if not found.get("scope"):
                self.problems.append("a th without scope")
        if tag == "img" and not (found.get("alt") or "").strip():
            self.problems.append(f"an image without alt: {found.get('src')}")
        visible_control = tag in {"input", "select", "textarea"} and found.get("type") != "hidden"
        if visible_control and not (found.get("aria-label") or found.get("id")):
            self.problems.append(f"a {tag} without a label")
        if tag in {"a", "button", "title", "summary"}:
            self._open.append((tag, found, []))

    def handle_data(self, data: str) -> None:
        for _, _, text in self._open:
            text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            name, attrs, text = self._open.pop()
            if not ("".join(text).strip() or attrs.get("aria-label")):
                self.problems.append(f"a {name} with no text")


def check(html: str, language: str) -> None:
    page = _Page()
    page.feed(html)
    assert page.root.get("lang") == language
    assert page.root.get("dir") == ("rtl" if language == "ar" else "ltr")
    assert page.headings.count(1) == 1, page.headings
    assert page.headings[0] == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, f"heading level skipped: h{before} then h{after}"
    assert "main" in page.landmarks
    assert page.header_cells >= page.tables
    assert page.problems == []


@pytest.fixture
async def busy(people):
    """A highlight with a reminder sent, a postcard answered from home: every part of every page shows."""
    emma, amina = people["Emma"], people["Amina"]
    await emma.say("/highlights")
    await emma.say("We planted beans.")
    await emma.press("Send")
    await emma.say("/acks")
    await emma.press(next(label for label in emma.buttons() if label.startswith("Nudge 3 · #")))
    await emma.say("/postcard")
    await emma.press("Yusuf Haddad")
    for answer in ["Counting stairs", "Count the stairs together.", "Touching makes numbers real."]:
        await emma.say(answer)
    await emma.press("Skip")
    await emma.press("Send")
    await amina.press(AR._("We tried it"))
    await amina.press(AR._("Went well"))
    await amina.say("عددنا الدرج معًا")
    await amina.press(AR._("Skip"))
    return people


@pytest.mark.parametrize(("who", "language"), [("Emma", "en"), ("Daniel", "ar")])
async def test_every_page_has_the_basics(busy, web, db, who, language):
    path = "/dashboard/sign-in/" + (await busy[who].say("/dashboard"))[0].text.split("/dashboard/sign-in/")[1]
    shown = await web.get(path)
    check(shown.text, language)
    await web.post(path, data={"csrf": csrf_of(shown.text)})
    messages = (await web.get("/dashboard/messages")).text
    check(messages, language)
    message_id = re.search(r'id="message-(\d+)"', messages)[1]
    yusuf = student_id(db, "Yusuf")
    pages = [f"/dashboard/messages/{message_id}", "/dashboard/students", f"/dashboard/students/{yusuf}"]
    for page in [*pages, "/dashboard/inbox", "/dashboard/compose", "/dashboard/reach"]:
        got = await web.get(page)
        assert got.status_code == 200, page
        check(got.text, language)
    check((await web.get("/dashboard/students/999999")).text, language)
    csrf = csrf_of(messages)
    preview = await web.post(
        "/dashboard/compose", data={"csrf": csrf, "class_id": "1", "text": "Hi", "action": "preview"}
    )
    check(preview.text, language)
    web.cookies.clear()
    check((await web.get("/dashboard/messages")).text, "en")  # signed out: the school's language
    await sign_in(web, busy["Emma"])


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_palette_reaches_aa_contrast():
    css = (STATIC_DIR / "dashboard.css").read_text()
    palette = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css))
    for text, background in PAIRS:
        lighter, darker = sorted((_luminance(palette[text]), _luminance(palette[background])), reverse=True)
        ratio = (lighter + 0.05) / (darker + 0.05)
        assert ratio >= 4.5, f"--{text} on --{background}: {ratio:.2f}:1"


def test_the_stylesheet_is_served_from_the_app_itself():
    css = (STATIC_DIR / "dashboard.css").read_text()
    assert "http" not in css and "@import" not in css  # no CDN, no web fonts
