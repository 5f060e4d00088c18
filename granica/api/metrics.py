"""Prometheus metrics of the web server: requests and latency by route template and status.

Routes are labelled by their template (`/api/v1/alerts/{alert_id}`), never by the
path actually asked for, so no identifier or name ever reaches a metric.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from granica import jobs

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

REQUESTS = Counter(
    "granica_http_requests_total", "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"], registry=REGISTRY,
)
LATENCY = Histogram(
    "granica_http_request_duration_seconds", "Time to answer an HTTP request, by method and route",
    ["method", "route"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
IN_FLIGHT = Gauge(
    "granica_http_requests_in_flight", "HTTP requests being answered right now", registry=REGISTRY,
)
JOB_RUNS = Counter(
    "granica_job_runs_total", "Scheduled job runs by job and outcome", ["job", "outcome"],
    registry=REGISTRY,
)


def _count_job(result: jobs.JobResult) -> None:
    JOB_RUNS.labels(result.name, "ok" if result.ok else "error").inc()


jobs.add_observer(_count_job)


def observe(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
