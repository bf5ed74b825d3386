"""The data the emulated App Service keeps: sites, slots, their content, settings and deployments.

Plain dataclasses, no behaviour beyond small helpers: the rules live in ``web.py`` (ARM side) and
``kudu.py`` (deployments). What a swap moves and what stays is decided here by where a field lives:

- ``Slot.content`` (the deployed package, its functions and the Kudu deployment history) moves with a
  swap, as the site's files do in Azure;
- ``Slot.app_settings`` and ``Slot.connection_strings`` move, except the names listed in the site's
  sticky ``slot_config_names``;
- the general settings of ``Slot.site_config`` (stack versions, 32/64-bit, web sockets: see
  ``web_swap_rules.SWAPPED_SITE_CONFIG``) move; the rest of it stays;
- host names, keys, publishing credentials (and whether Kudu takes them), tags and the slot's
  identity stay with the slot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DISABLED_VALUES = ("true", "1")  # what AzureWebJobs.<name>.Disabled must say to disable a function


@dataclass
class EmulatedResponse:
    """What an emulated HTTP function answers (from the package's ``emulator.json``)."""

    status: int = 200
    body: Any = None  # str, or JSON-able value (sent as JSON)
    headers: dict[str, str] = field(default_factory=dict)
    delay_ms: int = 0
    echo: bool = True  # no "body" given: answer the default JSON echo (function, method, params, query)


@dataclass
class FunctionDef:
    """One function found in a deployed package: a folder whose function.json holds a trigger.

    ``route``, ``methods`` and ``auth_level`` concern HTTP-triggered functions only (the others have
    ``""``, ``[]``, ``""``); ``trigger`` is the trigger binding's ``type`` as function.json spells it.
    """

    name: str
    route: str  # without the "api/" prefix
    methods: list[str]  # upper-case; empty = all
    auth_level: str  # anonymous | function | admin
    response: EmulatedResponse = field(default_factory=EmulatedResponse)
    config: dict[str, Any] = field(default_factory=dict)  # function.json as deployed
    trigger: str = "httpTrigger"  # timerTrigger, queueTrigger, serviceBusTrigger, ...
    disabled: bool = False  # function.json says "disabled": true

    @property
    def http(self) -> bool:
        """Whether an HTTP request triggers it (only those are served by the host)."""
        return self.trigger.lower() == "httptrigger"

    def disabled_in(self, app_settings: Mapping[str, str]) -> bool:
        """Whether a slot with ``app_settings`` runs it disabled: function.json says so, or the app setting
        ``AzureWebJobs.<name>.Disabled`` (names ignore case, as environment variables on Windows) is
        ``true`` or ``1``."""
        if self.disabled:
            return True
        wanted = f"azurewebjobs.{self.name}.disabled".lower()
        values = [v for k, v in app_settings.items() if k.lower() == wanted]
        return any(v.strip().lower() in DISABLED_VALUES for v in values)


@dataclass
class Deployment:
    """A Kudu deployment record (``/api/deployments/{id}``)."""

    id: str
    received_time: float
    status: int = 0  # 0 pending, 1 building, 2 deploying, 3 failed, 4 success
    status_text: str = ""
    author: str = "N/A"
    author_email: str | None = "N/A"  # None: a record a client wrote without one (Kudu writes null)
    deployer: str = "ZipDeploy"
    message: str = "Created via a push deployment"
    progress: str = ""
    start_time: float | None = None
    end_time: float | None = None
    complete: bool = False
    active: bool = False
    package_path: str | None = None  # the uploaded zip, inside the emulator's content directory
    size: int = 0
    log: list[tuple[float, str, int]] = field(default_factory=list)  # (time, message, type 0 info/2 error)
    ready_at: float = 0.0  # when the build finishes (set from Speed.deploy_seconds)
    last_success_end_time: float | None = None  # end of the newest successful deployment when this one ended


@dataclass
class Content:
    """What is deployed into a slot; moves with a swap."""

    package_path: str | None = None  # zip file of the active deployment
    functions: dict[str, FunctionDef] = field(default_factory=dict)  # by lower-case name
    deployments: list[Deployment] = field(default_factory=list)  # newest last
    deployment_id: str = ""  # ARM's properties.deploymentId travels with the content
    route_prefix: str = "api"  # host.json extensions.http.routePrefix of the deployed package ("" = none)


@dataclass
class SwapStatus:
    """ARM's ``slotSwapStatus``."""

    timestamp: float
    source_slot: str
    destination_slot: str


@dataclass
class Slot:
    """Production or a deployment slot of a site."""

    name: str  # "production" for the production slot
    host_name: str
    scm_host_name: str
    created: float
    content: Content = field(default_factory=Content)
    app_settings: dict[str, str] = field(default_factory=dict)
    connection_strings: dict[str, dict[str, str]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    state: str = "Running"
    last_modified: float = 0.0
    swap_status: SwapStatus | None = None
    master_key: str = ""
    host_function_keys: dict[str, str] = field(default_factory=dict)  # host-level function keys
    system_keys: dict[str, str] = field(default_factory=dict)
    function_keys: dict[str, dict[str, str]] = field(default_factory=dict)  # function -> name -> key
    publishing_password: str = ""  # the userPWD of its publishing profile (user "$app" / "$app__slot")
    scm_basic_auth: bool = True  # basicPublishingCredentialsPolicies/scm: Kudu takes those credentials
    target_swap_slot: str | None = None  # set while a swap with preview is prepared
    preview_from: dict[str, str] | None = None  # settings before applySlotConfig, for resetSlotConfig
    preview_connection_strings: dict[str, dict[str, str]] | None = None  # likewise, connection strings
    site_properties: dict[str, Any] = field(default_factory=dict)  # writable ARM properties set by callers
    site_config: dict[str, Any] = field(default_factory=dict)  # siteConfig values set by callers
    last_restart: float | None = None  # when the slot was last restarted through ARM

    @property
    def is_production(self) -> bool:
        return self.name == "production"


@dataclass
class Site:
    """An App Service app (kind ``functionapp`` or ``app``) with its slots."""

    subscription: str
    resource_group: str  # as given at creation (ARM keeps the caller's casing)
    name: str
    location: str
    kind: str
    server_farm_id: str
    slots: dict[str, Slot] = field(default_factory=dict)  # by lower-case name, "production" included
    slot_config_names: dict[str, list[str]] = field(
        default_factory=lambda: {
            "appSettingNames": [],
            "connectionStringNames": [],
            "azureStorageConfigNames": [],
        }
    )
    busy_until: float = 0.0  # a swap is running until then: other changes get 409
    operation: Any = None  # the running long operation (web.py decides the type)

    @property
    def production(self) -> Slot:
        return self.slots["production"]
