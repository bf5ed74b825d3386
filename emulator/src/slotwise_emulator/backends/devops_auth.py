"""Who is calling an emulated Azure DevOps organization, and which REST API version it asked for.

Owns: personal access tokens (issued per user, presented as Basic ``base64(<any user>:<pat>)``), the
bearer tokens the organization accepts (Entra tokens for Azure DevOps' resource
``499b84ac-1321-427f-aa17-267ca6975798`` from the organization's tenant, and pipeline jobs' access
tokens), the IdentityRef each of them stands for, and the api-version rules of the server the
emulator answers as (Services up to 7.1, Server 2022 up to 7.0).

Must not: know HTTP (routes pass the ``Authorization`` header and the requested version in) or any
resource's rules. Errors are ``ServiceError`` in Azure DevOps' shape; an unauthenticated request gets
the 401 ``backends/devops.py`` words.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from slotwise_emulator.backends.devops import Organization, presented_token, unauthorized
from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.backends.devops_records import USER, Member, OrgRecords, Pat, ServerKind
from slotwise_emulator.backends.identity import DEVOPS_RESOURCE
from slotwise_emulator.errors import ServiceError, devops_error

if TYPE_CHECKING:
    from slotwise_emulator.backends.devops import DevOpsBackend

PAT_LIFETIME = 90 * 24 * 3600  # the portal's default: 30 days; the emulator's: 90, tests run long
_VERSION = re.compile(r"^(\d+)\.(\d+)(?:-preview(?:\.(\d+))?)?$")


def identity_ref(member: Member, collection_uri: str) -> dict[str, Any]:
    """The IdentityRef of a user or group."""
    return {
        "displayName": member.display_name,
        "id": member.id,
        "uniqueName": member.unique_name,
        "descriptor": member.subject_descriptor,
        "url": f"{collection_uri}_apis/Identities/{member.id}",
        "imageUrl": f"{collection_uri}_api/_common/identityImage?id={member.id}",
        **({"isContainer": True} if member.kind != USER else {}),
    }


def parse_version(requested: str | None, method: str = "GET") -> tuple[int, int, bool]:
    """``(major, minor, preview)`` of an api-version, or the VSS 400 when it is missing or malformed."""
    if not requested:
        raise devops_error(
            400,
            "VssVersionNotSpecifiedException",
            f'No api-version was supplied for the "{method}" request. The version must be supplied '
            'either as part of the Accept header (e.g. "application/json; api-version=1.0") or as a query '
            "parameter (e.g. '?api-version=1.0').",
        )
    match = _VERSION.match(requested.strip())
    if match is None:
        raise devops_error(
            400, "VssInvalidApiVersionException", f"The api-version '{requested}' is not a valid version."
        )
    return int(match.group(1)), int(match.group(2)), "-preview" in requested


def _version_tuple(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    return int(major), int(minor or 0)


def effective_max(server: ServerKind, location: ApiLocation) -> tuple[int, int]:
    """The newest version of a location this server serves."""
    return min(server.max_version, _version_tuple(location.max_version))


def check_version(server: ServerKind, location: ApiLocation, requested: str | None) -> str:
    """The api-version to answer with, or the 400 the server answers out-of-range versions with."""
    major, minor, _ = parse_version(requested)
    newest = effective_max(server, location)
    oldest = _version_tuple(location.min_version)
    if (major, minor) > newest:
        raise devops_error(
            400,
            "VssVersionOutOfRangeException",
            f"The requested REST API version of {major}.{minor} is out of range for this server. The "
            f"latest REST API version this server supports is {newest[0]}.{newest[1]}.",
        )
    if (major, minor) < oldest:
        raise devops_error(
            400,
            "VssVersionOutOfRangeException",
            f"The requested REST API version of {major}.{minor} is out of range for this server. The "
            f"earliest REST API version this server supports is {oldest[0]}.{oldest[1]}.",
        )
    assert requested is not None
    return requested.strip()


def issue_pat(records: OrgRecords, user: Member, name: str, now: float) -> Pat:
    """A new personal access token for ``user`` (52 characters, like Azure DevOps' old format)."""
    token = secrets.token_hex(26)
    pat = Pat(user.id, name, now + PAT_LIFETIME, token)
    records.pats[token] = pat
    return pat


def authorize(
    devops: DevOpsBackend, org: Organization, records: OrgRecords, authorization: str | None
) -> dict[str, Any]:
    """The caller's IdentityRef: a PAT's user, an Entra token's service principal, or a job's build
    service; Azure DevOps' 401 otherwise."""
    collection = devops.collection_uri(org.name)
    scheme = (authorization or "").partition(" ")[0].lower()
    token = presented_token(authorization)
    if not token:
        raise unauthorized(devops.identity.authority, devops.base_url, org)
    if scheme == "basic":
        pat = records.pats.get(token)
        member = records.members.get(pat.user_id) if pat else None
        if pat is None or member is None or pat.expires <= devops.clock.now():
            raise unauthorized(devops.identity.authority, devops.base_url, org)
        return identity_ref(member, collection)
    job = devops.job_for_token(token)
    if job is not None:
        if job.organization.lower() != org.name.lower() or job.expires <= devops.clock.now():
            raise unauthorized(devops.identity.authority, devops.base_url, org)
        project = org.projects[job.project_id]
        build_service = str(uuid.uuid5(uuid.NAMESPACE_URL, f"build-service/{org.id}/{project.id}"))
        return {
            "displayName": f"{project.name} Build Service ({org.name})",
            "id": build_service,
            "uniqueName": f"Build\\{project.id}",
            "descriptor": f"svc.{build_service}",
            "url": f"{collection}_apis/Identities/{build_service}",
        }
    return _entra_caller(devops, org, authorization or "", collection)


def _entra_caller(devops: DevOpsBackend, org: Organization, header: str, collection: str) -> dict[str, Any]:
    try:
        claims = devops.identity.validate_bearer(header, (DEVOPS_RESOURCE,))
    except ServiceError as error:
        raise unauthorized(devops.identity.authority, devops.base_url, org) from error
    if claims.tenant_id != org.tenant_id:  # a token from another tenant: not this organization's
        raise unauthorized(devops.identity.authority, devops.base_url, org)
    app = devops.identity.apps.get(claims.client_id)
    name = app.display_name if app else claims.client_id
    return {
        "displayName": name,
        "id": claims.object_id,
        "uniqueName": claims.client_id,
        "descriptor": f"aadsp.{claims.object_id}",
        "url": f"{collection}_apis/Identities/{claims.object_id}",
    }
