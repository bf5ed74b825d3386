"""Wire of the emulated Azure DevOps identities and graph: users and project groups.

    GET /{org}/_apis/identities?searchFilter=General&filterValue=lead@contoso.com   -> [Identity]
    GET /{org}/_apis/identities?identityIds=a,b&queryMembership=Direct             -> [Identity]
    GET /{org}/_apis/identities/{identityId}                                        -> Identity
    GET /{org}/_apis/graph/users, /graph/groups                                      -> {count, value}

Users are found by e-mail or display name, groups by ``[Project]\\Group``; exact and case-insensitive
(the rules are in ``backends/devops_org.py``). On the real service these live on
``vssps.dev.azure.com``; the emulator serves them on the organization's host (ResourceAreas is empty).
Must not: keep state.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from slotwise_emulator.backends.devops_directory import ApiLocation
from slotwise_emulator.backends.devops_records import USER, Member
from slotwise_emulator.errors import devops_error
from slotwise_emulator.routes.devops_common import Call, answer, api, collection, csv

IDENTITY_AREA = "8a3d49b8-91f0-46ef-b33d-dda338c25db3"
GRAPH_AREA = "bb1e7ec9-e901-4b68-999a-de7012b920f8"
IDENTITIES = ApiLocation(
    "28010c54-d0c0-4c89-a5b0-1c9e188b9fb7", "IMS", "Identities", "_apis/{resource}/{identityId}", 1,
    area_id=IDENTITY_AREA,
)  # fmt: skip
GRAPH_USERS = ApiLocation(
    "005e26ec-6b77-4e4f-a986-b3827bf241f5", "Graph", "Users", "_apis/{area}/{resource}/{userDescriptor}", 1,
    min_version="3.2", released_version="0.0", area_id=GRAPH_AREA,
)  # fmt: skip
GRAPH_GROUPS = ApiLocation(
    "ebbe6af8-0b91-4c13-8cf1-777c14858188", "Graph", "Groups", "_apis/{area}/{resource}/{groupDescriptor}", 1,
    min_version="3.2", released_version="0.0", area_id=GRAPH_AREA,
)  # fmt: skip
LOCATIONS: tuple[ApiLocation, ...] = (IDENTITIES, GRAPH_USERS, GRAPH_GROUPS)
_TYPE = "Microsoft.VisualStudio.Services.Identity"


def _property(value: str) -> dict[str, str]:
    return {"$type": "System.String", "$value": value}


def identity_body(call: Call, member: Member, membership: bool) -> dict[str, Any]:
    """An Identity (IdentityBase) as the identities API answers it."""
    records = call.directory.records_of(call.org.name)
    member_of = [g for g in records.members.values() if member.id in g.members]
    body: dict[str, Any] = {
        "id": member.id,
        "descriptor": member.descriptor,
        "subjectDescriptor": member.subject_descriptor,
        "providerDisplayName": member.display_name,
        "isActive": True,
        "members": [records.members[m].descriptor for m in member.members if m in records.members]
        if membership
        else [],
        "memberOf": [g.descriptor for g in member_of] if membership else [],
        "memberIds": list(member.members) if membership else [],
        "resourceVersion": 2,
        "metaTypeId": 0 if member.kind == USER else 255,
    }
    if member.kind == USER:
        body["properties"] = {
            "SchemaClassName": _property("User"),
            "Domain": _property(member.tenant_id),
            "Account": _property(member.unique_name),
            "Mail": _property(member.unique_name),
        }
    else:
        body["isContainer"] = True
        body["properties"] = {
            "SchemaClassName": _property("Group"),
            "Domain": _property(f"vstfs:///Classification/TeamProject/{member.project_id}"),
            "Account": _property(member.account),
            "LocalScopeId": _property(member.project_id),
        }
    return body


def graph_body(call: Call, member: Member) -> dict[str, Any]:
    """A GraphUser or GraphGroup."""
    kind = "Users" if member.kind == USER else "Groups"
    url = f"{call.collection}_apis/Graph/{kind}/{member.subject_descriptor}"
    body: dict[str, Any] = {
        "subjectKind": "user" if member.kind == USER else "group",
        "principalName": member.unique_name,
        "displayName": member.display_name if member.kind == USER else member.account,
        "descriptor": member.subject_descriptor,
        "originId": member.id,
        "url": url,
        "_links": {"self": {"href": url}},
    }
    if member.kind == USER:
        body |= {"domain": member.tenant_id, "mailAddress": member.unique_name, "origin": "aad"}
    else:
        body |= {
            "domain": f"vstfs:///Classification/TeamProject/{member.project_id}",
            "origin": "vsts",
            "description": "",
        }
    return body


@api(IDENTITIES)
async def read_identities(request: Request, call: Call) -> Response:
    membership = request.query_params.get("queryMembership", "None").lower() in ("direct", "expanded")
    ids = csv(request, "identityIds")
    search = request.query_params.get("searchFilter")
    value = request.query_params.get("filterValue")
    if ids:
        records = call.directory.records_of(call.org.name)
        found = [records.members[i.lower()] for i in ids if i.lower() in records.members]
    elif search and value is not None:
        found = call.directory.search(call.org.name, search, value)
    else:
        raise devops_error(
            400,
            "ArgumentException",
            "Exactly one of descriptors, identityIds, subjectDescriptors, socialDescriptors or "
            "searchFilter (with filterValue) must be given.",
        )
    return collection([identity_body(call, m, membership) for m in found], call)


@api(IDENTITIES)
async def read_identity(request: Request, call: Call) -> Response:
    member = call.directory.records_of(call.org.name).members.get(str(request.path_params["identity_id"]))
    if member is None:
        raise devops_error(
            404,
            "IdentityNotFoundException",
            f"TF14045: The identity with identifier {request.path_params['identity_id']} could not be found.",
            f"{_TYPE}.IdentityNotFoundException, Microsoft.VisualStudio.Services.WebApi",
        )
    membership = request.query_params.get("queryMembership", "None").lower() in ("direct", "expanded")
    return answer(identity_body(call, member, membership), call)


@api(GRAPH_USERS)
async def list_users(_: Request, call: Call) -> Response:
    members = call.directory.records_of(call.org.name).members.values()
    return collection([graph_body(call, m) for m in members if m.kind == USER], call)


@api(GRAPH_GROUPS)
async def list_groups(_: Request, call: Call) -> Response:
    members = call.directory.records_of(call.org.name).members.values()
    return collection([graph_body(call, m) for m in members if m.kind != USER], call)


def routes() -> list[BaseRoute]:
    return [
        Route("/{org}/_apis/identities", read_identities, methods=["GET"]),
        Route("/{org}/_apis/identities/{identity_id}", read_identity, methods=["GET"]),
        Route("/{org}/_apis/graph/users", list_users, methods=["GET"]),
        Route("/{org}/_apis/graph/groups", list_groups, methods=["GET"]),
    ]
