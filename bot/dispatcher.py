"""The dispatcher: sends pending delivery rows through their channel, claimed first, confirmed after.

Woken when handlers queue something (no sleep-polling for interactive replies); it also
looks again every `idle_s` for deliveries whose retry time has come.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import Engine as DbEngine

from bot.channels.base import (
    AddressChanged,
    AmbiguousSend,
    Channel,
    PermanentFailure,
    Rejected,
    RetryLater,
)
from bot.engine import Clock
from bot.events import Attachment, Button, Outbound
from storage.db import session_scope
from storage.messages import photo_of
from storage.models import Delivery, DeliveryStatus, utcnow
from storage.outbox import claim_due, confirm_sent, give_up, readdress, retry_later

_LOGGER = logging.getLogger(__name__)


def backoff_s(attempt: int, *, base_s: float = 2.0, cap_s: float = 600.0) -> float:
    """Exponential back-off with full jitter (attempt 1 → up to 2 s, 2 → 4 s, …)."""
    return random.uniform(0, min(cap_s, base_s * 2 ** (attempt - 1)))  # noqa: S311 - jitter, not crypto


class Dispatcher:
    def __init__(
        self,
        *,
        db: DbEngine,
        channels: Mapping[str, Channel],
        clock: Clock = utcnow,
        lease: timedelta = timedelta(minutes=2),
        max_attempts: int = 5,
        batch: int = 100,
        idle_s: float = 5.0,
    ) -> None:
        self._db = db
        self._channels = channels
        self._clock = clock
        self._lease = lease
        self._max_attempts = max_attempts
        self._batch = batch
        self._idle_s = idle_s
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        """Dispatch until cancelled."""
        while True:
            await self.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._idle_s)
            self._wakeup.clear()

    async def drain(self) -> int:
        """Send everything due now; returns how many deliveries were attempted."""
        attempted = 0
        while True:
            with session_scope(self._db) as session:
                claimed = claim_due(
                    session=session,
                    channels=list(self._channels),
                    now=self._clock(),
                    lease=self._lease,
                    limit=self._batch,
                )
            if not claimed:
                return attempted
            for delivery in claimed:
                await self._send(delivery)
            attempted += len(claimed)

    async def _send(self, delivery: Delivery) -> None:
        channel = self._channels[delivery.channel]
        out = Outbound(
            text=delivery.text,
            buttons=tuple(Button(label=b["label"], payload=b["payload"]) for b in delivery.buttons),
            attachment=self._photo(delivery) if delivery.with_photo else None,
            urgent=delivery.urgent,
            rtl=delivery.rtl,
        )
        delivery_id = delivery.id or 0
        try:
            sent = await channel.send(delivery.address, out)
        except RetryLater as exc:
            self._retry(delivery, str(exc), exc.after_s)
        except AddressChanged as exc:
            _LOGGER.info("delivery %s: chat moved on %s", delivery_id, delivery.channel)
            with session_scope(self._db) as session:
                readdress(
                    session=session, delivery_id=delivery_id, new_address=exc.new_address, at=self._clock()
                )
        except Rejected as exc:
            _LOGGER.warning("delivery %s rejected by %s: %s", delivery_id, delivery.channel, exc)
            with session_scope(self._db) as session:
                give_up(
                    session=session, delivery_id=delivery_id, status=DeliveryStatus.FAILED, error=str(exc)
                )
        except PermanentFailure as exc:
            _LOGGER.warning("delivery %s unreachable on %s: %s", delivery_id, delivery.channel, exc)
            with session_scope(self._db) as session:
                give_up(
                    session=session, delivery_id=delivery_id, status=DeliveryStatus.UNREACHED, error=str(exc)
                )
        except AmbiguousSend as exc:
            # No idempotency key on chat platforms: assume it arrived rather than risk a duplicate.
            _LOGGER.warning("delivery %s ambiguous on %s: %s", delivery_id, delivery.channel, exc)
            with session_scope(self._db) as session:
                confirm_sent(
                    session=session,
                    delivery_id=delivery_id,
                    provider_id="",
                    at=self._clock(),
                    note=f"ambiguous: {exc}",
                )
        except Exception as exc:
            _LOGGER.exception("delivery %s failed on %s", delivery_id, delivery.channel)
            self._retry(delivery, type(exc).__name__, None)
        else:
            with session_scope(self._db) as session:
                confirm_sent(
                    session=session, delivery_id=delivery_id, provider_id=sent.provider_id, at=self._clock()
                )

    def _photo(self, delivery: Delivery) -> Attachment | None:
        with session_scope(self._db) as session:
            photo = photo_of(session=session, message_id=delivery.message_id)
        if photo is None:
            return None
        return Attachment(filename=photo.filename, content_type=photo.content_type, data=photo.data)

    def _retry(self, delivery: Delivery, error: str, after_s: float | None) -> None:
        delivery_id = delivery.id or 0
        with session_scope(self._db) as session:
            if delivery.attempts >= self._max_attempts:
                _LOGGER.warning("delivery %s failed after %s attempts", delivery_id, delivery.attempts)
                give_up(session=session, delivery_id=delivery_id, status=DeliveryStatus.FAILED, error=error)
                return
            wait_s = after_s if after_s is not None else backoff_s(delivery.attempts)
            retry_later(
                session=session,
                delivery_id=delivery_id,
                not_before=self._clock() + timedelta(seconds=wait_s),
                error=error,
            )
