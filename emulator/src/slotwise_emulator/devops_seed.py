"""The Azure DevOps seed: an organization ready for ``slotwise release apply templates/release/<file>``.

Organization ``contoso`` (connected to the emulator's tenant), project ``Fabrikam``; users
lead@, ops@ and admin@contoso.com; groups ``[Fabrikam]\\Release Approvers`` (lead, ops) and
``[Fabrikam]\\QA``; a personal access token of admin@contoso.com (``AZURE_DEVOPS_EXT_PAT``); agent
queues ``Azure Pipelines`` and ``Default``; build definitions orders-, inventory-, billing- and
notifications-api-CI, each with one completed, succeeded build of refs/heads/main; the AzureRM
service connection ``contoso-azure`` (workload identity federation, the default service principal,
the default subscription: the emulated ARM); and the function apps func-<x>/rg-<x> those templates
name, with slots ``staging`` and ``test``.

Idempotent: seeding twice changes nothing, and the PAT stays the same while it is valid. The
emulator runs it when started with ``seed=True`` (``slotwise-emulator`` and ``slotwise emulator`` do by
default), ``Emulator.seed_devops()`` and ``POST /_emulator/devops/seed`` on demand.
Must not: know HTTP; run outside the server's loop (callers go through ``Emulator.call``).
"""

from __future__ import annotations

from typing import Any

from slotwise_emulator.backends import Backends
from slotwise_emulator.errors import ServiceError
from slotwise_emulator.routes.control_devops import new_connection

ORG = "contoso"
PROJECT = "Fabrikam"
ADMIN = "admin@contoso.com"
USERS = ("lead@contoso.com", "ops@contoso.com", ADMIN)
GROUPS: dict[str, tuple[str, ...]] = {
    "Release Approvers": ("lead@contoso.com", "ops@contoso.com"),
    "QA": (),
}
QUEUES = ("Azure Pipelines", "Default")
APPS = ("orders", "inventory", "billing", "notifications")
SLOTS = ("staging", "test")
CONNECTION = "contoso-azure"
LOCATION = "westeurope"


def seed_devops(b: Backends) -> dict[str, Any]:
    """Seed (or complete) the organization and the apps; answers what a client needs to know."""
    devops = b.devops
    directory = devops.directory
    devops.create_organization(ORG, tenant_id=b.seed["tenant_id"])
    project = devops.create_project(ORG, PROJECT)
    for email in USERS:
        directory.create_user(ORG, email)
    for group, members in GROUPS.items():
        directory.create_group(ORG, PROJECT, group, members)
    for queue in QUEUES:
        directory.create_queue(ORG, PROJECT, queue)
    records = directory.records_of(ORG)
    for app in APPS:
        definition = directory.create_build_definition(ORG, PROJECT, f"{app}-api-CI")
        if not any(build.definition_id == definition.id for build in records.builds.values()):
            directory.complete_build(ORG, PROJECT, definition.name, build_number=f"20240101.{definition.id}")
    if project.connection_named(CONNECTION) is None:
        new_connection(b, ORG, PROJECT, CONNECTION)
    for app in APPS:
        _function_app(b, f"rg-{app}", f"func-{app}")
    pat = records.pats.get(b.seed.get("devops_pat", ""))
    if pat is None or pat.expires <= b.clock.now():
        pat = directory.issue_pat(ORG, ADMIN, "slotwise emulator seed")
    b.seed |= {"devops_org": ORG, "devops_pat": pat.token, "devops_admin": ADMIN}
    return {
        "organization": ORG,
        "project": PROJECT,
        "collectionUri": devops.collection_uri(ORG),
        "pat": pat.token,
        "user": ADMIN,
    }


def _function_app(b: Backends, group: str, name: str) -> None:
    subscription = b.seed["subscription_id"]
    b.resources.create_or_update_group(subscription, group, LOCATION)
    try:
        site = b.web.site(subscription, group, name)
    except ServiceError:
        site = b.web.create_site(subscription, group, name, location=LOCATION)
    for slot in SLOTS:
        if slot not in site.slots:
            b.web.create_slot(subscription, group, name, slot)
