"""App Service plans, publishing passwords and resource-group locations in the backends alone."""

from __future__ import annotations

import pickle

import pytest

from slotwise_emulator.backends.hosts import HostRegistry
from slotwise_emulator.backends.identity import IdentityBackend
from slotwise_emulator.backends.resources import ResourceBackend
from slotwise_emulator.backends.web import WebBackend
from slotwise_emulator.clock import ManualClock, Speed
from slotwise_emulator.errors import ServiceError

SUB = "00000000-0000-0000-0000-0000000000aa"


@pytest.fixture
def resources() -> ResourceBackend:
    clock = ManualClock()
    identity = IdentityBackend(clock)
    identity.create_tenant("tenant-a")
    backend = ResourceBackend(clock, identity)
    backend.create_subscription(SUB, "tenant-a")
    backend.create_or_update_group(SUB, "RG-Demo", "West Europe")
    return backend


@pytest.fixture
def web(resources: ResourceBackend) -> WebBackend:
    return WebBackend(ManualClock(), Speed(), HostRegistry(), resources)


def test_sites_of_each_kind_get_the_plan_az_would_make(web: WebBackend) -> None:
    func = web.create_site(SUB, "rg-demo", "func-a", kind="functionapp,linux")
    app = web.create_site(SUB, "rg-demo", "web-a", kind="app")
    func_plan, app_plan = web.plan_of(func), web.plan_of(app)
    assert (func_plan.kind, func_plan.tier, func_plan.reserved) == ("elastic", "ElasticPremium", True)
    assert (app_plan.kind, app_plan.tier, app_plan.reserved) == ("app", "Standard", False)
    assert func.server_farm_id == func_plan.id
    assert func_plan.resource_group == "RG-Demo"
    assert [p.name for p in web.list_plans(SUB, "rg-demo")] == ["func-a-plan", "web-a-plan"]


def test_a_recreated_site_reuses_its_plan(web: WebBackend) -> None:
    first = web.plan_of(web.create_site(SUB, "rg-demo", "func-a"))
    web.delete_site(SUB, "rg-demo", "func-a")
    assert web.sites_on(first) == []
    assert web.plan_of(web.create_site(SUB, "rg-demo", "func-a")) is first


def test_a_plan_in_another_subscription_does_not_resolve(web: WebBackend) -> None:
    plan = web.plan_of(web.create_site(SUB, "rg-demo", "func-a"))
    elsewhere = plan.id.replace(SUB, "11111111-0000-0000-0000-000000000000")
    with pytest.raises(ServiceError) as missing:
        web.create_site(SUB, "rg-demo", "func-b", plan_id=elsewhere)
    assert (missing.value.status, missing.value.shape) == (404, "appservice")


def test_every_slot_has_a_password_that_redaction_knows(web: WebBackend) -> None:
    web.create_site(SUB, "rg-demo", "func-a")
    web.create_slot(SUB, "rg-demo", "func-a", "staging")
    production = web.publishing_profile(SUB, "rg-demo", "func-a", "production")
    staging = web.publishing_profile(SUB, "rg-demo", "func-a", "staging")
    assert (staging.user_name, staging.site_name, staging.profile_name) == (
        "$func-a__staging",
        "func-a__staging",
        "func-a-staging",
    )
    assert production.password != staging.password
    assert {production.password, staging.password} <= set(web.secrets())


def test_a_state_saved_before_plans_and_passwords_existed_gets_them(web: WebBackend) -> None:
    site = web.create_site(SUB, "rg-demo", "func-a")
    del web.__dict__["plans"]  # what an older emulator saved
    del site.production.__dict__["publishing_password"]
    restored = pickle.loads(pickle.dumps(web))  # noqa: S301 - our own bytes
    plan = restored.plan_of(restored.site(SUB, "rg-demo", "func-a"))
    assert plan.name == "func-a-plan"
    assert restored.plan(SUB, "rg-demo", "func-a-plan") is plan
    assert len(restored.publishing_profile(SUB, "rg-demo", "func-a", "production").password) == 60


def test_arms_put_keeps_a_groups_location(resources: ResourceBackend) -> None:
    with pytest.raises(ServiceError) as moved:
        resources.put_group(SUB, "rg-demo", "eastus")
    assert (moved.value.status, moved.value.code) == (409, "InvalidResourceGroupLocation")
    assert moved.value.message == (
        "Invalid resource group location 'eastus'. "
        "The Resource group already exists in location 'westeurope'."
    )
    group, created = resources.put_group(SUB, "rg-demo", "WEST europe", {"a": "b"})
    assert (group.location, group.tags, created) == ("westeurope", {"a": "b"}, False)
    # the emulator's own "create if missing" stays lenient (the control plane and create_function_app)
    assert resources.create_or_update_group(SUB, "rg-demo", "eastus")[0].location == "westeurope"
