"""Slack's rate limits, declared for the channel-neutral limiter.

chat.postMessage allows about one message a second per channel, with short bursts, under a
workspace-wide budget ("several hundred a minute"): https://api.slack.com/apis/rate-limits
"""

from __future__ import annotations

from bot.channels.base import AddressKind, Quota, RateLimits
from bot.events import Outbound

#: The Web API methods a send uses: a message, or a person's App Home view.
POST_MESSAGE = "chat.postMessage"
PUBLISH_HOME = "views.publish"
UPLOAD_FILE = "files.completeUploadExternal"
OPEN_FORM = "views.open"


def kind_of(address: str) -> AddressKind:
    """A user id (U…/W…) or a DM (D…) is one person; anything else is a channel several read."""
    return AddressKind.PRIVATE if address.startswith(("U", "W", "D")) else AddressKind.CHANNEL


def methods_of(out: Outbound) -> frozenset[str]:
    if out.content.home:
        return frozenset({PUBLISH_HOME})
    if out.content.form is not None:
        return frozenset({OPEN_FORM})
    photo = out.attachment is not None and out.attachment.data is not None
    return frozenset({POST_MESSAGE, UPLOAD_FILE} if photo else {POST_MESSAGE})


#: Slack lets a channel's one-a-second limit burst briefly: the quota is kept over this window.
BURST_S = 4.0


def slack_limits(*, per_channel_per_s: float | None = 1, overall_per_min: float | None = 300) -> RateLimits:
    """About a message a second per DM or channel (averaged over a few seconds, as Slack allows
    short bursts: a reply of three messages goes at once), and a workspace budget a minute; 0 or
    None: none."""
    per_channel = Quota.rate(per_channel_per_s * BURST_S, BURST_S) if per_channel_per_s else None
    overall = Quota.rate(overall_per_min, 60.0)
    own = (per_channel,) if per_channel else ()
    return RateLimits(
        overall=(overall,) if overall else (),
        per_address={AddressKind.PRIVATE: own, AddressKind.CHANNEL: own},
        kind_of=kind_of,
        methods_of=methods_of,
    )
