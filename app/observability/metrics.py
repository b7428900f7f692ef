"""Prometheus metrics: request counts and latencies by route template (never by raw path,
which would put ids in labels and grow without bound), then the app's own collectors
(``app.state.metrics``, e.g. the periodic tasks' heartbeats read from the database)."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response

HTTP_REQUESTS = Counter(
    "mkopo_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "mkopo_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


def metrics_endpoint(request: Request) -> Response:
    body = generate_latest()
    app_metrics: CollectorRegistry | None = getattr(request.app.state, "metrics", None)
    if app_metrics is not None:
        body += generate_latest(app_metrics)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
