"""A real browser: Debian's chromium, headless, through /usr/bin/chromedriver (selenium, nothing
downloaded), against the web app served by uvicorn on a loopback port. It signs in through the
link the bot sent, sends a class's highlights from Compose, watches the Got it count change when
a family presses Got it in the test channel, nudges, signs out, and opens a partnership page in
Arabic (right to left). Screenshots go
to $PARTNERBOT_SCREENSHOTS, else a temporary folder; the test prints where."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from bot.i18n import Speaker
from bot.settings import Settings
from bot.web.app import make_web_server
from tests.web.conftest import LINK, a_grandmother_not_joined

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
AR = Speaker("ar")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()) and not os.environ.get("CI"),  # CI must have it
    reason="needs Debian's chromium and chromium-driver: apt-get install -y chromium chromium-driver "
    "(.ci/run installs them)",
)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the pages' queries run on PostgreSQL in the ASGI tests; this one tests the browser."""
    return f"sqlite:///{tmp_path / 'partnerbot.db'}"


@pytest.fixture
def listening() -> Iterator[socket.socket]:
    """A loopback port, bound before the app is built so its links can name it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock
    sock.close()


@pytest.fixture
def settings(settings: Settings, listening: socket.socket) -> Settings:
    return settings.model_copy(update={"public_url": f"http://127.0.0.1:{listening.getsockname()[1]}"})


@pytest.fixture
async def served(app, listening: socket.socket) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """The web app `partnerbot run` serves, on the bound socket (connections wait in its backlog
    until uvicorn accepts them, so there is nothing to wait for)."""
    server = make_web_server(app.web_app(), host="127.0.0.1", port=0)
    task = asyncio.create_task(server.serve(sockets=[listening]))
    yield
    server.should_exit = True
    await task


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PARTNERBOT_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots of the dashboard: {folder}")
    return folder


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root in a container
        "--disable-dev-shm-usage",
        "--window-size=1100,900",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--lang=en",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


async def _in_browser(work: Callable[..., Any], *args: Any) -> Any:
    """Selenium blocks; the app serving the browser runs on this loop, so drive it from a thread."""
    return await asyncio.to_thread(work, *args)


def _open(driver: webdriver.Chrome, url: str) -> None:
    driver.get(url)


def _press(driver: webdriver.Chrome, label: str) -> None:
    """Press the button or follow the link labelled `label`, and wait for the next page."""
    old = driver.find_element(By.TAG_NAME, "html")
    target = driver.find_elements(By.XPATH, f'//button[normalize-space()="{label}"]') or driver.find_elements(
        By.LINK_TEXT, label
    )
    assert target, f"no button or link {label!r} on {driver.current_url}"
    target[0].click()
    _next_page(driver, old)


def _reload(driver: webdriver.Chrome) -> None:
    old = driver.find_element(By.TAG_NAME, "html")
    driver.refresh()
    _next_page(driver, old)


def _next_page(driver: webdriver.Chrome, old: WebElement) -> None:
    """Wait until the page `old` belonged to is gone and the next one has loaded. Chromedriver may
    report the old node as "not in the document" rather than stale: that, too, means it is gone."""

    def gone(_: webdriver.Chrome) -> bool:
        try:
            old.is_enabled()
        except WebDriverException:  # StaleElementReferenceException is one
            return True
        return False

    WebDriverWait(driver, 10).until(gone)
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _got_it(driver: webdriver.Chrome) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, 'td[data-status="acknowledged"]').text)


def _text(driver: webdriver.Chrome, selector: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, selector).text)


def _shoot(driver: webdriver.Chrome, path: Path, width: int = 1100) -> None:
    """A screenshot of the whole page at `width` pixels."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(600, min(int(height) + 40, 3000)))
    assert driver.save_screenshot(str(path))
    driver.set_window_size(1100, 900)


async def _link(person) -> str:  # type: ignore[no-untyped-def]
    replies = await person.say("/dashboard")
    found = LINK.search(replies[0].text)
    assert found, replies[0].text
    return found.group(1)


def _type(driver: webdriver.Chrome, selector: str, text: str) -> None:
    driver.find_element(By.CSS_SELECTOR, selector).send_keys(text)


HIGHLIGHTS = "We planted beans and measured them every day. Ask your child what a seed needs to grow."


async def test_sign_in_send_highlights_see_acks_change_and_read_a_partnership_in_arabic(
    people, served, browser, screenshots, db
):
    emma, sarah, amina = people["Emma"], people["Sarah"], people["Amina"]

    await _in_browser(_open, browser, await _link(emma))
    await _in_browser(_shoot, browser, screenshots / "sign-in.png")
    assert await _in_browser(_text, browser, "h1") == "Sign in to the staff dashboard"
    await _in_browser(_press, browser, "Sign in")
    assert await _in_browser(_text, browser, "h1") == "Messages"

    await _in_browser(_press, browser, "Compose")
    await _in_browser(_type, browser, "#text", HIGHLIGHTS)
    await _in_browser(_press, browser, "Preview")
    assert HIGHLIGHTS in await _in_browser(_text, browser, "#preview-es + div")  # no translator: the original
    await _in_browser(_shoot, browser, screenshots / "compose.png")
    await _in_browser(_press, browser, "Send")
    assert await _in_browser(_text, browser, "h1") == "Messages"
    assert await _in_browser(_got_it, browser) == "0"
    await emma.app.dispatcher.drain()  # what the running dispatcher does when the page wakes it
    assert HIGHLIGHTS in sarah.last.text

    await sarah.press("Got it")
    await _in_browser(_reload, browser)
    assert await _in_browser(_got_it, browser) == "1"
    await _in_browser(_shoot, browser, screenshots / "messages.png")
    await _in_browser(_shoot, browser, screenshots / "messages-phone.png", 390)
    await _in_browser(_press, browser, "Nudge 2")  # Carlos and Amina have not said Got it
    assert await _in_browser(_text, browser, ".flash") == "Reminder sent to 2 people."

    await emma.say("/postcard")
    await emma.press("Yusuf Haddad")
    for answer in ["Counting stairs", "Count the stairs together out loud.", "Touching makes numbers real."]:
        await emma.say(answer)
    await emma.press("Skip")
    await emma.press("Send")
    await amina.press(AR._("We tried it"))
    await amina.press(AR._("Went well"))
    await amina.say("عددنا الدرج معًا وكان يوسف سعيدًا جدًا")
    await amina.press(AR._("Skip"))
    await _in_browser(_press, browser, "Inbox")
    await _in_browser(_shoot, browser, screenshots / "inbox.png")
    await _in_browser(_press, browser, "Reach")
    await _in_browser(_shoot, browser, screenshots / "reach.png")
    await _in_browser(_press, browser, "Compose")
    await _in_browser(_press, browser, "Or write a postcard: Something to try at home")
    await _in_browser(_type, browser, "#title", "Counting stairs")
    await _in_browser(_type, browser, "#steps", "Count the stairs together.\nSay each number out loud.")
    await _in_browser(_type, browser, "#why", "Counting real things makes numbers stick.")
    await _in_browser(_press, browser, "Preview")
    assert "Counting stairs" in await _in_browser(_text, browser, "#preview-es + div")
    await _in_browser(_shoot, browser, screenshots / "compose-postcard.png")
    a_grandmother_not_joined(db)
    await _in_browser(_press, browser, "Invites")
    await _in_browser(_press, browser, "Make the cards")
    assert "Hoda Haddad" in await _in_browser(_text, browser, ".invite")
    await _in_browser(_shoot, browser, screenshots / "invites.png")
    await _in_browser(_shoot, browser, screenshots / "invites-phone.png", 390)
    await _in_browser(_press, browser, "Students")
    await _in_browser(_press, browser, "Yusuf Haddad")
    await _in_browser(_shoot, browser, screenshots / "partnership.png")
    await _in_browser(_press, browser, "Sign out")
    assert await _in_browser(_text, browser, "h1") == "You are signed out"

    await _in_browser(_open, browser, await _link(people["Daniel"]))
    await _in_browser(_press, browser, AR._("Sign in"))
    await _in_browser(_press, browser, AR._("Students"))
    await _in_browser(_press, browser, "Yusuf Haddad")
    direction = await _in_browser(browser.execute_script, "return getComputedStyle(document.body).direction")
    assert direction == "rtl"
    assert await _in_browser(_text, browser, "#goals") == AR._("Shared goals")
    await _in_browser(_shoot, browser, screenshots / "partnership-ar.png")
