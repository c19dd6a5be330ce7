"""Prometheus metrics, one registry per application instance."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """The counters, histograms and gauges Frontdesk exports at ``/metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "frontdesk_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "frontdesk_http_request_duration_seconds",
            "HTTP request latency",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.jobs = Counter(
            "frontdesk_jobs_total",
            "Jobs finished, by outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "frontdesk_queue_depth", "Jobs by status", ["status"], registry=self.registry
        )
        self.messages = Counter(
            "frontdesk_messages_total",
            "Messages handled",
            ["channel", "direction"],
            registry=self.registry,
        )
        self.llm_cache = Counter(
            "frontdesk_llm_cache_total",
            "LLM semantic cache lookups, by result",
            ["result"],
            registry=self.registry,
        )
        self.llm_calls = Counter(
            "frontdesk_llm_calls_total",
            "LLM provider calls, by provider and outcome",
            ["provider", "outcome"],
            registry=self.registry,
        )
