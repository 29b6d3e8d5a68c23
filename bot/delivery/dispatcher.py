"""The dispatcher: sends pending delivery rows through their channel, claimed first, confirmed after.

Woken when handlers queue something (no sleep-polling for interactive replies); it also
looks again every `idle_s` for deliveries whose retry time has come. Woken in the middle of a
paced broadcast, it claims again at once (by priority): a reply goes out within its chat's
limits, not after the broadcast. Its database work runs in a thread, so a busy database
(SQLite has one writer) never stalls the event loop that reads people's messages.

Each channel's rate limits are applied per chat: a delivery whose chat must wait is held in
memory if the wait is short (up to `hold_s`) or put back until then without counting an
attempt, while deliveries to other chats go on; a platform's retry-after pauses what its scope
names: that chat, the sends using one API method, or the whole channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import Engine as DbEngine
from sqlmodel import Session

from bot.channels.base import (
    AddressChanged,
    AmbiguousSend,
    Channel,
    PermanentFailure,
    Rejected,
    RetryLater,
    Scope,
    ServesSomeAddresses,
)
from bot.database import in_thread
from bot.delivery.ratelimit import Monotonic, RateLimiter
from bot.engine import Clock
from bot.events import Attachment, Button, Content, Outbound, Section
from bot.i18n import Speaker
from bot.metrics import Metrics
from storage.messages import photo_of
from storage.models import DeliveryStatus, utcnow
from storage.outbox import (
    Claimed,
    Sent,
    claim_due,
    confirm_all_sent,
    confirm_sent,
    give_up,
    readdress,
    release_claim,
    release_claims,
    retry_later,
)

_LOGGER = logging.getLogger(__name__)

#: Successful sends are confirmed in groups of at most this many: one transaction per group, and
#: a crash re-sends (recorded ambiguous) no more than a group's worth.
CONFIRM_EVERY = 20
#: Sends on their way at once, each to a different chat.
CONCURRENCY = 8
#: Woken with a batch's worth held back by the limits, claim at least this many more (by priority).
WOKEN_ROOM = 20

_T = TypeVar("_T")


#: The longest wait between two tries of a delivery that keeps failing for a passing reason, so one
#: queued during an outage goes within minutes of the platform's return.
RETRY_CAP_S = 300.0
#: The longest a channel that cannot be reached is paused before the next delivery probes it.
CHANNEL_DOWN_CAP_S = 60.0


def backoff_s(attempt: int, *, base_s: float = 2.0, cap_s: float = RETRY_CAP_S) -> float:
    """Exponential back-off with full jitter (attempt 1 → up to 2 s, 2 → 4 s, …, capped)."""
    return random.uniform(0, min(cap_s, base_s * 2 ** (attempt - 1)))  # noqa: S311 - jitter, not crypto


def channel_down_s(failures: int) -> float:
    """How long a channel that failed to connect `failures` times in a row is paused: 1, 2, 4 … 60 s,
    with some jitter so several processes do not probe it at the same instant."""
    return min(CHANNEL_DOWN_CAP_S, 2.0 ** (failures - 1)) * random.uniform(0.75, 1.0)  # noqa: S311


async def _settle(sending: dict[asyncio.Task[None], tuple[str, str]]) -> None:
    """Wait for at least one send on its way to finish (its outcome is already recorded)."""
    done, _ = await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
    for task in done:
        del sending[task]
        task.result()


class Dispatcher:
    def __init__(
        self,
        *,
        db: DbEngine,
        channels: Mapping[str, Channel],
        clock: Clock = utcnow,
        lease: timedelta = timedelta(minutes=2),
        give_up_after: timedelta = timedelta(hours=24),
        batch: int = 100,
        idle_s: float = 5.0,
        hold_s: float = 5.0,
        concurrency: int = CONCURRENCY,
        monotonic: Monotonic = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        metrics: Metrics | None = None,
    ) -> None:
        self._db = db
        self._metrics = metrics
        self._channels = channels
        self._clock = clock
        self._lease = lease
        self._give_up_after = give_up_after
        self._batch = batch
        self._idle_s = idle_s
        self._hold_s = hold_s
        self._concurrency = concurrency
        self._sleep = sleep
        self._limiters = {name: RateLimiter(c.limits, now=monotonic) for name, c in channels.items()}
        self._monotonic = monotonic
        self._claimed_at: dict[int, float] = {}  # each claimed delivery not yet on its way: since when
        self._recheck_s: float | None = None  # the soonest a delivery put back becomes due
        self._down: dict[str, int] = {}  # channels that could not be reached: failures in a row
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()
        self._draining = self._again = False
        self._stopping = False
        self._may_send: Callable[[], Collection[str]] = lambda: self._channels.keys()

    def send_only(self, channels: Callable[[], Collection[str]]) -> None:
        """Claim only for the channels `channels()` names at each claim (those this process is the
        elected sender of, so each channel's limits hold across processes)."""
        self._may_send = channels

    def wake(self) -> None:
        self._wakeup.set()

    def down_channels(self) -> frozenset[str]:
        """The channels whose platform could not be reached at the last try (their sends wait)."""
        return frozenset(self._down)

    async def run(self) -> None:
        """Dispatch until `stop` is called (or until cancelled)."""
        while not self._stopping:
            await self.drain()
            if self._stopping:
                return
            timeout_s = min(self._idle_s, self._recheck_s or self._idle_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=timeout_s)
            self._wakeup.clear()

    def stop(self) -> None:
        """Stop cleanly: start nothing new, let the sends on their way finish and confirm them, and
        put every other claimed delivery back at once (a peer, or this process restarted, takes it
        without waiting for the lease). `run` then returns."""
        self._stopping = True
        self.wake()

    async def drain(self) -> int:
        """Send everything due now, within the rate limits; returns how many deliveries were attempted.

        Deliveries held for a short wait stay claimed across rounds; each round also claims what
        became due meanwhile (an interactive reply is not stuck behind another chat's pacing).
        A claim that found fewer than it asked for took everything due: with nothing held, the
        drain ends there rather than ask again (what is queued later wakes the dispatcher).

        One drain at a time: asked again meanwhile, the call waits for the running drain, which
        takes the new deliveries with its next claim (by priority) and looks once more before it
        ends; the waiting call returns 0 (two drains would pace the same chats unaware of each other).
        """
        if self._draining:
            self._again = True
            await self._drained.wait()
            return 0
        self._draining, attempted = True, 0
        self._drained.clear()
        self._recheck_s = None
        try:
            while True:
                self._again = False
                attempted += await self._drain()
                if not self._again:
                    return attempted
        finally:
            self._draining = False
            self._drained.set()

    async def _drain(self) -> int:
        attempted = 0
        held: list[Claimed] = []
        while True:
            if self._stopping:
                await self._release(held)
                return attempted
            woken = self._wakeup.is_set()  # something was queued: look even if the batch is full
            self._wakeup.clear()
            room = max(self._batch - len(held), WOKEN_ROOM if woken else 0)
            claimed = await self._claim(room) if room > 0 else []
            if not claimed and not held:
                return attempted
            sent, held = await self._round(sorted(held + claimed, key=lambda d: (d.priority, d.id)))
            attempted += sent
            if not held and len(claimed) < room and not self._wakeup.is_set():
                return attempted
            if held and not sent:
                await self._nap(min(self._limiters[d.channel].ready_in(d.address) for d in held))

    async def _nap(self, seconds: float) -> None:
        """Wait until a held delivery's chat is ready, or until something new is queued."""
        if self._wakeup.is_set():
            return
        waits = [asyncio.ensure_future(self._wakeup.wait()), asyncio.ensure_future(self._sleep(seconds))]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def _in_thread(self, work: Callable[[Session], _T]) -> _T:
        """Run `work` in a transaction of its own, off the event loop; through a busy or restarting
        database, however long it takes (what was sent is confirmed, not sent again)."""
        return await in_thread(self._db, work, what="dispatching", sleep=self._sleep)

    async def _claim(self, limit: int) -> list[Claimed]:
        allowed = self._may_send()
        channels, now = [c for c in self._channels if c in allowed], self._clock()
        if not channels:
            return []
        narrow = next(
            ((n, c.own_addresses()) for n, c in self._channels.items() if isinstance(c, ServesSomeAddresses)),
            None,
        )
        claimed = await self._in_thread(
            lambda session: claim_due(
                session=session, channels=channels, now=now, lease=self._lease, limit=limit, narrow=narrow
            )
        )
        at = self._monotonic()
        self._claimed_at.update((d.id, at) for d in claimed)
        return claimed

    def _holdable(self, delivery: Claimed, wait_s: float) -> bool:
        """Whether the delivery may be held in memory `wait_s` more: only while its claim would still
        be less than half the lease old when it goes (else a claim taken again would send it twice)."""
        held_s = self._monotonic() - self._claimed_at.get(delivery.id, self._monotonic())
        return wait_s <= self._hold_s and held_s + wait_s < self._lease.total_seconds() / 2

    async def _round(self, batch: list[Claimed]) -> tuple[int, list[Claimed]]:
        """Send the deliveries whose chat is ready, in order; hold or put back the others.

        Up to `concurrency` sends are on their way at once, each to a different chat (a chat's
        messages go one after another, in order): a platform tens of milliseconds away is then
        no bottleneck below its rate limit. Successful sends are confirmed together,
        `CONFIRM_EVERY` at a time and at the round's end (or when it is cut short): a crash
        before that leaves them claimed, so they go again after the lease and are recorded
        ambiguous, never lost. Woken meanwhile, the round holds the rest and ends, so the new
        deliveries are claimed and sorted in. Returns how many were sent and which are held."""
        sent, held = 0, []
        queued: dict[tuple[str, str], int] = {}  # deliveries per chat waiting ahead of the next one
        accepted: list[Sent] = []
        sending: dict[asyncio.Task[None], tuple[str, str]] = {}  # each send on its way, and its chat
        try:
            for index, delivery in enumerate(batch):
                if self._wakeup.is_set():
                    held += batch[index:]
                    break
                while len(sending) >= self._concurrency:
                    await _settle(sending)
                key = (delivery.channel, delivery.address)
                limiter = self._limiters[delivery.channel]
                wait_s = limiter.ready_in(delivery.address, behind=queued.get(key, 0), paced=False)
                while wait_s <= 0 and key in sending.values():  # the chat's last one is on its way
                    if spacing_s := limiter.spacing_s(delivery.address):  # then a spacing after its answer
                        wait_s = spacing_s
                        break
                    await _settle(sending)  # unspaced: it may follow at once
                    wait_s = limiter.ready_in(delivery.address, behind=queued.get(key, 0), paced=False)
                if wait_s <= 0:
                    pace_s = limiter.ready_in(delivery.address)  # the even start, a moment away
                    if pace_s > 0:
                        await self._nap(pace_s)  # sends on their way go on meanwhile
                        if self._wakeup.is_set():
                            held += batch[index:]
                            break
                    limiter.start()
                    self._claimed_at.pop(delivery.id, None)
                    sending[asyncio.create_task(self._send_counted(delivery, accepted))] = key
                    sent += 1
                    continue
                queued[key] = queued.get(key, 0) + 1
                if self._holdable(delivery, wait_s):
                    held.append(delivery)
                else:
                    await self._put_back(delivery, wait_s)
            while sending:
                await _settle(sending)
        finally:
            for task in sending:  # cut short: what is on its way stays claimed (ambiguous later)
                task.cancel()
            await asyncio.gather(*sending, return_exceptions=True)
            await self._confirm(accepted)
        return sent, held

    async def _send_counted(self, delivery: Claimed, accepted: list[Sent]) -> None:
        limiter, sending = self._limiters[delivery.channel], True
        try:
            sending = await self._send(delivery, accepted)
        finally:  # counted from the answer: the request has surely arrived by then
            if sending:
                limiter.record(delivery.address)
            else:
                limiter.abandon()

    async def _confirm(self, accepted: list[Sent]) -> None:
        """Record the sends the channel accepted, and forget them."""
        if accepted:
            confirming = accepted[:]
            accepted.clear()
            await self._in_thread(lambda session: confirm_all_sent(session=session, sent=confirming))

    async def _release(self, held: list[Claimed]) -> None:
        """Put back, due now, the deliveries held for their chat's pace (stopping)."""
        for delivery in held:
            self._claimed_at.pop(delivery.id, None)
        if held:
            now, ids = self._clock(), [d.id for d in held]
            await self._in_thread(lambda session: release_claims(session=session, delivery_ids=ids, at=now))
            _LOGGER.info("put back %d claimed deliveries, unsent", len(held))

    async def _put_back(self, delivery: Claimed, wait_s: float, error: str | None = None) -> None:
        self._claimed_at.pop(delivery.id, None)
        not_before = self._clock() + timedelta(seconds=wait_s)
        await self._in_thread(
            lambda session: release_claim(
                session=session, delivery_id=delivery.id, not_before=not_before, error=error
            )
        )
        self._recheck_s = min(wait_s, self._recheck_s or wait_s)

    async def _send(self, delivery: Claimed, accepted: list[Sent]) -> bool:
        """Send one delivery and record the outcome; a success joins `accepted`, to be confirmed.
        False if it was put back unsent: a method it uses is paused."""
        channel = self._channels[delivery.channel]
        content = Content.from_json(delivery.content)
        buttons = tuple(Button(label=label, payload=payload) for label, payload in delivery.buttons)
        if buttons and not channel.capabilities.buttons:
            content, buttons = _choices_as_text(content, buttons, delivery.language), ()
        out = Outbound(
            content=content,
            buttons=buttons,
            attachment=await self._photo(delivery) if delivery.with_photo else None,
            urgent=delivery.urgent,
            rtl=delivery.rtl,
            language=delivery.language,
            message_id=delivery.message_id,
        )
        delivery_id = delivery.id
        limiter = self._limiters[delivery.channel]
        try:
            paused_s = limiter.methods_ready_in(channel.limits.methods_of(out))
            if paused_s > 0:
                await self._put_back(delivery, paused_s)
                return False
            started_s = time.monotonic()
            try:
                sent = await channel.send(delivery.address, out)
            finally:
                if self._metrics is not None:
                    self._metrics.send_seconds.labels(delivery.channel).observe(time.monotonic() - started_s)
        except RetryLater as exc:
            self._count(delivery.channel, "retry", limited=exc.after_s is not None)
            await self._retry(delivery, str(exc), exc.after_s, pause=exc)
        except AddressChanged as exc:
            _LOGGER.info("delivery %s: chat moved on %s", delivery_id, delivery.channel)
            await self._confirm(accepted)  # readdressing puts the chat's unconfirmed deliveries back
            at, new_address = self._clock(), exc.new_address
            await self._in_thread(
                lambda session: readdress(
                    session=session, delivery_id=delivery_id, new_address=new_address, at=at
                )
            )
            self.wake()  # they are due again now, at the new address
        except Rejected as exc:
            _LOGGER.warning("delivery %s rejected by %s: %s", delivery_id, delivery.channel, exc)
            self._count(delivery.channel, "failed")
            await self._give_up(delivery_id, DeliveryStatus.FAILED, str(exc))
        except PermanentFailure as exc:
            _LOGGER.warning("delivery %s unreachable on %s: %s", delivery_id, delivery.channel, exc)
            self._count(delivery.channel, "unreached")
            await self._give_up(delivery_id, DeliveryStatus.UNREACHED, str(exc))
        except AmbiguousSend as exc:
            # No idempotency key on chat platforms: assume it arrived rather than risk a duplicate.
            _LOGGER.warning("delivery %s ambiguous on %s: %s", delivery_id, delivery.channel, exc)
            self._count(delivery.channel, "ambiguous")
            at, reason = self._clock(), str(exc)
            await self._in_thread(
                lambda session: confirm_sent(
                    session=session, delivery_id=delivery_id, provider_id="", at=at, ambiguous=reason
                )
            )
        except Exception as exc:
            _LOGGER.exception("delivery %s failed on %s", delivery_id, delivery.channel)
            self._count(delivery.channel, "error")
            await self._retry(delivery, type(exc).__name__, None)
        else:
            self._count(delivery.channel, "sent")
            if self._down.pop(delivery.channel, None) is not None:
                _LOGGER.warning("channel %s is reachable again", delivery.channel)
            accepted.append(Sent(delivery_id, sent.provider_id, self._clock()))
            if len(accepted) >= CONFIRM_EVERY:
                await self._confirm(accepted)
        return True

    def _count(self, channel: str, outcome: str, *, limited: bool = False) -> None:
        if self._metrics is not None:
            self._metrics.sends.labels(channel, outcome).inc()
            if limited:
                self._metrics.rate_limited.labels(channel).inc()

    async def _photo(self, delivery: Claimed) -> Attachment | None:
        photo = await self._in_thread(
            lambda session: photo_of(session=session, message_id=delivery.message_id)
        )
        if photo is None:
            return None
        return Attachment(filename=photo.filename, content_type=photo.content_type, data=photo.data)

    async def _give_up(self, delivery_id: int, status: DeliveryStatus, error: str) -> None:
        await self._in_thread(
            lambda session: give_up(session=session, delivery_id=delivery_id, status=status, error=error)
        )

    async def _retry(
        self, delivery: Claimed, error: str, after_s: float | None, *, pause: RetryLater | None = None
    ) -> None:
        """Try the delivery again later; `pause`: also hold back its scope meanwhile. Only the
        address waits for nothing named: another message to it may go (its own wait).

        A wait the platform named (a 429) is the platform saying when, not a failure: the delivery
        is put back without counting an attempt. A passing failure is tried again with back-off
        until `give_up_after` from when it was queued, so an outage of minutes or hours loses
        nothing. A channel that cannot be reached at all is paused as a whole (a circuit breaker),
        for longer each time in a row, and its other sends wait without trying."""
        channel, limiter = delivery.channel, self._limiters[delivery.channel]
        if after_s is not None:
            if pause is not None:
                limiter.pause(after_s, scope=pause.scope, address=delivery.address, method=pause.method)
            await self._put_back(delivery, after_s, error)
            return
        if self._clock() - (delivery.created_at or self._clock()) >= self._give_up_after:
            _LOGGER.warning(
                "delivery %s failed: still failing %s after it was queued (%s attempts)",
                delivery.id,
                self._give_up_after,
                delivery.attempts,
            )
            await self._give_up(delivery.id, DeliveryStatus.FAILED, error)
            return
        if pause is not None and pause.scope is Scope.CHANNEL:
            failures = self._down[channel] = self._down.get(channel, 0) + 1
            down_s = channel_down_s(failures)
            if failures == 1:
                _LOGGER.warning("channel %s cannot be reached (%s); its sends wait", channel, error)
            limiter.pause(down_s, scope=Scope.CHANNEL)
            await self._put_back(delivery, down_s, error)
            return
        wait_s = backoff_s(delivery.attempts)
        not_before = self._clock() + timedelta(seconds=wait_s)
        await self._in_thread(
            lambda session: retry_later(
                session=session, delivery_id=delivery.id, not_before=not_before, error=error
            )
        )


def _choices_as_text(content: Content, buttons: tuple[Button, ...], language: str) -> Content:
    """For a channel without buttons: the choices as a list to write back (a typed label is a choice
    wherever a question offers buttons), rather than dropped unseen."""
    hint = Speaker(language)._("To answer, write one of these:")
    return replace(
        content, sections=(*content.sections, Section(label=hint, steps=tuple(b.label for b in buttons)))
    )
