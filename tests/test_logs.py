"""Logs carry ids, never bodies or secrets: the libraries stay at INFO under DEBUG, and every secret
in the settings is redacted from every record, raw or URL-encoded."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import CHATTY, configure, secrets_of
from bot.settings import load_settings

TOKEN = "123456:SECRET-token-abcdefgh"
KEY = "k" * 40


@pytest.fixture
def root_handler() -> Iterator[io.StringIO]:
    """A handler on the root logger as `partnerbot` sets one up; logging put back afterwards."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", *CHATTY)}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _settings():  # type: ignore[no-untyped-def]
    return load_settings(_env_file=None, telegram={"token": TOKEN}, secret_key=KEY)


def test_debug_leaves_what_libraries_send_out_of_the_log(root_handler):
    configure(logging.DEBUG, bodies=False, secrets=secrets_of(_settings()))
    logging.getLogger("telegram.ext.ExtBot").debug("Calling Bot API endpoint sendMessage with text=Hola")
    logging.getLogger("httpcore.http11").debug("send_request_headers.started")
    logging.getLogger("bot.engine").debug("event 7 handled")
    assert root_handler.getvalue() == "event 7 handled\n"
    assert {logging.getLogger(name).getEffectiveLevel() for name in CHATTY} == {logging.INFO}


def test_log_bodies_lets_them_in_for_local_debugging(root_handler):
    configure(logging.DEBUG, bodies=True, secrets=())
    logging.getLogger("telegram.ext.ExtBot").debug("Calling Bot API endpoint sendMessage")
    assert "sendMessage" in root_handler.getvalue()


def test_every_secret_in_the_settings_is_redacted_raw_or_encoded(root_handler):
    configure(logging.INFO, bodies=False, secrets=secrets_of(_settings()))
    encoded = TOKEN.replace(":", "%3A")
    logging.getLogger("any.library").info("GET http://x/file/bot%s/photo.jpg", encoded)
    logging.getLogger("any.library").info("token %s, key %s", TOKEN, KEY)
    try:
        raise RuntimeError(f"failed at http://x/bot{TOKEN.replace(':', '%3a')}/getMe")
    except RuntimeError:
        logging.getLogger("any.library").exception("boom")
    text = root_handler.getvalue()
    assert TOKEN not in text and encoded not in text and KEY not in text
    assert text.count("<secret>") == 4
