"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from inventory_svc import __version__
from inventory_svc.api.auth import PUBLIC_PATHS, ApiKeyMiddleware
from inventory_svc.api.deps import provide_actor, provide_read_session, provide_transactions
from inventory_svc.api.hygiene import RateLimiter, documentation, security_headers
from inventory_svc.api.inputs import NoNulInUrl, StrictJsonRequest
from inventory_svc.api.observability import RequestObservability, metrics_route, stamp_request_id
from inventory_svc.api.problems import EXCEPTION_HANDLERS
from inventory_svc.api.routes.counts import (
    ControlledController,
    CountController,
    ImportController,
)
from inventory_svc.api.routes.events import EventController
from inventory_svc.api.routes.items import ItemController
from inventory_svc.api.routes.kits import (
    KitController,
    KitTemplateController,
    RestockSessionController,
)
from inventory_svc.api.routes.locations import LocationController, SupplierController
from inventory_svc.api.routes.recalls import (
    ExpiringController,
    RecallController,
    SerialController,
)
from inventory_svc.api.routes.reorders import (
    ParLevelController,
    PickListController,
    PurchaseOrderController,
    ReorderListController,
    SupplierItemController,
    SupplierReturnController,
)
from inventory_svc.api.routes.scans import ScanController
from inventory_svc.api.routes.shipments import ShipmentController
from inventory_svc.api.routes.stock import StockController
from inventory_svc.api.routes.system import health, ready
from inventory_svc.api.routes.webhooks import WebhookController
from inventory_svc.config import Settings
from inventory_svc.db.engine import create_engine, create_sessionmaker
from inventory_svc.observability.logs import adopt_server_loggers, configure_logging
from inventory_svc.services.key_cache import KeyCache, watch_revocations
from inventory_svc.services.uow import Transactions
from inventory_svc.ui.app import template_config, ui_router
from inventory_svc.worker import Runner


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)

    docs_page, docs_assets = documentation()

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncGenerator[None, None]:
        engine = create_engine(settings)
        app.state.engine = engine
        app.state.sessions = create_sessionmaker(engine)
        app.state.transactions = Transactions(app.state.sessions, app.state.clock)
        app.state.read_sessions = create_sessionmaker(engine, read_only=True)
        app.state.key_cache = KeyCache.for_settings(settings)
        app.state.key_watch = watch_revocations(settings, app.state.key_cache)  # None: SQLite
        jobs = Runner(app.state.sessions, app.state.clock) if settings.background_jobs else None
        if jobs is not None:
            jobs.start()
        try:
            yield
        finally:
            if jobs is not None:
                await jobs.close()
            if app.state.key_watch is not None:
                await app.state.key_watch.close()
            await engine.dispose()

    api = Router(
        path="/api/v1",
        route_handlers=[
            ItemController,
            EventController,
            LocationController,
            SupplierController,
            ScanController,
            StockController,
            SupplierItemController,
            ParLevelController,
            ReorderListController,
            PurchaseOrderController,
            PickListController,
            SupplierReturnController,
            KitTemplateController,
            KitController,
            RestockSessionController,
            RecallController,
            ExpiringController,
            SerialController,
            CountController,
            ControlledController,
            ImportController,
            WebhookController,
            ShipmentController,
        ],
        security=[{"apiKey": []}],
    )
    return Litestar(
        route_handlers=[health, ready, metrics_route, api, docs_assets, ui_router()],
        template_config=template_config(),
        lifespan=[database],
        on_startup=[adopt_server_loggers],  # uvicorn sets its loggers up after create_app
        # On every answer, errors and unknown routes included: X-Request-ID, nosniff, no-store.
        before_send=[stamp_request_id, security_headers],
        logging_config=None,  # configure_logging above: JSON lines on stderr
        # The site's calendar; an unknown time zone stops the start, not the first scan.
        state=State(
            {
                "clock": settings.clock,
                "rate_limiter": RateLimiter(settings.rate_limit) if settings.rate_limit else None,
                "webhooks": settings.webhooks,  # destinations checked as subscriptions are made
            }
        ),
        dependencies={
            "reader": Provide(provide_read_session),
            "actor": Provide(provide_actor, sync_to_thread=False),
            "transactions": Provide(provide_transactions, sync_to_thread=False),
        },
        middleware=[
            RequestObservability(),  # outermost: times and counts what the others answer
            DefineMiddleware(ApiKeyMiddleware, exclude=PUBLIC_PATHS),
            NoNulInUrl(),
        ],
        request_class=StrictJsonRequest,
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            render_plugins=[docs_page],
            title="inventory-svc",
            version=__version__,
            description="Hospital pharmacy inventory driven by barcode scans.",
            path="/schema",
            components=Components(
                security_schemes={
                    "apiKey": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="API key from `inventory-svc keys create`",
                    )
                }
            ),
        ),
        debug=False,
    )
