"""``create_app()``: the HTTP service, on the runtime ``app.bootstrap`` builds for the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from app.accounting import routes as books_router
from app.admin import operations_routes as operations_router
from app.admin import router as backoffice_router
from app.api import health
from app.api.input_guard import InputGuardMiddleware
from app.api.openapi import install_problem_openapi
from app.api.problems import install_problem_handlers
from app.audit import routes as audit_router
from app.bootstrap import Role, build_runtime
from app.callbacks import airtel as airtel_router
from app.callbacks import mpesa as mpesa_router
from app.clock import Clock, system_clock
from app.console.router import install_console
from app.mobile import router as mobile_router
from app.mpesa import inbox_routes as mpesa_callbacks_router
from app.mpesa import routes as mpesa_admin_router
from app.observability.logging import configure_logging
from app.observability.metrics import metrics_endpoint
from app.observability.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.reconciliation import routes as reconciliation_router
from app.reports import routes as reports_router
from app.settings import Settings, get_settings
from app.tasks.metrics import PeriodicTaskCollector
from app.tasks.queue import TaskQueue
from app.ussd import router as ussd_router


def create_app(
    settings: Settings | None = None,
    clock: Clock = system_clock,
    tasks: TaskQueue | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    runtime = build_runtime(settings, Role.API, clock, tasks)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        runtime.sessions.database.dispose()

    app = FastAPI(
        title="Mkopo",
        version="0.1.0",
        lifespan=lifespan,
        description="Mobile-money microfinance fund backend. Amounts are integers "
        "of minor units (cents). Errors are RFC 9457 problem+json.",
    )
    app.state.runtime = runtime
    app.state.metrics = CollectorRegistry(auto_describe=False)
    app.state.metrics.register(PeriodicTaskCollector(runtime.sessions, settings, clock))
    install_problem_handlers(app)
    install_problem_openapi(app)
    app.include_router(health.router)
    app.include_router(books_router.router)
    app.include_router(mpesa_router.router, prefix=settings.mpesa_callback_path_prefix)
    app.include_router(airtel_router.router, prefix=airtel_router.PATH_PREFIX)
    app.include_router(mpesa_admin_router.router)
    app.include_router(mpesa_callbacks_router.router)
    app.include_router(ussd_router.router)
    app.include_router(mobile_router.router)
    app.include_router(backoffice_router.router)
    app.include_router(reports_router.router)
    app.include_router(audit_router.router)
    app.include_router(reconciliation_router.router)
    app.include_router(operations_router.router)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    if settings.console_enabled:
        install_console(app)
    app.add_middleware(  # inside the size limit: it buffers the body
        InputGuardMiddleware,
        store_refused_prefixes=(
            settings.mpesa_callback_path_prefix.rstrip("/") + "/",
            airtel_router.PATH_PREFIX + "/",
        ),
    )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    return app
