"""Signed tokens: refused when altered, made for another purpose, expired or signed by another key."""

from __future__ import annotations

import stat

import pytest
from itsdangerous import URLSafeTimedSerializer

from bot.errors import ConfigurationError
from bot.settings import load_settings
from bot.web.signing import BadToken, ExpiredToken, Signer, signer_for

KEY = "k" * 40


def test_a_token_carries_its_data_back():
    signer = Signer(KEY)
    assert signer.loads("ack", signer.dumps("ack", {"d": 7}), max_age_s=60) == {"d": 7}


def test_an_altered_token_is_refused():
    token = Signer(KEY).dumps("ack", {"d": 7})
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(BadToken):
        Signer(KEY).loads("ack", forged, max_age_s=60)


def test_a_token_for_another_purpose_or_key_is_refused():
    token = Signer(KEY).dumps("ack", {"d": 7})
    with pytest.raises(BadToken):
        Signer(KEY).loads("sign-in", token, max_age_s=60)
    with pytest.raises(BadToken):
        Signer("z" * 40).loads("ack", token, max_age_s=60)


def test_an_old_token_is_expired():
    old = URLSafeTimedSerializer(KEY, salt="ack").dumps({"d": 7})
    with pytest.raises(ExpiredToken):
        Signer(KEY).loads("ack", old, max_age_s=-1)


def test_without_a_key_one_is_made_once_and_kept_private(tmp_path):
    settings = load_settings(_env_file=None, secret_key_file=str(tmp_path / "partnerbot.key"))
    token = signer_for(settings).dumps("ack", 1)
    assert signer_for(settings).loads("ack", token, max_age_s=60) == 1
    assert stat.S_IMODE((tmp_path / "partnerbot.key").stat().st_mode) == 0o600


def test_a_short_or_placeholder_key_is_refused():
    with pytest.raises(ConfigurationError, match="PARTNERBOT_SECRET_KEY"):
        load_settings(_env_file=None, secret_key="short")
    with pytest.raises(ConfigurationError, match="placeholder"):
        load_settings(_env_file=None, secret_key="changeme")
