"""Prometheus metrics on a registry of our own (several apps in one process stay separate)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "retouch_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "retouch_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "retouch_errors_total", "Error responses by code", ["status", "code"], registry=self.registry
        )
        self.job_duration = Histogram(
            "retouch_job_duration_seconds",
            "Queued job run time",
            ["mode", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.edit_duration = Histogram(
            "retouch_inline_edit_duration_seconds",
            "Inline edit run time",
            ["model", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_depth = Gauge("retouch_queue_depth", "Jobs waiting in the queue", registry=self.registry)
        self.running_jobs = Gauge(
            "retouch_running_jobs", "Jobs and edits running in this process", registry=self.registry
        )

    def bind(self, depth: Callable[[], int], running: Callable[[], int]) -> None:
        """Gauges read at scrape time."""
        self.queue_depth.set_function(lambda: float(depth()))
        self.running_jobs.set_function(lambda: float(running()))

    def render(self) -> bytes:
        return generate_latest(self.registry)
