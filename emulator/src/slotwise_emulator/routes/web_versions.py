"""Which api-versions the emulated Microsoft.Web routes (and ARM's tags API on them) accept.

Real ARM accepts any api-version the resource provider registers. Microsoft.Web: the stable versions
that publish ``WebApps.json`` in Azure/azure-rest-api-specs
(``specification/web/resource-manager/Microsoft.Web/stable/``), 2016-08-01 to 2025-05-01; tags: the
stable Microsoft.Resources versions with ``Tags_*AtScope`` (2019-10-01 on). Whatever version is asked,
bodies have 2025-05-01's shape (emulator/README.md, "Known differences"). Any other version gets ARM's
400 ``InvalidApiVersionParameter``; none gets ``MissingApiVersionParameter``.
"""

from __future__ import annotations

from starlette.requests import Request

from slotwise_emulator.routes._common import require_api_version

WEB_API_VERSIONS = (
    "2025-05-01",  # what azure-mgmt-web 11.x speaks; the body shapes served
    "2024-11-01",
    "2024-04-01",
    "2023-12-01",
    "2023-01-01",
    "2022-09-01",
    "2022-03-01",
    "2021-03-01",
    "2021-02-01",
    "2021-01-15",
    "2021-01-01",
    "2020-12-01",
    "2020-10-01",
    "2020-09-01",
    "2020-06-01",
    "2019-08-01",
    "2018-11-01",
    "2018-02-01",
    "2016-08-01",
)
TAGS_API_VERSIONS = (
    "2025-04-01",
    "2024-11-01",
    "2024-07-01",
    "2024-03-01",
    "2022-09-01",
    "2021-04-01",
    "2021-01-01",
    "2020-10-01",
    "2020-06-01",
    "2019-10-01",
)


def require_web_api_version(request: Request) -> str:
    """The request's api-version if Microsoft.Web registers it, else ARM's 400."""
    require_api_version(request, *WEB_API_VERSIONS)
    return request.query_params["api-version"]


def require_tags_api_version(request: Request) -> str:
    """The request's api-version if ARM's tags API has it, else ARM's 400."""
    require_api_version(request, *TAGS_API_VERSIONS)
    return request.query_params["api-version"]
