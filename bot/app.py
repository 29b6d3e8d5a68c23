"""Composition root: settings → database → engine → dispatcher → channels. Nothing is built at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import uvicorn
from sqlalchemy import Engine as DbEngine
from sqlmodel import Session
from starlette.applications import Starlette

from bot.channels.base import Channel, FetchesFiles, MakesJoinLinks, SendError, WebRoute
from bot.cluster.election import Elections
from bot.cluster.singletons import Singletons
from bot.database import in_thread
from bot.delivery.dispatcher import Dispatcher
from bot.engine import Clock, Engine, Handled
from bot.events import Inbound
from bot.home_pages import HomePages
from bot.intake import Intake
from bot.jobs.digests import send_digests
from bot.jobs.plans import send_plans
from bot.jobs.prompts import send_highlight_prompts
from bot.jobs.reminders import send_reminders
from bot.jobs.retention import Retention, apply_retention
from bot.jobs.reviews import send_review_summaries, send_reviews
from bot.jobs.scheduler import make_scheduler
from bot.metrics import Metrics
from bot.settings import Settings
from bot.translation import TranslationService, Translator
from bot.translation.backends import make_translator
from bot.web.app import make_web_app
from bot.web.dashboard.pages import make_dashboard
from bot.web.signing import signer_for
from storage.db import ensure_current, make_engine, schema_problem, session_scope
from storage.locks import has_advisory_locks
from storage.metrics import Outbox, outbox
from storage.models import utcnow

_LOGGER = logging.getLogger(__name__)

#: A clean stop (SIGTERM) finishes within this; systemd's own default before SIGKILL is 90 s.
STOP_TIMEOUT_S = 10.0
#: A form not open by then will not open (Slack's trigger_id lasts 3 s): given up.
FORM_OPEN_TIMEOUT_S = 3.0


@dataclass(slots=True)
class App:
    settings: Settings
    db: DbEngine
    engine: Engine
    dispatcher: Dispatcher
    channels: Mapping[str, Channel]
    clock: Clock
    translation: TranslationService
    metrics: Metrics
    intake: Intake = field(init=False)
    homes: HomePages = field(init=False)

    def __post_init__(self) -> None:
        self.intake = Intake(
            engine=self.engine, prepare=self._with_file, handled=self._wake, answered=self._answered
        )
        keeping = frozenset(name for name, c in self.channels.items() if c.capabilities.home_page)
        self.homes = HomePages(db=self.db, channels=keeping, receive=self.receive)

    async def receive(self, inbound: Inbound) -> bool:
        """The sink every channel calls: returns once the event is recorded (False: it was before);
        its turn follows, and the dispatcher sends the replies (before any broadcast waiting)."""
        recorded = await self.intake.receive(inbound)
        if recorded:
            self.metrics.inbound.labels(inbound.channel).inc()
        return recorded

    async def receive_and_answer(self, inbound: Inbound) -> None:
        """The sink of a foreground channel (the console): one person at a terminal sees the answer
        before typing again, so it returns once the turn is handled and its replies are sent."""
        await self.receive(inbound)
        await self.intake.settled()
        await self.dispatcher.drain()

    def _wake(self) -> None:
        self.dispatcher.wake()

    async def _answered(self, inbound: Inbound, handled: Handled) -> None:
        """After a turn: open its forms through the channel at once, not behind the chat's pace in
        the outbox (Slack's trigger_id lasts 3 s; one that fails is only logged: the trigger is
        gone, the person presses or types the command again); changed home pages shown again soon."""
        self.homes.changed(handled.homes_changed)
        channel = self.channels.get(inbound.channel)
        for form in handled.forms:
            try:
                if channel is None:
                    raise SendError("no such channel")
                async with asyncio.timeout(FORM_OPEN_TIMEOUT_S):  # the next turns wait meanwhile
                    await channel.send(inbound.address, form)
            except Exception as exc:  # the log names the error only: a send error may quote the form
                _LOGGER.warning(
                    "could not open a form for event %s/%s: %s",
                    inbound.channel,
                    inbound.event_id,
                    type(exc).__name__,
                )

    async def _with_file(self, inbound: Inbound) -> Inbound:
        """Fetch a photo's bytes from its platform, so it is stored with the postcard."""
        attachment, channel = inbound.attachment, self.channels.get(inbound.channel)
        if attachment is None or attachment.data is not None or not attachment.platform_ref:
            return inbound
        if not isinstance(channel, FetchesFiles):
            return inbound
        try:
            data = await channel.fetch_file(attachment.platform_ref)
        except Exception:  # the text still counts; a flow waiting for the photo asks for it again
            _LOGGER.warning("could not fetch the file of event %s/%s", inbound.channel, inbound.event_id)
            return inbound
        return replace(inbound, attachment=replace(attachment, data=data))

    @property
    def channel_names(self) -> frozenset[str]:
        """The channels this app runs: the only ones its jobs send to."""
        return frozenset(self.channels)

    def web_app(self, routes: Sequence[WebRoute] = ()) -> Starlette:
        """The web app `partnerbot run` serves: the channels' routes and the staff dashboard."""
        dashboard = make_dashboard(
            settings=self.settings,
            db=self.db,
            signer=signer_for(self.settings),
            clock=self.clock,
            channels=self.channel_names,
            wake=self.dispatcher.wake,
            translator=self.translation,
            join_links={n: c for n, c in self.channels.items() if isinstance(c, MakesJoinLinks)},
        )
        return make_web_app(
            routes,
            dashboard,
            down=self.dispatcher.down_channels,
            channels=sorted(self.channels),
            problems=self._problems,
            metrics=lambda: asyncio.to_thread(self.metrics.exposition),
        )

    async def _problems(self) -> list[str]:
        """What keeps this process from serving (for /readyz): the database, its schema."""
        problem = await asyncio.to_thread(schema_problem, self.db)
        return [problem] if problem else []

    async def _job(self, work: Callable[[Session, datetime], int]) -> int:
        """One scheduler run: do `work` in a transaction, in a thread (a digest or a reminder round
        for a whole school must not stall the loop), then wake the dispatcher if it queued anything."""

        done = await in_thread(
            self.db, lambda session: work(session, self.clock()), what="a scheduled job", patience_s=60.0
        )
        if done:
            self.dispatcher.wake()
        return done

    async def run_digests(self) -> int:
        """Make the digests that are due."""
        channels = self.channel_names
        return await self._job(lambda session, now: send_digests(session=session, now=now, channels=channels))

    async def run_reminders(self) -> int:
        """Remind those who have not acknowledged, once per step."""
        after, channels = timedelta(hours=self.settings.reminder_after_hours), self.channel_names
        return await self._job(
            lambda session, now: send_reminders(session=session, now=now, after=after, channels=channels)
        )

    async def run_prompts(self) -> int:
        """Ask teachers for their fortnightly highlights."""
        weekday, at = self.settings.highlights_prompt_weekday, self.settings.highlights_prompt_time
        channels = self.channel_names
        return await self._job(
            lambda session, now: send_highlight_prompts(
                session=session, now=now, weekday=weekday, at=at, channels=channels
            )
        )

    async def run_reviews(self) -> int:
        """Ask each member, once a term, if keeping in touch works."""
        interval, channels = timedelta(days=self.settings.review_interval_days), self.channel_names
        return await self._job(
            lambda session, now: send_reviews(session=session, now=now, interval=interval, channels=channels)
        )

    async def run_review_summaries(self) -> int:
        """Send each coordinator the term's answers once, when the asking has had time."""
        interval = timedelta(days=self.settings.review_interval_days)
        sent = await send_review_summaries(
            db=self.db,
            translator=self.translation,
            now=self.clock(),
            interval=interval,
            channels=self.channel_names,
        )
        if sent:
            self.dispatcher.wake()
        return sent

    async def run_term_reviews(self) -> int:
        """The termly job: ask who is due, then summarise for coordinators."""
        return await self.run_reviews() + await self.run_review_summaries()

    async def run_plans(self) -> int:
        """Send each partnership's communication plan when it is due, and again when it changes."""
        sent = await send_plans(
            db=self.db, translator=self.translation, now=self.clock(), channels=self.channel_names
        )
        if sent:
            self.dispatcher.wake()
        return sent

    async def run_retention(self) -> int:
        """Delete what the school's retention settings no longer keep."""
        s = self.settings
        retention = Retention.from_settings(
            messages=s.retention_messages,
            photos=s.retention_photos,
            inbound=s.retention_inbound,
            deliveries=s.retention_deliveries,
            year_end=s.school_year_end,
        )
        return await in_thread(
            self.db,
            lambda session: apply_retention(session=session, now=self.clock(), retention=retention),
            what="retention",
            patience_s=60.0,
        )

    async def run_replay(self) -> int:
        """Handle the events a process that died left unhandled, and send the answers."""
        replayed = await self.engine.replay_unhandled()
        if replayed:
            self.dispatcher.wake()
        return replayed

    async def serve_forever(
        self, *, web: uvicorn.Server | None = None, stop: asyncio.Event | None = None
    ) -> None:
        """Run every channel, the dispatcher, the scheduler and the web app until `stop` is set (a
        clean stop: see `_stop_cleanly`) or until cancelled. With several processes on one
        PostgreSQL, the scheduler and the channels that receive alone run on the elected leader,
        and each rate-limited channel is sent on by its elected sender (bot/cluster/)."""
        await self.engine.replay_unhandled()
        scheduler = make_scheduler(
            digests=self.run_digests,
            reminders=self.run_reminders,
            prompts=self.run_prompts,
            reviews=self.run_term_reviews,
            plans=self.run_plans,
            replay=self.run_replay,
            retention=self.run_retention,
        )
        scheduler.start(paused=True)
        singletons = Singletons(self.channels, self.receive, scheduler, self.dispatcher.wake)
        self.dispatcher.send_only(lambda: singletons.sending)
        elections = Elections(
            self.db, singletons.roles, singletons.on_change, check_s=self.settings.cluster_check_s
        )
        await elections.check()  # before dispatching: what this process may send on
        tasks = [asyncio.create_task(self.dispatcher.run(), name="dispatcher")]
        tasks += [asyncio.create_task(elections.run(), name="elections")]
        tasks += [
            asyncio.create_task(c.start(self.receive), name=n) for n, c in singletons.everywhere.items()
        ]
        if web is not None:
            tasks.append(asyncio.create_task(web.serve(), name="web"))
        stopping: asyncio.Future[Any] = asyncio.create_task((stop or asyncio.Event()).wait(), name="stop")
        watched: list[asyncio.Future[Any]] = [*tasks, stopping, singletons.died]
        try:
            done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
            if stopping in done:
                await self._stop_cleanly(dispatching=tasks[0], web=web)
            for task in done - {stopping}:
                task.result()  # a channel or server that died takes the process down, loudly
        finally:
            stopping.cancel()
            await singletons.step_down()
            elections.stop()
            await asyncio.wait([tasks[1]], timeout=5)  # gives its roles up for a peer to take at once
            scheduler.shutdown(wait=False)
            if web is not None:
                web.should_exit = True
            for channel in singletons.everywhere.values():
                await channel.stop()
            await self.homes.stop()
            await self.intake.stop()
            if web is not None:  # uvicorn ends its connections and lifespan itself, if given a moment
                await asyncio.wait([tasks[-1]], timeout=5)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _stop_cleanly(self, *, dispatching: asyncio.Task[None], web: uvicorn.Server | None) -> None:
        """Finish the turns under way, then let the dispatcher finish the sends on their way and
        hand back the rest, within STOP_TIMEOUT_S; the channels stop after it (they carry its
        sends). What is still unfinished then is left to the leases (replayed, or sent again and
        marked ambiguous); events recorded meanwhile are handed back by the intake's stop."""
        _LOGGER.info("stopping: finishing the turns and the sends on their way")
        started = time.monotonic()
        if web is not None:
            web.should_exit = True
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                await self.intake.settled()
                self.dispatcher.stop()
                await dispatching
        except TimeoutError:
            _LOGGER.warning(
                "stopping: not finished within %.0f s; the rest waits for its lease", STOP_TIMEOUT_S
            )
            return
        _LOGGER.info("stopped cleanly in %.1f s", time.monotonic() - started)

    async def serve(self, foreground: Channel, *, web: uvicorn.Server | None = None) -> None:
        """Run `foreground` (e.g. the console) until it ends, with the dispatcher, the scheduler and
        the web app, if given, behind it."""
        await self.engine.replay_unhandled()
        dispatching = asyncio.create_task(self.dispatcher.run())
        serving = asyncio.create_task(web.serve()) if web is not None else None
        scheduler = make_scheduler(
            digests=self.run_digests,
            reminders=self.run_reminders,
            prompts=self.run_prompts,
            reviews=self.run_term_reviews,
            plans=self.run_plans,
            replay=self.run_replay,
            retention=self.run_retention,
        )
        scheduler.start()
        try:
            await self.dispatcher.drain()  # what was queued for this terminal's person while away
            await foreground.start(self.receive_and_answer)
        finally:
            scheduler.shutdown(wait=False)
            if web is not None:
                web.should_exit = True
            await self.homes.stop()
            await self.intake.stop()
            dispatching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatching
            if serving is not None:  # uvicorn ends its connections and lifespan itself, given a moment
                await asyncio.wait([serving], timeout=5)
                serving.cancel()
            await foreground.stop()


def build_app(
    settings: Settings,
    channels: Mapping[str, Channel],
    *,
    db: DbEngine | None = None,
    clock: Clock = utcnow,
    translator: Translator | None = None,
) -> App:
    """Wire the app; refuses to start on a database whose schema is not current."""
    db = db or make_engine(settings.database_url)
    ensure_current(db)
    translation = TranslationService(db=db, translator=translator or make_translator(settings))
    engine = Engine(
        db=db, settings=settings, clock=clock, translator=translation, channels=frozenset(channels)
    )
    metrics = Metrics(lambda: _read_outbox(db, clock))
    dispatcher = Dispatcher(
        db=db,
        metrics=metrics,
        channels=channels,
        clock=clock,
        lease=timedelta(seconds=settings.dispatch_lease_s),
        give_up_after=timedelta(hours=settings.dispatch_give_up_after_h),
        # With peers on PostgreSQL, a reply another process queued wakes only that one: the
        # elected sender looks every second.
        idle_s=1.0 if has_advisory_locks(db) else 5.0,
    )
    return App(
        settings=settings,
        db=db,
        engine=engine,
        dispatcher=dispatcher,
        channels=channels,
        clock=clock,
        translation=translation,
        metrics=metrics,
    )


def _read_outbox(db: DbEngine, clock: Clock) -> Outbox:
    with session_scope(db) as session:
        return outbox(session=session, now=clock())
