"""How the emulated Microsoft.Web resources look on the wire: JSON bodies and request coordinates.

Owns the body shapes App Service answers with (Site for sites and slots, the config resources,
FunctionEnvelope, host keys, slot differences) and the small parsing every Microsoft.Web route
shares (which site and slot a path names, a JSON object body, ``CsmSlotEntity``). Field names and
JSON types follow the official examples and recordings; values come from the backend's state.
Keeps no state and decides nothing: rules live in ``backends/web*.py``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request

from slotwise_emulator.backends.model import FunctionDef, Site, Slot
from slotwise_emulator.backends.web import PRODUCTION, SlotDifference, SwapOperation
from slotwise_emulator.backends.web_config import DEFAULT_PROPERTIES
from slotwise_emulator.backends.web_plans import Plan
from slotwise_emulator.clock import iso
from slotwise_emulator.errors import bad_request

SITE_PATH = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{name}"
SLOT_PATH = SITE_PATH + "/slots/{slot}"

_REGIONS = {
    "westeurope": "West Europe",
    "northeurope": "North Europe",
    "francecentral": "France Central",
    "germanywestcentral": "Germany West Central",
    "swedencentral": "Sweden Central",
    "uksouth": "UK South",
    "eastus": "East US",
    "eastus2": "East US 2",
    "centralus": "Central US",
    "westus": "West US",
    "westus2": "West US 2",
    "westus3": "West US 3",
    "australiaeast": "Australia East",
    "southeastasia": "Southeast Asia",
    "japaneast": "Japan East",
}
_SITE_CONFIG_DEFAULTS: dict[str, Any] = {
    "numberOfWorkers": 1,
    "defaultDocuments": ["Default.htm", "Default.html", "index.htm", "index.html", "hostingstart.html"],
    "netFrameworkVersion": "v4.0",
    "phpVersion": "",
    "pythonVersion": "",
    "nodeVersion": "",
    "powerShellVersion": "",
    "linuxFxVersion": "",
    "requestTracingEnabled": False,
    "remoteDebuggingEnabled": False,
    "httpLoggingEnabled": False,
    "acrUseManagedIdentityCreds": False,
    "logsDirectorySizeLimit": 35,
    "detailedErrorLoggingEnabled": False,
    "use32BitWorkerProcess": True,
    "webSocketsEnabled": False,
    "alwaysOn": False,
    "appCommandLine": "",
    "managedPipelineMode": "Integrated",
    "virtualApplications": [{"virtualPath": "/", "physicalPath": "site\\wwwroot", "preloadEnabled": False}],
    "loadBalancing": "LeastRequests",
    "autoHealEnabled": False,
    "vnetName": "",
    "vnetRouteAllEnabled": False,
    "vnetPrivatePortsCount": 0,
    "http20Enabled": True,
    "minTlsVersion": "1.2",
    "scmMinTlsVersion": "1.2",
    "ftpsState": "FtpsOnly",
    "functionAppScaleLimit": 0,
    "functionsRuntimeScaleMonitoringEnabled": False,
    "minimumElasticInstanceCount": 0,
    "azureStorageAccounts": {},
}


# ---- request coordinates --------------------------------------------------------------------------
def where(request: Request) -> tuple[str, str, str, str]:
    """(subscription, resource group, site, slot) a path names; ``production`` without ``/slots/``."""
    p = request.path_params
    return p["sub"], p["rg"], p["name"], p.get("slot", PRODUCTION)


def json_object(body: Any, what: str = "The request body") -> dict[str, Any]:
    """``body`` if it is a JSON object, else ARM's 400."""
    if not isinstance(body, dict):
        raise bad_request(f"{what} must be a JSON object.", code="InvalidRequestContent")
    return body


def target_slot(body: Any) -> str:
    """The ``targetSlot`` of a ``CsmSlotEntity`` body (``preserveVnet`` must be a boolean if given)."""
    entity = json_object(body)
    target = entity.get("targetSlot")
    if not isinstance(target, str) or not target:
        raise bad_request(
            "The targetSlot property is required and must be a string.", code="InvalidRequestContent"
        )
    if not isinstance(entity.get("preserveVnet", True), bool):
        raise bad_request("The preserveVnet property must be a boolean.", code="InvalidRequestContent")
    return target


# ---- bodies -------------------------------------------------------------------------------------
def region(location: str) -> str:
    """A region's display name, as GET answers it (``westeurope`` -> ``West Europe``)."""
    return _REGIONS.get(location.replace(" ", "").lower(), location)


def resource_id(site: Site, slot: Slot) -> str:
    group = f"/subscriptions/{site.subscription}/resourceGroups/{site.resource_group}"
    base = f"{group}/providers/Microsoft.Web/sites/{site.name}"
    return base if slot.is_production else f"{base}/slots/{slot.name}"


def _arm_name(site: Site, slot: Slot) -> str:
    return site.name if slot.is_production else f"{site.name}/{slot.name}"


def _type(slot: Slot, child: str = "") -> str:
    base = "Microsoft.Web/sites" if slot.is_production else "Microsoft.Web/sites/slots"
    return f"{base}/{child}" if child else base


def site_config(slot: Slot) -> dict[str, Any]:
    """The slot's siteConfig: defaults, then what callers set."""
    return {**_SITE_CONFIG_DEFAULTS, **slot.site_config}


def _swap_status(slot: Slot) -> dict[str, str] | None:
    status = slot.swap_status
    if status is None:
        return None
    return {
        "timestampUtc": iso(status.timestamp, precision=3),
        "sourceSlotName": status.source_slot,
        "destinationSlotName": status.destination_slot,
    }


def _operation_on(site: Site, slot: Slot) -> str | None:
    op = site.operation
    return op.id if isinstance(op, SwapOperation) and op.running and op.involves(slot) else None


def site_body(site: Site, slot: Slot, plan: Plan) -> dict[str, Any]:
    """A Site resource for the production slot or a deployment slot, on ``plan``."""
    props = {**DEFAULT_PROPERTIES, **slot.site_properties}
    verification = hashlib.sha256(f"{site.subscription}/{site.name}".encode()).hexdigest().upper()
    properties: dict[str, Any] = {
        "name": site.name if slot.is_production else f"{site.name}({slot.name})",
        "state": slot.state,
        "hostNames": [slot.host_name],
        "repositorySiteName": site.name,
        "usageState": "Normal",
        "enabled": props["enabled"],
        "enabledHostNames": [slot.host_name, slot.scm_host_name],
        "availabilityState": "Normal",
        "hostNameSslStates": [
            {"name": slot.host_name, "sslState": "Disabled", "hostType": "Standard"},
            {"name": slot.scm_host_name, "sslState": "Disabled", "hostType": "Repository"},
        ],
        "serverFarmId": plan.id,
        "reserved": props["reserved"],
        "isXenon": props["isXenon"],
        "hyperV": props["hyperV"],
        "lastModifiedTimeUtc": iso(slot.last_modified, precision=3),
        "dnsConfiguration": {},
        "outboundVnetRouting": props.get("outboundVnetRouting")
        or {
            "allTraffic": False,
            "applicationTraffic": False,
            "contentShareTraffic": False,
            "imagePullTraffic": False,
            "backupRestoreTraffic": False,
        },
        "siteConfig": site_config(slot),
        "deploymentId": slot.content.deployment_id,
        "slotName": None,
        "trafficManagerHostNames": None,
        "sku": plan.tier,
        "scmSiteAlsoStopped": props["scmSiteAlsoStopped"],
        "targetSwapSlot": slot.target_swap_slot,
        "hostingEnvironmentProfile": None,
        "clientAffinityEnabled": props["clientAffinityEnabled"],
        "clientCertEnabled": props["clientCertEnabled"],
        "clientCertMode": props["clientCertMode"],
        "clientCertExclusionPaths": props.get("clientCertExclusionPaths"),
        "hostNamesDisabled": props["hostNamesDisabled"],
        "ipMode": "IPv4",
        "customDomainVerificationId": verification,
        "outboundIpAddresses": "127.0.0.1",
        "possibleOutboundIpAddresses": "127.0.0.1",
        "containerSize": props["containerSize"],
        "dailyMemoryTimeQuota": props["dailyMemoryTimeQuota"],
        "suspendedTill": None,
        "maxNumberOfWorkers": None,
        "cloningInfo": None,
        "resourceGroup": site.resource_group,
        "isDefaultContainer": None,
        "defaultHostName": slot.host_name,
        "slotSwapStatus": _swap_status(slot),
        "httpsOnly": props["httpsOnly"],
        "redundancyMode": props["redundancyMode"],
        "inProgressOperationId": _operation_on(site, slot),
        "publicNetworkAccess": props["publicNetworkAccess"],
        "storageAccountRequired": props["storageAccountRequired"],
        "keyVaultReferenceIdentity": props["keyVaultReferenceIdentity"],
        "virtualNetworkSubnetId": props.get("virtualNetworkSubnetId"),
        "defaultHostNameScope": "Global",
        "buildVersion": None,
        "targetBuildVersion": None,
    }
    return {
        "id": resource_id(site, slot),
        "name": _arm_name(site, slot),
        "type": _type(slot),
        "kind": site.kind,
        "location": region(site.location),
        "tags": dict(slot.tags),
        "properties": properties,
    }


def site_list(items: list[tuple[Site, Slot, Plan]]) -> dict[str, Any]:
    return {"value": [site_body(site, slot, plan) for site, slot, plan in items], "nextLink": None}


def config_body(site: Site, slot: Slot, name: str, properties: Any) -> dict[str, Any]:
    """A ``.../config/{name}`` resource (appsettings, connectionstrings)."""
    return {
        "id": f"{resource_id(site, slot)}/config/{name}",
        "name": name,
        "type": _type(slot, "config"),
        "kind": site.kind,
        "location": region(site.location),
        "properties": properties,
    }


def web_config_body(site: Site, slot: Slot) -> dict[str, Any]:
    """``GET .../config/web``: the slot's siteConfig as its own resource."""
    publishing_user = f"${site.name}" if slot.is_production else f"${site.name}__{slot.name}"
    extras: dict[str, Any] = {
        "appSettings": None,
        "connectionStrings": None,
        "publishingUsername": publishing_user,
        "scmType": "None",
        "routingRules": [],
        "experiments": {"rampUpRules": []},
        "autoSwapSlotName": None,
        "preWarmedInstanceCount": 0,
        "healthCheckPath": None,
        "javaVersion": None,  # unset stack versions the Site's siteConfig leaves out; set ones win below
        "javaContainer": None,
        "javaContainerVersion": None,
        "windowsFxVersion": None,
    }
    return {
        "id": f"{resource_id(site, slot)}/config/web",
        "name": _arm_name(site, slot),
        "type": _type(slot, "config"),
        "location": region(site.location),
        "properties": {**site_config(slot), **extras, **slot.site_config},
    }


def slot_config_names_body(site: Site) -> dict[str, Any]:
    """``config/slotConfigNames`` as the service answers it: no id, empty lists as null."""
    names = site.slot_config_names
    return {
        "id": None,
        "name": site.name,
        "type": "Microsoft.Web/sites",
        "location": region(site.location),
        "properties": {
            key: (names.get(key) or None)
            for key in ("connectionStringNames", "appSettingNames", "azureStorageConfigNames")
        },
    }


def _invoke_url(slot: Slot, fn: FunctionDef) -> str | None:
    """Where an HTTP function is called (host.json's route prefix included); None for other triggers."""
    if not fn.http:
        return None
    path = "/".join(part for part in (slot.content.route_prefix.strip("/"), fn.route) if part)
    return f"https://{slot.host_name}/{path}"


def function_body(site: Site, slot: Slot, fn: FunctionDef) -> dict[str, Any]:
    """A FunctionEnvelope (its properties use snake_case names, as the service sends them): ``config``
    is the function.json as deployed (its ``bindings`` whatever the trigger), ``invoke_url_template``
    only for HTTP triggers, ``isDisabled`` as the slot's host sees it (function.json's ``disabled`` or
    the slot's ``AzureWebJobs.<name>.Disabled`` app setting)."""
    scm = f"https://{slot.scm_host_name}"
    root = f"{scm}/api/vfs/site/wwwroot/{fn.name}/"
    script = fn.config.get("scriptFile")
    return {
        "id": f"{resource_id(site, slot)}/functions/{fn.name}",
        "name": f"{_arm_name(site, slot)}/{fn.name}",
        "type": _type(slot, "functions"),
        "location": region(site.location),
        "properties": {
            "name": fn.name,
            "function_app_id": resource_id(site, slot),
            "script_root_path_href": root,
            "script_href": f"{root}{script}" if isinstance(script, str) else None,
            "config_href": f"{root}function.json",
            "test_data_href": f"{scm}/api/vfs/data/Functions/sampledata/{fn.name}.dat",
            "secrets_file_href": f"{scm}/api/vfs/data/Functions/secrets/{fn.name}.json",
            "href": f"{scm}/api/functions/{fn.name}",
            "config": fn.config,
            "files": None,
            "test_data": "",
            "invoke_url_template": _invoke_url(slot, fn),
            "language": fn.config.get("language") or slot.app_settings.get("FUNCTIONS_WORKER_RUNTIME"),
            "isDisabled": fn.disabled_in(slot.app_settings),
        },
    }


def host_keys_body(slot: Slot) -> dict[str, Any]:
    return {
        "masterKey": slot.master_key,
        "functionKeys": dict(slot.host_function_keys),
        "systemKeys": dict(slot.system_keys),
    }


def differences_body(diffs: list[SlotDifference]) -> dict[str, Any]:
    return {
        "value": [
            {
                "properties": {
                    "level": d.level,
                    "settingType": d.setting_type,
                    "diffRule": d.diff_rule,
                    "settingName": d.setting_name,
                    "valueInCurrentSlot": d.value_in_current_slot,
                    "valueInTargetSlot": d.value_in_target_slot,
                    "description": d.description,
                }
            }
            for d in diffs
        ],
        "nextLink": None,
    }
