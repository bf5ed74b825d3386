"""The service endpoints a pipeline job carries, as Azure DevOps sends them to the agent: the one place
their shape is written.

``azurerm``: an AzureRM service connection as a task sees it (``ENDPOINT_*``): the URL (the emulated
ARM), the scheme, the authorization parameters (``tenantid``, ``serviceprincipalid``, and for
``WorkloadIdentityFederation`` the issuer and subject, for ``ServicePrincipal`` ``authenticationType
spnKey`` and the ``serviceprincipalkey`` secret) and the data (subscription, environment,
``environmentAuthorityUrl`` = the emulated login authority, the ARM resource id). ``system_vss``: the
``SystemVssConnection`` endpoint every job has (the collection URI, scheme ``OAuth``, the job's access
token as parameter ``AccessToken``). ``pipeline.py`` (the build hub's ``agent_env``) and the release
service's jobs both use these.

Must not: know HTTP, releases, or how an agent maps endpoints to a process's environment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from slotwise_emulator.backends.devops_jobs import Endpoint

if TYPE_CHECKING:
    from slotwise_emulator.backends.identity import IdentityBackend

ARM_RESOURCE_ID = "https://management.core.windows.net/"
SYSTEM_VSS_CONNECTION = "SystemVssConnection"
SPN_KEY_SCHEME = "ServicePrincipal"


class ConnectionFacts(Protocol):
    """What an AzureRM connection's endpoint is made of (``devops.ServiceConnection`` and
    ``pipeline.ServiceConnectionInfo`` both have it)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def scheme(self) -> str: ...

    @property
    def tenant_id(self) -> str: ...

    @property
    def client_id(self) -> str: ...

    @property
    def subscription_id(self) -> str: ...

    @property
    def subscription_name(self) -> str: ...

    @property
    def issuer(self) -> str: ...

    @property
    def subject(self) -> str: ...


def azurerm(connection: ConnectionFacts, *, arm_url: str, authority: str, key: str | None) -> Endpoint:
    """The connection's endpoint; ``key``: the client secret of a ``ServicePrincipal`` (spnKey) one."""
    parameters = {"serviceprincipalid": connection.client_id, "tenantid": connection.tenant_id}
    if connection.scheme == SPN_KEY_SCHEME:
        parameters |= {"authenticationType": "spnKey", "serviceprincipalkey": key or ""}
    else:
        parameters |= {
            "workloadIdentityFederationIssuer": connection.issuer,
            "workloadIdentityFederationSubject": connection.subject,
        }
    data = {
        "subscriptionId": connection.subscription_id,
        "subscriptionName": connection.subscription_name,
        "environment": "AzureCloud",
        "scopeLevel": "Subscription",
        "creationMode": "Manual",
        "environmentAuthorityUrl": f"{authority.rstrip('/')}/",
        "activeDirectoryServiceEndpointResourceId": ARM_RESOURCE_ID,
    }
    return Endpoint(
        id=connection.id,
        name=connection.name,
        type="azurerm",
        url=f"{arm_url.rstrip('/')}/" if arm_url else "https://management.azure.com/",
        scheme=connection.scheme,
        parameters=parameters,
        data=data,
    )


def spn_key(identity: IdentityBackend, connection: ConnectionFacts) -> str | None:
    """The client secret an spnKey connection holds (its app's first), None for another scheme."""
    if connection.scheme != SPN_KEY_SCHEME:
        return None
    app = identity.apps.get(connection.client_id)
    return app.secrets[0] if app is not None and app.secrets else None


def system_vss(collection_uri: str, access_token: str) -> Endpoint:
    """The job's ``SystemVssConnection`` (its id is its name, as the agent keys it)."""
    return Endpoint(
        id=SYSTEM_VSS_CONNECTION,
        name=SYSTEM_VSS_CONNECTION,
        type="",  # the agent exposes no type to tasks
        url=collection_uri,
        scheme="OAuth",
        parameters={"AccessToken": access_token},
    )
