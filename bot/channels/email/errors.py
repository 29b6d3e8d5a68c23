"""SMTP failures → the typed send failures of bot.channels.base, by the step of the transaction that
failed: the relay's reply code says what, the step says whether the mail may have gone."""

from __future__ import annotations

import re
from enum import StrEnum

from aiosmtplib import SMTPAuthenticationError, SMTPException, SMTPResponseException

from bot.channels.base import AmbiguousSend, PermanentFailure, Rejected, RetryLater, Scope, SendError

#: The relay is closing the connection for now (busy, over a quota): every mail waits.
SERVICE_UNAVAILABLE = 421
#: After a refused login, try again no sooner than this: a wrong password will not fix itself.
AUTH_RETRY_S = 300.0
#: Enhanced status codes (RFC 3463) that speak of the recipient's address: X.1.* addressing,
#: X.2.1 mailbox disabled.
_ADDRESS_STATUS = re.compile(r"^\s*5\.(1\.\d+|2\.1)\b")
#: X.7.* is the relay's policy (relaying denied, not authenticated): the address may be fine.
_POLICY_STATUS = re.compile(r"^\s*5\.7\.\d+\b")


class Step(StrEnum):
    """Where in the SMTP conversation a failure came."""

    CONNECT = "connect"  # connecting, EHLO, STARTTLS, AUTH: no mail named yet
    MAIL = "mail"  # MAIL FROM: the sender (ours) and the message's size
    RCPT = "rcpt"  # RCPT TO: the recipient's address
    DATA = "data"  # the message was being sent, or was sent and its answer awaited


def classify(exc: OSError | SMTPException, step: Step) -> SendError:
    """A failure at `step` → what the dispatcher does with the delivery.

    A relay that cannot be reached or refuses the login holds back the whole channel (nothing is
    lost: each delivery is retried). 4xx is transient (421: the whole channel waits); a 5xx on RCPT
    marks the address unreached, unless it is the relay's own policy (5.7.*); a 5xx on MAIL or on
    the message refuses this message only. A connection that drops during DATA may have delivered it.
    """
    if isinstance(exc, SMTPAuthenticationError):
        return RetryLater(f"the relay refused the login ({exc.code})", AUTH_RETRY_S, Scope.CHANNEL)
    if isinstance(exc, SMTPResponseException) and exc.code >= 0:
        return _by_code(exc.code, exc.message, step)
    if step is Step.DATA:
        return AmbiguousSend(f"the connection failed during DATA: {type(exc).__name__}")
    return RetryLater(f"the relay is not reachable: {type(exc).__name__}", scope=Scope.CHANNEL)


def _by_code(code: int, message: str, step: Step) -> SendError:
    reason = f"{step} {code} {message.strip()[:120]}"
    if code == SERVICE_UNAVAILABLE or step is Step.CONNECT:
        return RetryLater(reason, scope=Scope.CHANNEL)
    if code < 500:
        return RetryLater(reason)
    if step is Step.RCPT and not _POLICY_STATUS.match(message):
        return PermanentFailure(reason)
    if step is Step.DATA and _ADDRESS_STATUS.match(message):
        return PermanentFailure(reason)
    return Rejected(reason)
