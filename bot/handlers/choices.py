"""What a person's preferences are made of, apart from the conversation that asks for them: the
choices offered, the times a person can type, and how their current choices read in /settings."""

from __future__ import annotations

import re
from datetime import time

from bot.handlers.flow import Turn
from bot.i18n import N_, Speaker
from storage.accounts import accounts_of
from storage.ids import id_of
from storage.models import ChannelAccount, Frequency, Involvement
from storage.people import memberships_of

CHANNEL_NAMES = {
    "console": N_("This chat"),  # a try-out in the terminal stands in for a phone's chat
    "telegram": N_("Telegram"),
    "slack": N_("Slack"),
    "email": N_("E-mail"),
}
FREQUENCY_LABELS = {
    Frequency.IMMEDIATE: N_("Straight away"),
    Frequency.DAILY: N_("Daily digest"),
    Frequency.WEEKLY: N_("Weekly digest"),
    Frequency.FORTNIGHTLY: N_("Digest every two weeks"),
}
INVOLVEMENT_LABELS = {
    Involvement.ADVISER: N_("Adviser: help plan and decide"),
    Involvement.SUPPORT: N_("Support: try strategies at home"),
    Involvement.INFORMED: N_("Just keep me informed"),
}
DIGEST_TIMES = (time(7, 0), time(12, 0), time(16, 0), time(19, 0))
QUIET_CHOICES = ((time(21, 0), time(7, 0)), (time(22, 0), time(7, 0)), (time(20, 0), time(8, 0)))
_TIME = r"(\d{1,2})(?:[:.h](\d{2})?)?"
_TIME_RE = re.compile(rf"^\s*{_TIME}\s*$")
_RANGE_RE = re.compile(rf"^\s*{_TIME}\s*(?:-|–|—|to|a|à|إلى|到|đến)\s*{_TIME}\s*$", re.IGNORECASE)


def parse_time(text: str) -> time | None:
    """ "7", "07:30", "19.00", "٢١:٠٠" → a time; anything else → None."""
    match = _TIME_RE.match(text)
    return _to_time(match.group(1), match.group(2)) if match else None


def parse_range(text: str) -> tuple[time, time] | None:
    """ "21:00-07:00" (any dash, or "to" in a few languages) → (start, end)."""
    match = _RANGE_RE.match(text)
    if not match:
        return None
    start, end = _to_time(match.group(1), match.group(2)), _to_time(match.group(3), match.group(4))
    return (start, end) if start and end and start != end else None


def _to_time(hours: str, minutes: str | None) -> time | None:
    h, m = int(hours), int(minutes or 0)
    return time(h, m) if 0 <= h <= 23 and 0 <= m <= 59 else None


def channel_label(turn: Turn, account: ChannelAccount) -> str:
    name = turn._(CHANNEL_NAMES.get(account.channel, account.channel))
    detail = account.display_name or (account.address if account.channel == "email" else None)
    return f"{name} ({detail})" if detail else name


def time_range(speaker: Speaker, start: time, end: time) -> str:
    return f"{speaker.time(start)} – {speaker.time(end)}"


def offered(turn: Turn) -> list[ChannelAccount]:
    """The person's accounts messages can go to: active, on a channel this installation runs (an
    e-mail address from the roster is not offered while no e-mail channel is set up)."""
    accounts = accounts_of(session=turn.session, person_id=turn.me.id, active_only=True)
    return [a for a in accounts if a.channel in turn.channels]


def summary(turn: Turn) -> str:
    """The person's current choices, one per line."""
    person, speaker = turn.me, turn.speaker
    accounts = offered(turn)
    preferred = next((a for a in accounts if a.preferred), accounts[0] if accounts else None)
    lines = [
        turn._("Language: {language}").format(language=speaker.language_name(person.language)),
        turn._("Where to reach you: {channel}").format(
            channel=channel_label(turn, preferred) if preferred else turn._("not chosen yet")
        ),
        turn._("How often: {frequency}").format(frequency=describe_frequency(turn)),
        turn._("Quiet hours: {hours}").format(
            hours=time_range(speaker, person.quiet_start, person.quiet_end)
            if person.quiet_start and person.quiet_end
            else turn._("none")
        ),
    ]
    lines += [
        turn._("{student} – {involvement}").format(
            student=m.student_name, involvement=turn._(INVOLVEMENT_LABELS[m.involvement])
        )
        for m in memberships_of(session=turn.session, person_id=id_of(person))
    ]
    return "\n".join(f"• {line}" for line in lines)


def describe_frequency(turn: Turn) -> str:
    person, speaker = turn.me, turn.speaker
    label = turn._(FREQUENCY_LABELS[person.frequency])
    if person.frequency == Frequency.IMMEDIATE or person.digest_time is None:
        return label
    if person.frequency == Frequency.DAILY or person.digest_weekday is None:
        return turn._("{frequency} at {time}").format(frequency=label, time=speaker.time(person.digest_time))
    return turn._("{frequency} on {weekday} at {time}").format(
        frequency=label, weekday=speaker.weekday(person.digest_weekday), time=speaker.time(person.digest_time)
    )
