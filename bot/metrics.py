"""Prometheus metrics for /metrics (prometheus-client), one registry per app (nothing at import).

Labels are channels and outcomes only, never a person, an address or a text. The outbox figures
are read from the database at each scrape, so every process of a cluster reports the same; the
counters and the send latency are this process's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from storage.metrics import Outbox


class _OutboxCollector(Collector):
    def __init__(self, read: Callable[[], Outbox]) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        outbox = self._read()
        deliveries = GaugeMetricFamily(
            "partnerbot_deliveries",
            "Deliveries in the outbox by channel and status",
            labels=["channel", "status"],
        )
        for (channel, status), count in sorted(outbox.by_status.items()):
            deliveries.add_metric([channel, status], count)
        oldest = GaugeMetricFamily(
            "partnerbot_oldest_due_seconds", "Age of the oldest due delivery not yet sent", labels=["channel"]
        )
        for channel, age_s in sorted(outbox.oldest_due_s.items()):
            oldest.add_metric([channel], age_s)
        yield deliveries
        yield oldest


class Metrics:
    def __init__(self, read_outbox: Callable[[], Outbox]) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_OutboxCollector(read_outbox))
        self.sends = Counter(
            "partnerbot_sends",
            "Send attempts by channel and outcome",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.send_seconds = Histogram(
            "partnerbot_send_seconds",
            "Time a platform took to answer a send",
            ["channel"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "partnerbot_rate_limited",
            "Retry-afters (429s) the platform answered",
            ["channel"],
            registry=self.registry,
        )
        self.inbound = Counter(
            "partnerbot_inbound_events",
            "Inbound events recorded, by channel",
            ["channel"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The text format; reads the database (call it off the event loop)."""
        return generate_latest(self.registry)
