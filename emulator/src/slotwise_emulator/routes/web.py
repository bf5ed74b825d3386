"""Wire of the emulated ARM Microsoft.Web service: bodies of api-version 2025-05-01 (what azure-mgmt-web
11.x speaks); the versions accepted are in ``web_versions``.

Collects the routes of ``web_sites`` (sites and slots), ``web_config`` (settings, sticky names,
siteConfig), ``web_functions`` (functions and keys), ``web_swap`` (swaps, swap with preview, slot
differences), ``web_tags`` (ARM's tags API on sites and slots), ``web_plans`` (App Service plans)
and ``web_publish`` (publishing profiles). The app mounts them on the ARM
host; it authenticates, logs, injects faults and renders ``ServiceError`` in its shape. Paths use
ARM's canonical casing for ``/subscriptions/``, ``/resourceGroups/`` and ``/providers/Microsoft.Web/``;
other segments as the SDK sends them (the tags routes match any casing).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from slotwise_emulator.routes import (
    web_config,
    web_functions,
    web_plans,
    web_publish,
    web_sites,
    web_swap,
    web_tags,
)


def routes() -> list[BaseRoute]:
    return [
        *web_sites.routes(),
        *web_config.routes(),
        *web_functions.routes(),
        *web_swap.routes(),
        *web_tags.routes(),
        *web_plans.routes(),
        *web_publish.routes(),
    ]
