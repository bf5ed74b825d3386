"""The emulated Microsoft.Web backend alone: sites, slots, settings, keys and swaps, on a manual clock."""

from __future__ import annotations

import pytest

from slotwise_emulator.backends.hosts import HostRegistry
from slotwise_emulator.backends.identity import IdentityBackend
from slotwise_emulator.backends.model import Deployment, FunctionDef, Site
from slotwise_emulator.backends.resources import ResourceBackend
from slotwise_emulator.backends.web import WebBackend
from slotwise_emulator.clock import ManualClock, Speed
from slotwise_emulator.errors import ServiceError, body_for

SUB = "00000000-0000-0000-0000-0000000000aa"
RG = "rg-demo"
APP = "func-demo"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def hosts() -> HostRegistry:
    return HostRegistry()


@pytest.fixture
def web(clock: ManualClock, hosts: HostRegistry) -> WebBackend:
    identity = IdentityBackend(clock)
    identity.create_tenant("tenant-a")
    resources = ResourceBackend(clock, identity)
    resources.create_subscription(SUB, "tenant-a")
    resources.create_or_update_group(SUB, "RG-Demo", "westeurope")
    return WebBackend(clock, Speed(swap_seconds=60), hosts, resources)


@pytest.fixture
def site(web: WebBackend) -> Site:
    site = web.create_site(SUB, RG, APP, app_settings={"RUNTIME": "node", "DB": "prod-db", "FEATURE": "old"})
    web.create_slot(
        SUB, RG, APP, "staging", app_settings={"RUNTIME": "node", "DB": "stage-db", "FEATURE": "new"}
    )
    web.set_slot_config_names(SUB, RG, APP, {"appSettingNames": ["DB"]})
    site.production.content.deployment_id = "build-41"
    site.slots["staging"].content.deployment_id = "build-42"
    site.slots["staging"].content.deployments.append(Deployment(id="dep-42", received_time=0.0, status=4))
    return site


def error_of(excinfo: pytest.ExceptionInfo[ServiceError]) -> tuple[int, str, str]:
    err = excinfo.value
    return err.status, err.code, err.shape


# ---- sites and slots ----------------------------------------------------------------------------
def test_a_new_site_has_its_own_hosts_keys_and_plan(web: WebBackend, hosts: HostRegistry) -> None:
    site = web.create_site(SUB, RG, APP)
    prod = site.production
    assert site.resource_group == "RG-Demo"  # the group's own casing
    assert (
        site.server_farm_id
        == f"/subscriptions/{SUB}/resourceGroups/RG-Demo/providers/Microsoft.Web/serverfarms/{APP}-plan"
    )
    assert prod.host_name != prod.scm_host_name
    site_binding, scm_binding = hosts.lookup(prod.host_name), hosts.lookup(prod.scm_host_name)
    assert site_binding is not None
    assert scm_binding is not None
    assert (site_binding.kind, site_binding.site, site_binding.slot) == ("site", APP, "production")
    assert scm_binding.kind == "scm"
    assert prod.master_key
    assert prod.host_function_keys["default"]
    assert web.sites[(SUB, "rg-demo", APP)] is site
    assert web.site(SUB.upper(), "rg-DEMO", APP.upper()) is site  # names match in any casing


def test_slots_get_hosts_of_their_own_and_production_is_not_listed(web: WebBackend, site: Site) -> None:
    staging = web.slot(SUB, RG, APP, "Staging")
    assert staging.name == "staging"
    assert staging.host_name not in (site.production.host_name, site.production.scm_host_name)
    assert web.slot(SUB, RG, APP, "production") is site.production
    assert [s.name for s in web.list_slots(SUB, RG, APP)] == ["staging"]


def test_missing_resources_answer_the_real_404s(web: WebBackend, site: Site) -> None:
    with pytest.raises(ServiceError) as missing_slot:
        web.slot(SUB, RG, APP, "nope")
    assert error_of(missing_slot) == (404, "ResourceNotFound", "arm")
    assert "Microsoft.Web/sites/slots/func-demo/nope" in missing_slot.value.message
    with pytest.raises(ServiceError) as missing_site:
        web.site(SUB, RG, "other")
    assert error_of(missing_site) == (404, "ResourceNotFound", "arm")
    with pytest.raises(ServiceError) as missing_group:
        web.site(SUB, "no-such-rg", APP)
    assert error_of(missing_group) == (404, "ResourceGroupNotFound", "arm")


def test_put_replaces_tags_and_merges_properties(web: WebBackend, site: Site) -> None:
    web.create_or_update_site(
        SUB, RG, APP, location="westeurope", tags={"env": "prod", "team": "a"}, properties={"httpsOnly": True}
    )
    web.create_or_update_site(
        SUB,
        RG,
        APP,
        location="westeurope",
        tags={"env": "prod"},
        properties={"clientAffinityEnabled": False, "state": "Stopped"},
    )
    prod = site.production
    assert prod.tags == {"env": "prod"}
    assert prod.site_properties == {"httpsOnly": True, "clientAffinityEnabled": False}
    assert prod.state == "Running"  # read-only properties in a PUT are ignored
    with pytest.raises(ServiceError) as wrong_type:
        web.update_site(SUB, RG, APP, "staging", properties={"httpsOnly": "yes"})
    assert error_of(wrong_type) == (400, "InvalidRequestContent", "arm")
    with pytest.raises(ServiceError) as no_location:
        web.create_or_update_slot(SUB, RG, APP, "qa", location="")
    assert error_of(no_location) == (400, "LocationRequired", "arm")


def test_put_of_a_site_takes_app_settings_from_site_config(web: WebBackend) -> None:
    site = web.create_or_update_site(
        SUB,
        RG,
        "web-app",
        location="westeurope",
        kind="app",
        properties={"siteConfig": {"appSettings": [{"name": "A", "value": "1"}], "alwaysOn": True}},
    )
    assert site.kind == "app"
    assert site.production.app_settings == {"A": "1"}
    assert site.production.site_config == {"alwaysOn": True}


def test_deleting_a_site_releases_its_hosts(web: WebBackend, site: Site, hosts: HostRegistry) -> None:
    staging_host = site.slots["staging"].host_name
    web.delete_slot(SUB, RG, APP, "staging")
    assert hosts.lookup(staging_host) is None
    web.delete_site(SUB, RG, APP)
    assert hosts.lookup(site.production.host_name) is None
    assert web.list_sites(SUB) == []


# ---- keys and functions ---------------------------------------------------------------------------
def test_function_keys_are_made_once_and_belong_to_the_slot(web: WebBackend, site: Site) -> None:
    prod, staging = site.production, site.slots["staging"]
    first = web.function_keys(staging, "Hello")
    assert list(first) == ["default"]
    assert len(first["default"]) == 56
    assert web.function_keys(staging, "hello") == first
    assert web.function_keys(prod, "hello") != first
    assert set(web.secrets()) >= {
        first["default"],
        prod.master_key,
        staging.master_key,
        prod.host_function_keys["default"],
    }


def test_listing_keys_of_an_undeployed_function_is_a_404(web: WebBackend, site: Site) -> None:
    with pytest.raises(ServiceError) as missing:
        web.list_function_keys(SUB, RG, APP, "staging", "hello")
    assert error_of(missing) == (404, "ResourceNotFound", "arm")
    site.slots["staging"].content.functions["hello"] = FunctionDef("hello", "hello", ["GET"], "function")
    assert list(web.list_function_keys(SUB, RG, APP, "staging", "Hello")) == ["default"]


# ---- swap ---------------------------------------------------------------------------------------------
def test_swap_applies_when_its_time_has_come(web: WebBackend, site: Site, clock: ManualClock) -> None:
    op = web.start_swap(SUB, RG, APP, "staging", "production")
    assert op.due == clock.now() + 60
    clock.advance(59)
    web.tick()
    assert web.swap_result(SUB, RG, APP, "staging", op.id).state == "running"
    assert site.production.content.deployment_id == "build-41"
    clock.advance(1)
    web.tick()
    assert web.swap_result(SUB, RG, APP, "staging", op.id).state == "succeeded"
    assert site.production.content.deployment_id == "build-42"
    assert site.operation is None
    assert site.busy_until == 0.0


def test_swap_moves_content_and_settings_but_not_sticky_ones_keys_hosts_or_tags(
    web: WebBackend, site: Site, clock: ManualClock
) -> None:
    prod, staging = site.production, site.slots["staging"]
    prod.tags, staging.tags = {"slot": "prod"}, {"slot": "staging"}
    prod_keys = (prod.master_key, prod.host_name, web.function_keys(prod, "hello")["default"])
    web.start_swap(SUB, RG, APP, "staging", "production")
    clock.advance(60)
    web.tick()
    assert prod.content.deployment_id == "build-42"
    assert [d.id for d in prod.content.deployments] == ["dep-42"]  # Kudu history travels with the content
    assert staging.content.deployment_id == "build-41"
    assert prod.app_settings == {"RUNTIME": "node", "DB": "prod-db", "FEATURE": "new"}
    assert staging.app_settings == {"RUNTIME": "node", "DB": "stage-db", "FEATURE": "old"}
    assert (prod.master_key, prod.host_name, web.function_keys(prod, "hello")["default"]) == prod_keys
    assert (prod.tags, staging.tags) == ({"slot": "prod"}, {"slot": "staging"})


def test_swap_moves_the_general_site_config_and_leaves_the_rest(
    web: WebBackend, site: Site, clock: ManualClock
) -> None:
    prod, staging = site.production, site.slots["staging"]
    web.update_site_config(SUB, RG, APP, "production", {"linuxFxVersion": "Python|3.10", "alwaysOn": True})
    web.update_site_config(
        SUB,
        RG,
        APP,
        "staging",
        {"linuxFxVersion": "Python|3.11", "javaVersion": "17", "webSocketsEnabled": True},
    )
    web.start_swap(SUB, RG, APP, "staging", "production")
    clock.advance(60)
    web.tick()
    assert prod.site_config == {
        "linuxFxVersion": "Python|3.11",
        "javaVersion": "17",
        "webSocketsEnabled": True,
        "alwaysOn": True,  # Always On is not swapped
    }
    assert staging.site_config == {"linuxFxVersion": "Python|3.10"}


def test_both_slots_carry_the_swap_status(web: WebBackend, site: Site, clock: ManualClock) -> None:
    web.start_swap(SUB, RG, APP, "staging", "production")
    clock.advance(60)
    web.tick()
    for slot in (site.production, site.slots["staging"]):
        assert slot.swap_status is not None
        assert (slot.swap_status.source_slot, slot.swap_status.destination_slot) == ("staging", "Production")
        assert slot.swap_status.timestamp == clock.now()
        assert slot.target_swap_slot is None


def test_swap_from_production_is_the_same_exchange(web: WebBackend, site: Site, clock: ManualClock) -> None:
    web.speed.swap_seconds = 0
    op = web.start_swap(SUB, RG, APP, "production", "staging")
    assert web.swap_result(SUB, RG, APP, "production", op.id).state == "succeeded"  # 0 s: done on first poll
    assert site.production.content.deployment_id == "build-42"
    assert site.production.app_settings["DB"] == "prod-db"


def test_while_a_swap_runs_both_slots_refuse_changes_with_app_service_409(
    web: WebBackend, site: Site, clock: ManualClock
) -> None:
    op = web.start_swap(SUB, RG, APP, "staging", "production")
    changes = [
        lambda: web.set_app_settings(SUB, RG, APP, "production", {"A": "1"}),
        lambda: web.update_site(SUB, RG, APP, "staging", properties={"httpsOnly": True}),
        lambda: web.restart(SUB, RG, APP, "staging"),
        lambda: web.start_swap(SUB, RG, APP, "staging", "production"),
        lambda: web.delete_slot(SUB, RG, APP, "staging"),
        lambda: web.check_writable(site, site.production),
    ]
    for change in changes:
        with pytest.raises(ServiceError) as conflict:
            change()
        assert error_of(conflict) == (409, "Conflict", "appservice")
        assert conflict.value.message.startswith(
            "Cannot modify this site because another operation is in progress"
        )
        assert op.id in conflict.value.message
    body = body_for(conflict.value)
    assert body["Code"] == "Conflict"
    assert body["Details"][0]["Message"] == conflict.value.message
    clock.advance(60)
    web.tick()
    web.restart(SUB, RG, APP, "staging")  # free again
    assert site.slots["staging"].last_restart == clock.now()


def test_a_swap_does_not_lock_a_third_slot(web: WebBackend, site: Site) -> None:
    web.create_slot(SUB, RG, APP, "qa")
    web.start_swap(SUB, RG, APP, "staging", "production")
    web.set_app_settings(SUB, RG, APP, "qa", {"A": "1"})
    assert site.slots["qa"].app_settings == {"A": "1"}


def test_during_the_swap_the_source_already_runs_with_the_targets_sticky_settings(
    web: WebBackend, site: Site
) -> None:
    web.start_swap(SUB, RG, APP, "staging", "production")
    staging = site.slots["staging"]
    assert staging.app_settings == {"RUNTIME": "node", "DB": "prod-db", "FEATURE": "new"}
    assert (staging.target_swap_slot, site.production.target_swap_slot) == ("production", "staging")


def test_a_failed_swap_answers_the_warmup_error_and_leaves_slots_unswapped(
    web: WebBackend, site: Site, clock: ManualClock
) -> None:
    before = {name: (dict(s.app_settings), s.content.deployment_id) for name, s in site.slots.items()}
    web.fail_next_swap(SUB, RG, APP, message="Warm-up of 'staging' failed.")
    op = web.start_swap(SUB, RG, APP, "staging", "production")
    clock.advance(60)
    with pytest.raises(ServiceError) as failed:
        web.swap_result(SUB, RG, APP, "staging", op.id)
    assert error_of(failed) == (400, "BadRequest", "appservice")
    assert failed.value.message == "Warm-up of 'staging' failed."
    assert {name: (s.app_settings, s.content.deployment_id) for name, s in site.slots.items()} == before
    assert all(s.swap_status is None and s.target_swap_slot is None for s in site.slots.values())
    second = web.start_swap(SUB, RG, APP, "staging", "production")  # only the next swap fails
    clock.advance(60)
    assert web.swap_result(SUB, RG, APP, "staging", second.id).state == "succeeded"


def test_an_unknown_operation_or_a_bad_target_is_refused(web: WebBackend, site: Site) -> None:
    op = web.start_swap(SUB, RG, APP, "staging", "production")
    with pytest.raises(ServiceError) as other_slot:
        web.swap_result(SUB, RG, APP, "production", op.id)
    assert other_slot.value.status == 404
    with pytest.raises(ServiceError) as unknown_target:
        web.start_swap(SUB, RG, APP, "production", "nope")
    assert error_of(unknown_target) == (404, "ResourceNotFound", "arm")
    with pytest.raises(ServiceError) as same:
        web.apply_slot_config(SUB, RG, APP, "staging", "Staging")
    assert same.value.status == 400


# ---- swap with preview ----------------------------------------------------------------------------
def test_preview_applies_the_targets_sticky_settings_and_locks_both_slots(
    web: WebBackend, site: Site
) -> None:
    web.apply_slot_config(SUB, RG, APP, "staging", "production")
    staging = site.slots["staging"]
    assert staging.app_settings == {"RUNTIME": "node", "DB": "prod-db", "FEATURE": "new"}
    assert site.production.app_settings["DB"] == "prod-db"
    assert (staging.target_swap_slot, site.production.target_swap_slot) == ("production", "staging")
    for slot in ("staging", "production"):
        with pytest.raises(ServiceError) as conflict:
            web.set_app_settings(SUB, RG, APP, slot, {"A": "1"})
        assert error_of(conflict) == (409, "Conflict", "appservice")
        assert "prepared for swap" in conflict.value.message
    web.apply_slot_config(SUB, RG, APP, "staging", "production")  # again: nothing more to do


def test_completing_a_preview_swaps_with_each_slot_keeping_its_sticky_settings(
    web: WebBackend, site: Site, clock: ManualClock
) -> None:
    web.apply_slot_config(SUB, RG, APP, "staging", "production")
    op = web.start_swap(SUB, RG, APP, "staging", "production")
    assert op.from_preview
    clock.advance(60)
    web.tick()
    assert site.production.app_settings == {"RUNTIME": "node", "DB": "prod-db", "FEATURE": "new"}
    assert site.slots["staging"].app_settings == {"RUNTIME": "node", "DB": "stage-db", "FEATURE": "old"}
    assert site.production.content.deployment_id == "build-42"
    assert site.slots["staging"].preview_from is None


def test_reset_cancels_the_preview_and_restores_the_source(web: WebBackend, site: Site) -> None:
    web.apply_slot_config(SUB, RG, APP, "staging", "production")
    web.reset_slot_config(SUB, RG, APP, "staging")
    staging = site.slots["staging"]
    assert staging.app_settings == {"RUNTIME": "node", "DB": "stage-db", "FEATURE": "new"}
    assert staging.target_swap_slot is None
    assert site.production.target_swap_slot is None
    web.set_app_settings(SUB, RG, APP, "production", {"A": "1"})  # unlocked
    web.reset_slot_config(SUB, RG, APP, "staging")  # nothing prepared: a no-op


def test_a_prepared_pair_refuses_a_swap_with_another_slot(web: WebBackend, site: Site) -> None:
    web.create_slot(SUB, RG, APP, "qa")
    web.apply_slot_config(SUB, RG, APP, "staging", "production")
    with pytest.raises(ServiceError) as conflict:
        web.start_swap(SUB, RG, APP, "qa", "production")
    assert error_of(conflict) == (409, "Conflict", "appservice")


def test_a_sticky_setting_only_one_slot_has_is_reported_missing(web: WebBackend, site: Site) -> None:
    web.set_slot_config_names(
        SUB, RG, APP, {"appSettingNames": ["DB", "PIN"], "connectionStringNames": ["Q"]}
    )
    site.production.app_settings["PIN"] = "production-only"
    site.slots["staging"].connection_strings["Q"] = {"value": "queue", "type": "Custom"}
    diffs = {d.setting_name: d for d in web.slot_differences(SUB, RG, APP, "staging", "production")}
    pin, queue = diffs["PIN"], diffs["Q"]
    assert (pin.setting_type, pin.diff_rule, pin.level) == ("AppSetting", "SlotSettingsMissing", "Warning")
    assert (pin.value_in_current_slot, pin.value_in_target_slot) == (None, "production-only")
    assert (queue.setting_type, queue.diff_rule) == ("ConnectionString", "SlotSettingsMissing")
    assert "DB" not in diffs  # sticky and different in each slot: what slot settings are for


def test_slot_differences_name_what_the_swap_would_change(web: WebBackend, site: Site) -> None:
    site.slots["staging"].app_settings["ONLY_STAGING"] = "x"
    diffs = {d.setting_name: d for d in web.slot_differences(SUB, RG, APP, "staging", "production")}
    assert set(diffs) == {"FEATURE", "ONLY_STAGING"}  # RUNTIME is equal, DB is sticky and differs
    assert diffs["FEATURE"].diff_rule == "SettingsWillBeModifiedInDestination"
    assert (diffs["FEATURE"].value_in_current_slot, diffs["FEATURE"].value_in_target_slot) == ("new", "old")
    assert diffs["ONLY_STAGING"].diff_rule == "SettingsWillBeAddedToDestination"


# ---- tags (ARM's tags API) ----------------------------------------------------------------------
def test_tags_merge_replace_delete_and_clear_touch_one_slot_only(web: WebBackend, site: Site) -> None:
    web.merge_tags(SUB, RG, APP, "staging", {"Env": "qa", "owner": "me"})
    web.merge_tags(SUB, RG, APP, "staging", {"env": "prod"})
    assert web.tags(SUB, RG, APP, "staging") == {"owner": "me", "env": "prod"}
    web.delete_tags(SUB, RG, APP, "staging", {"OWNER": "someone-else", "env": ""})
    assert web.tags(SUB, RG, APP, "staging") == {"owner": "me"}
    web.replace_tags(SUB, RG, APP, "staging", {"a": "1"})
    assert web.tags(SUB, RG, APP, "staging") == {"a": "1"}
    assert web.tags(SUB, RG, APP, "production") == {}
    web.clear_tags(SUB, RG, APP, "staging")
    assert site.slots["staging"].tags == {}


def test_tags_are_checked_like_arm_does(web: WebBackend, site: Site) -> None:
    with pytest.raises(ServiceError) as bad_name:
        web.merge_tags(SUB, RG, APP, "staging", {"a&b": "1"})
    assert error_of(bad_name) == (400, "InvalidTagNameCharacters", "arm")
    with pytest.raises(ServiceError) as not_a_string:
        web.merge_tags(SUB, RG, APP, "staging", {"a": 1})
    assert error_of(not_a_string) == (400, "InvalidRequestContent", "arm")
    with pytest.raises(ServiceError) as on_put:
        web.create_or_update_slot(SUB, RG, APP, "staging", location="westeurope", tags={"x" * 513: "1"})
    assert error_of(on_put) == (400, "InvalidTagName", "arm")
    with pytest.raises(ServiceError) as missing:
        web.merge_tags(SUB, RG, APP, "nope", {"a": "1"})
    assert error_of(missing) == (404, "ResourceNotFound", "arm")


def test_tags_may_change_while_a_swap_locks_the_slot(web: WebBackend, site: Site, clock: ManualClock) -> None:
    web.merge_tags(SUB, RG, APP, "staging", {"side": "staging"})
    web.start_swap(SUB, RG, APP, "staging", "production")
    web.merge_tags(SUB, RG, APP, "production", {"side": "production"})
    clock.advance(61)
    web.tick()
    assert web.slot(SUB, RG, APP, "staging").content.deployment_id == "build-41"  # the swap happened
    assert web.tags(SUB, RG, APP, "staging") == {"side": "staging"}
    assert web.tags(SUB, RG, APP, "production") == {"side": "production"}
