"""The table of the emulator's routes and the contract each one is held to.

Every route an emulated service answers (ARM, Entra ID, Kudu, the Functions host, Azure DevOps; not the
emulator's own control plane under ``/_emulator/``) has one row in ``ROUTES``: the documented
operation it implements, the official example or definition its answer is checked against, or why no
document on hand covers it. ``NOT_IMPLEMENTED`` lists what the documents on hand (or the clients of
issue 8) call that the emulator does not answer. ``test_table.py`` fails when a route is added without a
row, when a row names an operation the documents do not have, and when an emulator route matches a
documented operation its row does not name: a new route cannot slip in without a contract.

Paths are the emulator's route templates; they are compared with the documents by ``spec.route_key``
(method, path lower-cased, parameter names ignored). ``HEAD`` is left out: Starlette answers it for
every ``GET``.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.routing import Route

from slotwise_emulator.core import service_routes

APP_SERVICE_EXCERPT = "app-service/spec-2025-05-01-WebApps-slot-paths-excerpt.json"
DISTRIBUTED_TASK = "azure-devops/distributedTask-7.1.openapi.json"
# the Azure DevOps documents on hand: every operation of them is either served (with a contract) or not
DEVOPS_DOCUMENTS = (
    "azure-devops/build-7.1.openapi.json",
    "azure-devops/checks-7.1.openapi.json",
    "azure-devops/core-7.1.openapi.json",
    DISTRIBUTED_TASK,
    "azure-devops/extensionManagement-7.1.openapi.json",
    "azure-devops/graph-7.1.openapi.json",
    "azure-devops/identities-7.1.openapi.json",
    "azure-devops/release-7.0.openapi.json",
    "azure-devops/release-7.1.openapi.json",
    "azure-devops/serviceEndpoint-7.1.openapi.json",
)

GROUP = "/subscriptions/{sub}/resourceGroups/{rg}"
SITE = GROUP + "/providers/Microsoft.Web/sites/{name}"
SLOT = SITE + "/slots/{slot}"
BOTH = (SITE, SLOT)
TAGS_DEFAULT = "/providers/Microsoft.Resources/tags/default"
OIDC_TOKEN = "/{org}/{project}/_apis/distributedtask/hubs/{hub}/plans/{plan}/jobs/{job}/oidctoken"

Row = tuple[str, str, str]  # (service, method, path)


@dataclass(frozen=True)
class Contract:
    """What a route's answers are checked against.

    ``operation``: an operation of ``document`` (its responses and schemas); ``example``: the official
    example file ``name`` of an operation the excerpt does not carry, its answer checked against the
    definition ``schema``; ``definition``: only the definition ``name`` of ``document`` (the operation
    itself is not on hand); ``none``: no document on hand covers the route (``name`` says why).
    """

    kind: str
    document: str
    name: str
    schema: str = ""


def operation(operation_id: str) -> Contract:
    return Contract("operation", APP_SERVICE_EXCERPT, operation_id)


def example(file: str, schema: str) -> Contract:
    return Contract("example", f"app-service/spec-2025-05-01-example-{file}.json", file, schema)


def none(reason: str) -> Contract:
    return Contract("none", "", reason)


def devops(document: str, operation_id: str) -> Contract:
    """An operation of one of the Azure DevOps documents (``azure-devops/<document>-7.1.openapi.json``)."""
    return Contract("operation", f"azure-devops/{document}-7.1.openapi.json", operation_id)


WEB_NOT_IN_EXCERPT = none("Microsoft.Web 2025-05-01: not among the slot paths of the excerpt on hand")
RESOURCE_MANAGER = none("Azure Resource Manager (Microsoft.Resources, subscriptions): no document on hand")
POLLING = none(
    "the polling URL of a long-running operation (a Location, not a documented operation); its wire "
    "sequence is held to the recorded swap by test_reference_fidelity"
)
TAGS = none("ARM's tags API (Microsoft.Resources Tags_*AtScope): no document on hand")
PLANS = none("Microsoft.Web AppServicePlans.json: no document on hand")
ENTRA = none("Entra ID (OpenID Connect discovery, OAuth 2.0 token endpoint): no OpenAPI document")
KUDU = none("Kudu, the SCM site: Microsoft publishes no OpenAPI document")
FUNCTIONS_HOST = none("the Azure Functions host: no OpenAPI document")
SIGN_IN = none("Azure DevOps' sign-in page: a web page, not an API")
LOCATION_SERVICE = none(
    "Azure DevOps' location service (OPTIONS {org}/_apis, ResourceAreas, ConnectionData): no document "
    "on hand; held to the client's recorded handshake (python-client-http-sequence.json) by "
    "test_devops_handshake"
)
TASKS = none("distributedtask/tasks: no document on hand has a tasks operation (FACTS.md)")
IDENTITY_BY_ID = none("identities/{identityId}: the identities document has only the list operation")
ORG = "/{org}/_apis"
DT_ORG = ORG + "/distributedtask"
DT_PROJECT = "/{org}/{project}/_apis/distributedtask"
BUILD = "/{org}/{project}/_apis/build"
ENDPOINTS = "/{org}/{project}/_apis/serviceendpoint/endpoints"
_FUNCTIONS_HOST_METHODS = ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT", "TRACE")


def _web(method: str, suffix: str, contract: Contract, paths: tuple[str, ...] = BOTH) -> dict[Row, Contract]:
    return {("arm", method, f"{path}{suffix}"): contract for path in paths}


ROUTES: dict[Row, Contract] = {
    # ---- operations of the App Service excerpt ----
    ("arm", "POST", f"{SLOT}/slotsswap"): operation("WebApps_SwapSlotSlot"),
    ("arm", "POST", f"{SITE}/slotsswap"): operation("WebApps_SwapSlotWithProduction"),
    ("arm", "POST", f"{SITE}/applySlotConfig"): operation("WebApps_ApplySlotConfigToProduction"),
    ("arm", "POST", f"{SITE}/slotsdiffs"): operation("WebApps_ListSlotDifferencesFromProduction"),
    # ---- operations known by their official example (the excerpt does not carry their path) ----
    ("arm", "GET", SLOT): example("GetWebAppSlot", "Site"),
    ("arm", "POST", f"{SITE}/config/appsettings/list"): example("ListAppSettings", "StringDictionary"),
    ("arm", "PUT", f"{SITE}/config/appsettings"): example("UpdateAppSettings", "StringDictionary"),
    # ---- Azure DevOps: the oidctoken operation is in distributedTask/7.1/task.json, which is not on
    # hand (SOURCES.md); its answer's definition TaskHubOidcToken is in taskAgent's document ----
    ("devops", "POST", OIDC_TOKEN): Contract("definition", DISTRIBUTED_TASK, "TaskHubOidcToken"),
    ("devops", "GET", "/_signin"): SIGN_IN,
    # ---- the emulated organization (routes/devops_locations.py and the modules it registers) ----
    ("devops", "OPTIONS", ORG): LOCATION_SERVICE,
    ("devops", "GET", f"{ORG}/resourceareas"): LOCATION_SERVICE,
    ("devops", "GET", f"{ORG}/connectiondata"): LOCATION_SERVICE,
    ("devops", "GET", f"{ORG}/projects"): devops("core", "Projects_List"),
    ("devops", "GET", ORG + "/projects/{project_id}"): devops("core", "Projects_Get"),
    ("devops", "GET", f"{BUILD}/definitions"): devops("build", "Definitions_List"),
    ("devops", "GET", BUILD + "/definitions/{definition_id}"): devops("build", "Definitions_Get"),
    ("devops", "GET", f"{BUILD}/builds"): devops("build", "Builds_List"),
    ("devops", "GET", BUILD + "/builds/{build_id}"): devops("build", "Builds_Get"),
    ("devops", "GET", BUILD + "/builds/{build_id}/artifacts"): devops("build", "Artifacts_List"),
    ("devops", "GET", f"{DT_PROJECT}/queues"): devops("distributedTask", "Queues_Get Agent Queues For Pools"),
    ("devops", "GET", DT_PROJECT + "/queues/{queue_id}"): devops("distributedTask", "Queues_Get"),
    ("devops", "GET", f"{DT_ORG}/pools"): devops("distributedTask", "Pools_Get Agent Pools By Ids"),
    ("devops", "GET", DT_ORG + "/pools/{pool_id}"): devops("distributedTask", "Pools_Get"),
    ("devops", "GET", f"{DT_PROJECT}/variablegroups"): devops(
        "distributedTask", "Variablegroups_Get Variable Groups By Id"
    ),
    ("devops", "GET", DT_PROJECT + "/variablegroups/{group_id}"): devops(
        "distributedTask", "Variablegroups_Get"
    ),
    ("devops", "POST", f"{DT_ORG}/variablegroups"): devops("distributedTask", "Variablegroups_Add"),
    ("devops", "PUT", DT_ORG + "/variablegroups/{group_id}"): devops(
        "distributedTask", "Variablegroups_Update"
    ),
    ("devops", "DELETE", DT_ORG + "/variablegroups/{group_id}"): devops(
        "distributedTask", "Variablegroups_Delete"
    ),
    ("devops", "GET", f"{DT_ORG}/tasks"): TASKS,
    ("devops", "GET", DT_ORG + "/tasks/{task_id}"): TASKS,
    ("devops", "GET", ENDPOINTS): devops("serviceEndpoint", "Endpoints_Get Service Endpoints By Names"),
    ("devops", "GET", ENDPOINTS + "/{endpoint_id}"): devops("serviceEndpoint", "Endpoints_Get"),
    ("devops", "GET", f"{ORG}/identities"): devops("identities", "Identities_Read Identities"),
    ("devops", "GET", ORG + "/identities/{identity_id}"): IDENTITY_BY_ID,
    ("devops", "GET", f"{ORG}/graph/users"): devops("graph", "Users_List"),
    ("devops", "GET", f"{ORG}/graph/groups"): devops("graph", "Groups_List"),
    ("devops", "GET", f"{ORG}/extensionmanagement/installedextensions"): devops(
        "extensionManagement", "Installed Extensions_List"
    ),
    # ---- Microsoft.Web routes no document on hand describes ----
    ("arm", "GET", "/subscriptions/{sub}/providers/Microsoft.Web/sites"): WEB_NOT_IN_EXCERPT,
    ("arm", "GET", GROUP + "/providers/Microsoft.Web/sites"): WEB_NOT_IN_EXCERPT,
    ("arm", "GET", f"{SITE}/slots"): WEB_NOT_IN_EXCERPT,
    ("arm", "GET", SITE): WEB_NOT_IN_EXCERPT,
    **_web("PUT", "", WEB_NOT_IN_EXCERPT),
    **_web("PATCH", "", WEB_NOT_IN_EXCERPT),
    **_web("DELETE", "", WEB_NOT_IN_EXCERPT),
    **_web("POST", "/restart", WEB_NOT_IN_EXCERPT),
    **_web("POST", "/start", WEB_NOT_IN_EXCERPT),
    **_web("POST", "/stop", WEB_NOT_IN_EXCERPT),
    ("arm", "POST", f"{SLOT}/config/appsettings/list"): WEB_NOT_IN_EXCERPT,
    ("arm", "PUT", f"{SLOT}/config/appsettings"): WEB_NOT_IN_EXCERPT,
    **_web("POST", "/config/connectionstrings/list", WEB_NOT_IN_EXCERPT),
    **_web("PUT", "/config/connectionstrings", WEB_NOT_IN_EXCERPT),
    **_web("GET", "/config/web", WEB_NOT_IN_EXCERPT),
    **_web("PUT", "/config/web", WEB_NOT_IN_EXCERPT),
    **_web("PATCH", "/config/web", WEB_NOT_IN_EXCERPT),
    **_web("GET", "/config/slotConfigNames", WEB_NOT_IN_EXCERPT, (SITE,)),
    **_web("PUT", "/config/slotConfigNames", WEB_NOT_IN_EXCERPT, (SITE,)),
    **_web("GET", "/functions", WEB_NOT_IN_EXCERPT),
    **_web("GET", "/functions/{function}", WEB_NOT_IN_EXCERPT),
    **_web("POST", "/functions/{function}/listkeys", WEB_NOT_IN_EXCERPT),
    **_web("POST", "/host/default/listkeys", WEB_NOT_IN_EXCERPT),
    **_web("POST", "/host/default/sync", WEB_NOT_IN_EXCERPT),
    **_web("POST", "/host/default/listsyncstatus", WEB_NOT_IN_EXCERPT),
    **_web("POST", "/syncfunctiontriggers", WEB_NOT_IN_EXCERPT),
    **_web("POST", "/publishxml", WEB_NOT_IN_EXCERPT),
    **_web("POST", "/applySlotConfig", WEB_NOT_IN_EXCERPT, (SLOT,)),
    **_web("POST", "/resetSlotConfig", WEB_NOT_IN_EXCERPT),
    **_web("POST", "/slotsdiffs", WEB_NOT_IN_EXCERPT, (SLOT,)),
    **_web("GET", "/operationresults/{operation}", POLLING),
    **_web("POST", "/config/publishingcredentials/list", WEB_NOT_IN_EXCERPT),
    **_web("GET", "/basicPublishingCredentialsPolicies/scm", WEB_NOT_IN_EXCERPT),
    **_web("PUT", "/basicPublishingCredentialsPolicies/scm", WEB_NOT_IN_EXCERPT),
    **_web("GET", TAGS_DEFAULT, TAGS),
    **_web("PUT", TAGS_DEFAULT, TAGS),
    **_web("PATCH", TAGS_DEFAULT, TAGS),
    **_web("DELETE", TAGS_DEFAULT, TAGS),
    ("arm", "GET", "/subscriptions/{sub}/providers/Microsoft.Web/serverfarms"): PLANS,
    ("arm", "GET", GROUP + "/providers/Microsoft.Web/serverfarms"): PLANS,
    ("arm", "GET", GROUP + "/providers/Microsoft.Web/serverfarms/{plan}"): PLANS,
    # ---- Azure Resource Manager itself ----
    ("arm", "GET", "/metadata/endpoints"): RESOURCE_MANAGER,
    ("arm", "GET", "/subscriptions"): RESOURCE_MANAGER,
    ("arm", "GET", "/tenants"): RESOURCE_MANAGER,
    ("arm", "GET", "/subscriptions/{sub}"): RESOURCE_MANAGER,
    ("arm", "GET", "/subscriptions/{sub}/operationresults/{op}"): POLLING,
    ("arm", "GET", "/subscriptions/{sub}/resourceGroups"): RESOURCE_MANAGER,
    ("arm", "GET", "/subscriptions/{sub}/resources"): RESOURCE_MANAGER,
    ("arm", "PUT", GROUP): RESOURCE_MANAGER,
    ("arm", "GET", GROUP): RESOURCE_MANAGER,
    ("arm", "DELETE", GROUP): RESOURCE_MANAGER,
    # ---- services without an OpenAPI document ----
    ("login", "GET", "/common/discovery/instance"): ENTRA,
    ("login", "GET", "/{tenant}/v2.0/.well-known/openid-configuration"): ENTRA,
    ("login", "GET", "/{tenant}/.well-known/openid-configuration"): ENTRA,
    ("login", "GET", "/{tenant}/discovery/v2.0/keys"): ENTRA,
    ("login", "GET", "/{tenant}/discovery/keys"): ENTRA,
    ("login", "POST", "/{tenant}/oauth2/v2.0/token"): ENTRA,
    ("login", "POST", "/{tenant}/oauth2/token"): ENTRA,
    ("scm", "POST", "/api/zipdeploy"): KUDU,
    ("scm", "PUT", "/api/zipdeploy"): KUDU,
    ("scm", "GET", "/api/deployments"): KUDU,
    ("scm", "GET", "/api/deployments/{id}"): KUDU,
    ("scm", "GET", "/api/deployments/{id}/log"): KUDU,
    ("scm", "PUT", "/api/deployments/{id}"): KUDU,
    ("site", "GET", "/admin/host/status"): FUNCTIONS_HOST,
    ("site", "GET", "/admin/host/ping"): FUNCTIONS_HOST,
    ("site", "POST", "/admin/host/ping"): FUNCTIONS_HOST,
    **{("site", method, "/{path:path}"): FUNCTIONS_HOST for method in _FUNCTIONS_HOST_METHODS},
}

# The release definitions service (routes/devops_release.py), held to release-7.1's operations.
RELEASE = "azure-devops/release-7.1.openapi.json"
RELEASE_DEFINITIONS = "/{org}/{project}/_apis/release/definitions"
RELEASE_ROUTES: dict[Row, Contract] = {
    ("devops", "POST", RELEASE_DEFINITIONS): Contract("operation", RELEASE, "Definitions_Create"),
    ("devops", "GET", RELEASE_DEFINITIONS): Contract("operation", RELEASE, "Definitions_List"),
    ("devops", "PUT", RELEASE_DEFINITIONS): Contract("operation", RELEASE, "Definitions_Update"),
    ("devops", "GET", RELEASE_DEFINITIONS + "/{definitionId:int}"): Contract(
        "operation", RELEASE, "Definitions_Get"
    ),
    ("devops", "DELETE", RELEASE_DEFINITIONS + "/{definitionId:int}"): Contract(
        "operation", RELEASE, "Definitions_Delete"
    ),
    ("devops", "GET", RELEASE_DEFINITIONS + "/{definitionId:int}/revisions"): Contract(
        "operation", RELEASE, "Definitions_Get Release Definition History"
    ),
    ("devops", "GET", RELEASE_DEFINITIONS + "/{definitionId:int}/revisions/{revision:int}"): Contract(
        "operation", RELEASE, "Definitions_Get Definition Revision"
    ),
}

ROUTES.update(RELEASE_ROUTES)

# Releases at run time (routes/devops_releases.py), held to release-7.1's operations.
RELEASE_API = "/{org}/{project}/_apis/release"
_RUN = RELEASE_API + "/releases/{releaseId:int}"
_STAGE = _RUN + "/environments/{environmentId:int}"
_PLAN = _STAGE + "/attempts/{attemptId:int}/plan/{planId}"
RELEASE_RUN_ROUTES: dict[Row, Contract] = {
    ("devops", "POST", RELEASE_API + "/releases"): Contract("operation", RELEASE, "Releases_Create"),
    ("devops", "GET", RELEASE_API + "/releases"): Contract("operation", RELEASE, "Releases_List"),
    ("devops", "GET", _RUN): Contract("operation", RELEASE, "Releases_Get Release Revision"),
    ("devops", "PATCH", _RUN): Contract("operation", RELEASE, "Releases_Update Release Resource"),
    ("devops", "PATCH", _STAGE): Contract("operation", RELEASE, "Releases_Update Release Environment"),
    ("devops", "GET", _STAGE + "/deployphases/{phaseId:int}/tasks/{taskId:int}/logs"): Contract(
        "operation", RELEASE, "Releases_Get Task Log"
    ),
    ("devops", "GET", _RUN + "/logs"): Contract("operation", RELEASE, "Releases_Get Logs"),
    ("devops", "GET", _PLAN + "/attachments/{type}"): Contract(
        "operation", RELEASE, "Attachments_Get Release Task Attachments"
    ),
    (
        "devops",
        "GET",
        _PLAN + "/timelines/{timelineId}/records/{recordId}/attachments/{type}/{name}",
    ): Contract("operation", RELEASE, "Attachments_Get Release Task Attachment Content"),
    ("devops", "GET", RELEASE_API + "/approvals"): Contract("operation", RELEASE, "Approvals_List"),
    ("devops", "PATCH", RELEASE_API + "/approvals/{approvalId:int}"): Contract(
        "operation", RELEASE, "Approvals_Update"
    ),
}

ROUTES.update(RELEASE_RUN_ROUTES)

# Pipeline environments (routes/devops_environments.py) and check configurations (routes/devops_checks.py)
ENVIRONMENTS = DT_PROJECT + "/environments"
CHECKS = "/{org}/{project}/_apis/pipelines/checks"
ENVIRONMENT_ROUTES: dict[Row, Contract] = {
    ("devops", "POST", ENVIRONMENTS): devops("distributedTask", "Environments_Add"),
    ("devops", "GET", ENVIRONMENTS): devops("distributedTask", "Environments_List"),
    ("devops", "GET", ENVIRONMENTS + "/{environment_id}"): devops("distributedTask", "Environments_Get"),
    ("devops", "PATCH", ENVIRONMENTS + "/{environment_id}"): devops("distributedTask", "Environments_Update"),
    ("devops", "DELETE", ENVIRONMENTS + "/{environment_id}"): devops(
        "distributedTask", "Environments_Delete"
    ),
    ("devops", "POST", f"{CHECKS}/configurations"): devops("checks", "Check Configurations_Add"),
    ("devops", "GET", f"{CHECKS}/configurations"): devops("checks", "Check Configurations_List"),
    ("devops", "GET", CHECKS + "/configurations/{check_id}"): devops("checks", "Check Configurations_Get"),
    ("devops", "PATCH", CHECKS + "/configurations/{check_id}"): devops(
        "checks", "Check Configurations_Update"
    ),
    ("devops", "DELETE", CHECKS + "/configurations/{check_id}"): devops(
        "checks", "Check Configurations_Delete"
    ),
    ("devops", "POST", f"{CHECKS}/queryconfigurations"): devops("checks", "Check Configurations_Query"),
}

ROUTES.update(ENVIRONMENT_ROUTES)

# What the documents on hand, or the Microsoft clients the emulator is held to, call and the emulator
# does not answer. The App Service excerpt has none left (its four operations are served); of the
# Azure DevOps documents, those ROUTES names are served and test_table counts the rest.
NOT_IMPLEMENTED: dict[Row, str] = {}


def emulator_routes() -> set[Row]:
    """Every (service, method, path) the emulated services route, ``HEAD`` and the control plane left out."""
    rows: set[Row] = set()
    for service, routes in service_routes().items():
        for route in routes:
            assert isinstance(route, Route), route
            if not route.path.startswith("/_emulator/"):
                methods = (route.methods or set()) - {"HEAD"}
                rows.update((service, method, route.path) for method in methods)
    return rows
