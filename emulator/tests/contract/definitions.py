"""Definitions the App Service excerpt names but does not carry, as Swagger 2.0 schema objects.

The excerpt on hand (``../shared/reference/app-service/spec-2025-05-01-WebApps-slot-paths-excerpt.json``)
holds the path objects of the slot operations and refers to ``#/definitions/SlotDifferenceCollection``
and ``./CommonDefinitions.json#/definitions/DefaultErrorResponse`` without carrying them; the official
examples on hand answer a ``Site`` and a ``StringDictionary``. These are the facts of those definitions
the contract tests need (names, JSON types, enums that are closed, what is required), read from
Azure/azure-rest-api-specs ``specification/web/resource-manager/Microsoft.Web/stable/2025-05-01/``
(``CommonDefinitions.json`` @ d682a5d722e4, ``WebApps.json`` @ ea07d31e6b77); their property names were
cross-checked with the models of azure-mgmt-web 11.0.1, which Microsoft generates from the same
specification. Descriptions and open enums (``modelAsString: true``) are left out. A definition the
documents on hand do carry is always taken from them (``spec.Converter``), never from here; with the
full ``CommonDefinitions.json`` and ``WebApps.json`` beside the excerpt, this module could go.

``Site`` keeps its resource properties in ``SiteProperties`` (upstream: an inline object) so that the
properties real traffic carries beyond the document can be allowed by name. Objects of ``SiteConfig``
that no answer of the emulator carries (auto-heal rules, IP restrictions, push, storage accounts'
values) are open objects here.
"""

from __future__ import annotations

from typing import Any

STR: dict[str, Any] = {"type": "string"}
BOOL: dict[str, Any] = {"type": "boolean"}
INT: dict[str, Any] = {"type": "integer"}
NUMBER: dict[str, Any] = {"type": "number"}
OBJECT: dict[str, Any] = {"type": "object"}
STRINGS: dict[str, Any] = {"type": "array", "items": STR}
DATE_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/definitions/{name}"}


def closed(*values: str) -> dict[str, Any]:
    """A string enum whose ``x-ms-enum`` has ``modelAsString: false``: no other value is valid."""
    return {"type": "string", "enum": list(values)}


def obj(properties: dict[str, Any], *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


_ERROR_DETAIL = obj({"code": STR, "message": STR, "target": STR})

SUPPLEMENT: dict[str, dict[str, Any]] = {
    # CommonDefinitions.json
    "DefaultErrorResponse": obj(
        {
            "error": obj(
                {
                    "code": STR,
                    "message": STR,
                    "target": STR,
                    "details": {"type": "array", "items": _ERROR_DETAIL},
                    "innererror": STR,
                }
            )
        }
    ),
    "ProxyOnlyResource": obj({"id": STR, "name": STR, "kind": STR, "type": STR}),
    "Resource": obj(
        {
            "id": STR,
            "name": STR,
            "kind": STR,
            "location": STR,
            "type": STR,
            "tags": {"type": "object", "additionalProperties": STR},
        },
        required=("location",),
    ),
    "StringDictionary": {
        "type": "object",
        "allOf": [ref("ProxyOnlyResource")],
        "properties": {"properties": {"type": "object", "additionalProperties": STR}},
    },
    "Site": {
        "type": "object",
        "allOf": [ref("Resource")],
        "properties": {
            "properties": ref("SiteProperties"),
            "identity": OBJECT,
            "extendedLocation": OBJECT,
        },
    },
    "SiteProperties": obj(
        {
            "state": STR,
            "hostNames": STRINGS,
            "repositorySiteName": STR,
            "usageState": closed("Normal", "Exceeded"),
            "enabled": BOOL,
            "enabledHostNames": STRINGS,
            "availabilityState": closed("Normal", "Limited", "DisasterRecoveryMode"),
            "hostNameSslStates": {"type": "array", "items": ref("HostNameSslState")},
            "serverFarmId": STR,
            "reserved": BOOL,
            "isXenon": BOOL,
            "hyperV": BOOL,
            "lastModifiedTimeUtc": DATE_TIME,
            "dnsConfiguration": ref("SiteDnsConfig"),
            "outboundVnetRouting": ref("OutboundVnetRouting"),
            "siteConfig": ref("SiteConfig"),
            "functionAppConfig": OBJECT,
            "daprConfig": OBJECT,
            "workloadProfileName": STR,
            "resourceConfig": OBJECT,
            "trafficManagerHostNames": STRINGS,
            "scmSiteAlsoStopped": BOOL,
            "targetSwapSlot": STR,
            "hostingEnvironmentProfile": obj({"id": STR, "name": STR, "type": STR}),
            "clientAffinityEnabled": BOOL,
            "clientAffinityPartitioningEnabled": BOOL,
            "clientAffinityProxyEnabled": BOOL,
            "clientCertEnabled": BOOL,
            "clientCertMode": closed("Required", "Optional", "OptionalInteractiveUser"),
            "clientCertExclusionPaths": STR,
            "ipMode": closed("IPv4", "IPv6", "IPv4AndIPv6"),
            "endToEndEncryptionEnabled": BOOL,
            "sshEnabled": BOOL,
            "hostNamesDisabled": BOOL,
            "customDomainVerificationId": STR,
            "outboundIpAddresses": STR,
            "possibleOutboundIpAddresses": STR,
            "containerSize": INT,
            "dailyMemoryTimeQuota": INT,
            "suspendedTill": DATE_TIME,
            "maxNumberOfWorkers": INT,
            "cloningInfo": OBJECT,
            "resourceGroup": STR,
            "isDefaultContainer": BOOL,
            "defaultHostName": STR,
            "slotSwapStatus": ref("SlotSwapStatus"),
            "httpsOnly": BOOL,
            "redundancyMode": closed("None", "Manual", "Failover", "ActiveActive", "GeoRedundant"),
            "inProgressOperationId": {"type": "string", "format": "uuid"},
            "publicNetworkAccess": STR,
            "storageAccountRequired": BOOL,
            "keyVaultReferenceIdentity": STR,
            "autoGeneratedDomainNameLabelScope": closed(
                "TenantReuse", "SubscriptionReuse", "ResourceGroupReuse", "NoReuse"
            ),
            "virtualNetworkSubnetId": STR,
            "managedEnvironmentId": STR,
            "sku": STR,
        }
    ),
    "HostNameSslState": obj(
        {
            "name": STR,
            "sslState": closed("Disabled", "SniEnabled", "IpBasedEnabled"),
            "virtualIP": STR,
            "thumbprint": STR,
            "toUpdate": BOOL,
            "hostType": closed("Standard", "Repository"),
        }
    ),
    "SiteDnsConfig": obj(
        {
            "dnsServers": STRINGS,
            "dnsAltServer": STR,
            "dnsRetryAttemptTimeout": INT,
            "dnsRetryAttemptCount": INT,
            "dnsMaxCacheTimeout": INT,
            "dnsLegacySortOrder": BOOL,
        }
    ),
    "OutboundVnetRouting": obj(
        {
            "allTraffic": BOOL,
            "applicationTraffic": BOOL,
            "contentShareTraffic": BOOL,
            "imagePullTraffic": BOOL,
            "backupRestoreTraffic": BOOL,
        }
    ),
    "SiteConfig": obj(
        {
            "numberOfWorkers": INT,
            "defaultDocuments": STRINGS,
            "netFrameworkVersion": STR,
            "phpVersion": STR,
            "pythonVersion": STR,
            "nodeVersion": STR,
            "powerShellVersion": STR,
            "linuxFxVersion": STR,
            "windowsFxVersion": STR,
            "requestTracingEnabled": BOOL,
            "requestTracingExpirationTime": DATE_TIME,
            "remoteDebuggingEnabled": BOOL,
            "remoteDebuggingVersion": STR,
            "httpLoggingEnabled": BOOL,
            "acrUseManagedIdentityCreds": BOOL,
            "acrUserManagedIdentityID": STR,
            "logsDirectorySizeLimit": INT,
            "detailedErrorLoggingEnabled": BOOL,
            "publishingUsername": STR,
            "appSettings": {"type": "array", "items": obj({"name": STR, "value": STR})},
            "metadata": {"type": "array", "items": obj({"name": STR, "value": STR})},
            "connectionStrings": {"type": "array", "items": ref("ConnStringInfo")},
            "machineKey": obj(
                {"validation": STR, "validationKey": STR, "decryption": STR, "decryptionKey": STR}
            ),
            "handlerMappings": {
                "type": "array",
                "items": obj({"extension": STR, "scriptProcessor": STR, "arguments": STR}),
            },
            "documentRoot": STR,
            "scmType": STR,
            "use32BitWorkerProcess": BOOL,
            "webSocketsEnabled": BOOL,
            "alwaysOn": BOOL,
            "javaVersion": STR,
            "javaContainer": STR,
            "javaContainerVersion": STR,
            "appCommandLine": STR,
            "managedPipelineMode": closed("Integrated", "Classic"),
            "virtualApplications": {"type": "array", "items": ref("VirtualApplication")},
            "loadBalancing": closed(
                "WeightedRoundRobin",
                "LeastRequests",
                "LeastResponseTime",
                "WeightedTotalTraffic",
                "RequestHash",
                "PerSiteRoundRobin",
                "LeastRequestsWithTieBreaker",
            ),
            "experiments": obj({"rampUpRules": {"type": "array", "items": ref("RampUpRule")}}),
            "limits": obj({"maxPercentageCpu": NUMBER, "maxMemoryInMb": INT, "maxDiskSizeInMb": INT}),
            "autoHealEnabled": BOOL,
            "autoHealRules": OBJECT,
            "tracingOptions": STR,
            "vnetName": STR,
            "vnetRouteAllEnabled": BOOL,
            "vnetPrivatePortsCount": INT,
            "cors": obj({"allowedOrigins": STRINGS, "supportCredentials": BOOL}),
            "push": OBJECT,
            "apiDefinition": obj({"url": STR}),
            "apiManagementConfig": obj({"id": STR}),
            "autoSwapSlotName": STR,
            "localMySqlEnabled": BOOL,
            "managedServiceIdentityId": INT,
            "xManagedServiceIdentityId": INT,
            "keyVaultReferenceIdentity": STR,
            "ipSecurityRestrictions": {"type": "array", "items": OBJECT},
            "ipSecurityRestrictionsDefaultAction": STR,
            "scmIpSecurityRestrictions": {"type": "array", "items": OBJECT},
            "scmIpSecurityRestrictionsDefaultAction": STR,
            "scmIpSecurityRestrictionsUseMain": BOOL,
            "http20Enabled": BOOL,
            "http20ProxyFlag": INT,
            "minTlsVersion": STR,
            "minTlsCipherSuite": STR,
            "scmMinTlsVersion": STR,
            "ftpsState": STR,
            "preWarmedInstanceCount": INT,
            "functionAppScaleLimit": INT,
            "elasticWebAppScaleLimit": INT,
            "healthCheckPath": STR,
            "functionsRuntimeScaleMonitoringEnabled": BOOL,
            "websiteTimeZone": STR,
            "minimumElasticInstanceCount": INT,
            "azureStorageAccounts": {"type": "object", "additionalProperties": OBJECT},
            "publicNetworkAccess": STR,
        }
    ),
    "ConnStringInfo": obj(
        {
            "name": STR,
            "connectionString": STR,
            "type": closed(
                "MySql",
                "SQLServer",
                "SQLAzure",
                "Custom",
                "NotificationHub",
                "ServiceBus",
                "EventHub",
                "ApiHub",
                "DocDb",
                "RedisCache",
                "PostgreSQL",
            ),
        }
    ),
    "VirtualApplication": obj(
        {
            "virtualPath": STR,
            "physicalPath": STR,
            "preloadEnabled": BOOL,
            "virtualDirectories": {"type": "array", "items": obj({"virtualPath": STR, "physicalPath": STR})},
        }
    ),
    "RampUpRule": obj(
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
    ),
    "SlotSwapStatus": obj({"timestampUtc": DATE_TIME, "sourceSlotName": STR, "destinationSlotName": STR}),
    # WebApps.json
    "SlotDifferenceCollection": obj(
        {"value": {"type": "array", "items": ref("SlotDifference")}, "nextLink": STR}, required=("value",)
    ),
    "SlotDifference": {
        "type": "object",
        "allOf": [ref("ProxyOnlyResource")],
        "properties": {
            "properties": obj(
                {
                    "level": STR,
                    "settingType": STR,
                    "diffRule": STR,
                    "settingName": STR,
                    "valueInCurrentSlot": STR,
                    "valueInTargetSlot": STR,
                    "description": STR,
                }
            )
        },
    },
}
