"""The JSON shapes Microsoft.Web (api-version 2025-05-01) gives the writable parts of a site: its
writable properties and ``siteConfig``.

Owns ``clean``: a written value as the service keeps it. A property the shape does not know is dropped
(the service's JSON reader ignores it), a value of another JSON type or outside a closed enum is
refused with ARM's 400 naming the property, so that whatever was written, the site's answers keep the
shape of the ``Site`` and ``SiteConfig`` definitions (Azure/azure-rest-api-specs
``specification/web/resource-manager/Microsoft.Web/stable/2025-05-01/CommonDefinitions.json``). Open
enums (``modelAsString: true``: ``ftpsState``, ``minTlsVersion``...) are plain strings. Keeps no state
and knows nothing of the wire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slotwise_emulator.errors import ServiceError, bad_request


@dataclass(frozen=True)
class Scalar:
    """A string, boolean, integer or number; a string may be limited to ``values`` (a closed enum)."""

    kind: type
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListOf:
    item: Shape


@dataclass(frozen=True)
class MapOf:
    """An object used as a dictionary: any keys, each value of ``item``'s shape."""

    item: Shape


@dataclass(frozen=True)
class ObjectOf:
    """An object with these ``fields`` (others are dropped); without fields, any object, kept as is."""

    fields: Mapping[str, Shape] | None = None


Shape = Scalar | ListOf | MapOf | ObjectOf

STR = Scalar(str)
BOOL = Scalar(bool)
INT = Scalar(int)
NUMBER = Scalar(float)
ANY_OBJECT = ObjectOf()


def enum(*values: str) -> Scalar:
    return Scalar(str, values)


def _fits(kind: type, value: Any) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, kind)


def _invalid(where: str, why: str = "has the wrong type") -> ServiceError:
    return bad_request(f"The value of property '{where}' {why}.", code="InvalidRequestContent")


def clean(shape: Shape, value: Any, where: str) -> Any:
    """``value`` as the service keeps it under ``shape`` (null stays null), or ARM's 400 naming ``where``."""
    if value is None:
        return None
    if isinstance(shape, ObjectOf):
        if not isinstance(value, dict):
            raise _invalid(where)
        if shape.fields is None:
            return value
        return {k: clean(shape.fields[k], v, f"{where}.{k}") for k, v in value.items() if k in shape.fields}
    if isinstance(shape, MapOf):
        if not isinstance(value, dict):
            raise _invalid(where)
        return {k: clean(shape.item, v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(shape, ListOf):
        if not isinstance(value, list):
            raise _invalid(where)
        return [clean(shape.item, item, f"{where}[{i}]") for i, item in enumerate(value)]
    if not _fits(shape.kind, value):
        raise _invalid(where)
    if shape.values and value not in shape.values:
        raise _invalid(where, f"is not one of {', '.join(shape.values)}")
    return value


_NAME_VALUE = ObjectOf({"name": STR, "value": STR})
_MACHINE_KEY = ("validation", "validationKey", "decryption", "decryptionKey")
_VIRTUAL_DIRECTORY = ObjectOf({"virtualPath": STR, "physicalPath": STR})

# Site properties a PUT or PATCH may write (the others are read-only, or set through their own API)
SITE_PROPERTIES: dict[str, Shape] = {
    "enabled": BOOL,
    "reserved": BOOL,
    "isXenon": BOOL,
    "hyperV": BOOL,
    "scmSiteAlsoStopped": BOOL,
    "clientAffinityEnabled": BOOL,
    "clientCertEnabled": BOOL,
    "clientCertMode": enum("Required", "Optional", "OptionalInteractiveUser"),
    "clientCertExclusionPaths": STR,
    "hostNamesDisabled": BOOL,
    "containerSize": INT,
    "dailyMemoryTimeQuota": INT,
    "httpsOnly": BOOL,
    "redundancyMode": enum("None", "Manual", "Failover", "ActiveActive", "GeoRedundant"),
    "publicNetworkAccess": STR,
    "storageAccountRequired": BOOL,
    "keyVaultReferenceIdentity": STR,
    "serverFarmId": STR,
    "virtualNetworkSubnetId": STR,
    "outboundVnetRouting": ObjectOf(
        {
            "allTraffic": BOOL,
            "applicationTraffic": BOOL,
            "contentShareTraffic": BOOL,
            "imagePullTraffic": BOOL,
            "backupRestoreTraffic": BOOL,
        }
    ),
}

# siteConfig (appSettings and connectionStrings are read apart: they replace the slot's settings)
SITE_CONFIG: dict[str, Shape] = {
    **dict.fromkeys(
        (
            "netFrameworkVersion",
            "phpVersion",
            "pythonVersion",
            "nodeVersion",
            "powerShellVersion",
            "linuxFxVersion",
            "windowsFxVersion",
            "requestTracingExpirationTime",
            "remoteDebuggingVersion",
            "acrUserManagedIdentityID",
            "publishingUsername",
            "documentRoot",
            "scmType",
            "javaVersion",
            "javaContainer",
            "javaContainerVersion",
            "appCommandLine",
            "tracingOptions",
            "vnetName",
            "autoSwapSlotName",
            "keyVaultReferenceIdentity",
            "ipSecurityRestrictionsDefaultAction",
            "scmIpSecurityRestrictionsDefaultAction",
            "minTlsVersion",
            "minTlsCipherSuite",
            "scmMinTlsVersion",
            "ftpsState",
            "healthCheckPath",
            "websiteTimeZone",
            "publicNetworkAccess",
        ),
        STR,
    ),
    **dict.fromkeys(
        (
            "requestTracingEnabled",
            "remoteDebuggingEnabled",
            "httpLoggingEnabled",
            "acrUseManagedIdentityCreds",
            "detailedErrorLoggingEnabled",
            "use32BitWorkerProcess",
            "webSocketsEnabled",
            "alwaysOn",
            "autoHealEnabled",
            "vnetRouteAllEnabled",
            "localMySqlEnabled",
            "scmIpSecurityRestrictionsUseMain",
            "http20Enabled",
            "functionsRuntimeScaleMonitoringEnabled",
        ),
        BOOL,
    ),
    **dict.fromkeys(
        (
            "numberOfWorkers",
            "logsDirectorySizeLimit",
            "vnetPrivatePortsCount",
            "managedServiceIdentityId",
            "xManagedServiceIdentityId",
            "http20ProxyFlag",
            "preWarmedInstanceCount",
            "functionAppScaleLimit",
            "elasticWebAppScaleLimit",
            "minimumElasticInstanceCount",
        ),
        INT,
    ),
    "defaultDocuments": ListOf(STR),
    "metadata": ListOf(_NAME_VALUE),
    "machineKey": ObjectOf(dict.fromkeys(_MACHINE_KEY, STR)),
    "handlerMappings": ListOf(ObjectOf({"extension": STR, "scriptProcessor": STR, "arguments": STR})),
    "managedPipelineMode": enum("Integrated", "Classic"),
    "virtualApplications": ListOf(
        ObjectOf(
            {
                "virtualPath": STR,
                "physicalPath": STR,
                "preloadEnabled": BOOL,
                "virtualDirectories": ListOf(_VIRTUAL_DIRECTORY),
            }
        )
    ),
    "loadBalancing": enum(
        "WeightedRoundRobin",
        "LeastRequests",
        "LeastResponseTime",
        "WeightedTotalTraffic",
        "RequestHash",
        "PerSiteRoundRobin",
        "LeastRequestsWithTieBreaker",
    ),
    "experiments": ObjectOf(
        {
            "rampUpRules": ListOf(
                ObjectOf(
                    {
                        "actionHostName": STR,
                        "reroutePercentage": NUMBER,
                        "changeStep": NUMBER,
                        "changeIntervalInMinutes": INT,
                        "minReroutePercentage": NUMBER,
                        "maxReroutePercentage": NUMBER,
                        "changeDecisionCallbackUrl": STR,
                        "name": STR,
                    }
                )
            )
        }
    ),
    "limits": ObjectOf({"maxPercentageCpu": NUMBER, "maxMemoryInMb": INT, "maxDiskSizeInMb": INT}),
    "autoHealRules": ANY_OBJECT,
    "cors": ObjectOf({"allowedOrigins": ListOf(STR), "supportCredentials": BOOL}),
    "push": ANY_OBJECT,
    "apiDefinition": ObjectOf({"url": STR}),
    "apiManagementConfig": ObjectOf({"id": STR}),
    "ipSecurityRestrictions": ListOf(ANY_OBJECT),
    "scmIpSecurityRestrictions": ListOf(ANY_OBJECT),
    "azureStorageAccounts": MapOf(ANY_OBJECT),
}
