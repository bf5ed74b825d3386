"""An in-memory organization that knows every name the templates and the tests' specs use."""

from __future__ import annotations

from pathlib import Path

from tests.fakes import FakeDirectory, FakeOrganization

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates" / "release"
BUILDS = ("orders-api-CI", "inventory-api-CI", "billing-api-CI", "notifications-api-CI")
IDENTITIES = (
    "lead@contoso.com",
    "ops@contoso.com",
    "[Fabrikam]\\Release Approvers",
    "[Fabrikam]\\QA",
)


def fabrikam(env: dict[str, str] | None = None) -> FakeOrganization:
    """Projects Fabrikam and Tailspin, with the templates' build definitions, service connection,
    queues, groups and approvers."""
    directory = FakeDirectory(env)
    for project in ("Fabrikam", "Tailspin"):
        directory.add_project(
            project,
            queues=("Azure Pipelines", "Default"),
            endpoints=("contoso-azure",),
            builds=BUILDS,
            groups=("orders-settings",),
        )
    directory.add_identities(*IDENTITIES)
    return FakeOrganization(directory)
