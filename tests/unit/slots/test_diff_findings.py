"""``slots.diff`` and ``slots.findings`` on the fake: what a swap changes in production, name by name,
and every preflight rule present and absent."""

from __future__ import annotations

from slotwise.azure.models import ConnectionString, FunctionInfo, SlotRef
from slotwise.slots import findings as rules
from slotwise.slots.diff import Change, Kind, SlotDiff, Values, slot_diff
from slotwise.slots.findings import Finding, Severity, findings, host_id
from tests.fake_webapps import PRODUCTION_SLOT, STAGING, FakeServices, fake_services

STORAGE = "DefaultEndpointsProtocol=https;AccountName=stdemo;AccountKey=c2VjcmV0LWtleS0x;EndpointSuffix=core"
OTHER_STORAGE = "DefaultEndpointsProtocol=https;AccountName=stother;AccountKey=c2VjcmV0LWtleS0y"
SQL_PROD = "Server=tcp:prod.database.windows.net;Database=orders;Password=prod-pass-1"
SQL_STAGING = "Server=tcp:staging.database.windows.net;Database=orders;Password=staging-pass-2"
KV_REF = "@Microsoft.KeyVault(SecretUri=https://kv-demo.vault.azure.net/secrets/api-key/)"
TIMER = FunctionInfo("nightly", None, None, (), triggers=("timerTrigger",))
QUEUE = FunctionInfo("orders", None, None, (), triggers=("queueTrigger",))
HTTP = FunctionInfo("hello", "https://x/api/hello", "function", ("GET",), triggers=("httpTrigger",))


def arrange(
    production: dict[str, str] | None = None,
    staging: dict[str, str] | None = None,
    *,
    sticky: set[str] | None = None,
    app: str = "func-demo",
) -> FakeServices:
    services = fake_services(app=app)
    web = services.fake
    web.slot(SlotRef("rg-demo", app)).app_settings = dict(production or {})
    web.slot(SlotRef("rg-demo", app, "staging")).app_settings = dict(staging or {})
    web.sticky[("rg-demo", app)] = set(sticky or ())
    return services


def diff_of(services: FakeServices, app: str = "func-demo") -> SlotDiff:
    return slot_diff(services, SlotRef("rg-demo", app, "staging"), "production")


def codes(found: list[Finding]) -> dict[str, Finding]:
    return {f.code: f for f in found}


# ---- the diff ------------------------------------------------------------------------------------------
def test_each_name_says_what_happens_to_it_in_production() -> None:
    services = arrange(
        {"SAME": "one-value-1", "CHANGED": "prod-value-1", "GONE": "only-prod-1", "KEPT": "prod-own-1"},
        {"SAME": "one-value-1", "CHANGED": "stag-value-2", "NEW": "only-stag-2", "KEPT": "stag-own-2"},
        sticky={"KEPT"},
    )
    found = {c.name: c for c in diff_of(services).changes}
    assert (found["SAME"].change, found["SAME"].values) == (Change.UNCHANGED, Values.SAME)
    assert (found["CHANGED"].change, found["CHANGED"].values) == (Change.CHANGES, Values.DIFFERS)
    assert (found["GONE"].change, found["GONE"].values) == (Change.DISAPPEARS, Values.ONE_SIDE)
    assert (found["NEW"].change, found["NEW"].values) == (Change.APPEARS, Values.ONE_SIDE)
    assert (found["KEPT"].change, found["KEPT"].sticky, found["KEPT"].values) == (
        Change.STAYS,
        True,
        Values.DIFFERS,
    )


def test_a_key_vault_reference_is_named_as_such_and_connection_strings_are_diffed_too() -> None:
    services = arrange({"API_KEY": KV_REF}, {"API_KEY": "plain-value-xyz"})
    services.fake.slot(PRODUCTION_SLOT).connection_strings = {
        "Orders": ConnectionString(SQL_PROD, "SQLAzure")
    }
    services.fake.slot(STAGING).connection_strings = {"Orders": ConnectionString(SQL_STAGING, "SQLAzure")}
    services.fake.sticky_connections[("rg-demo", "func-demo")] = set()
    found = {(c.kind, c.name): c for c in diff_of(services).changes}
    assert found[(Kind.APP_SETTING, "API_KEY")].values is Values.KEY_VAULT
    assert found[(Kind.CONNECTION_STRING, "Orders")].change is Change.CHANGES


def test_the_builds_of_both_sides_and_the_stack_versions_are_read() -> None:
    services = arrange()
    services.fake.slot(STAGING).content.stack = {"linuxFxVersion": "Python|3.12"}
    services.fake.slot(PRODUCTION_SLOT).content.stack = {"linuxFxVersion": "Python|3.11"}
    diff = diff_of(services)
    assert [(r.name, r.target_now, r.target_after) for r in diff.runtime] == [
        ("linuxFxVersion", "Python|3.11", "Python|3.12")
    ]
    assert diff.as_dict()["builds"] == {"source": None, "target": None}  # nothing deployed to either


def test_values_are_registered_as_secrets_but_plain_words_and_runtime_versions_are_not() -> None:
    services = arrange(
        {"AzureWebJobsStorage": STORAGE, "FUNCTIONS_WORKER_RUNTIME": "python", "FLAG": "true"},
        {"AzureWebJobsStorage": OTHER_STORAGE, "NAME": "Staging", "TOKEN": "tok-1234567"},
    )
    diff_of(services)
    for value in (STORAGE, OTHER_STORAGE, "tok-1234567"):
        assert value in services.secrets
    for value in ("python", "true", "Staging"):
        assert value not in services.secrets


# ---- connections -------------------------------------------------------------------------------------------
def test_a_differing_connection_that_is_not_sticky_moves_into_production() -> None:
    services = arrange(
        {"AzureWebJobsStorage": STORAGE, "OrdersDb": SQL_PROD, "GREETING": "hello-prod-1"},
        {"AzureWebJobsStorage": OTHER_STORAGE, "OrdersDb": SQL_STAGING, "GREETING": "hello-stag-2"},
    )
    found = codes(findings(diff_of(services)))
    moves = found[rules.CONNECTION_MOVES]
    assert moves.severity is Severity.ERROR
    assert set(moves.names) == {"AzureWebJobsStorage", "OrdersDb"}  # GREETING is no connection


def test_a_sticky_or_equal_connection_does_not_move() -> None:
    services = arrange(
        {"AzureWebJobsStorage": STORAGE, "OrdersDb": SQL_PROD},
        {"AzureWebJobsStorage": STORAGE, "OrdersDb": SQL_STAGING},
        sticky={"OrdersDb"},
    )
    assert rules.CONNECTION_MOVES not in codes(findings(diff_of(services)))


def test_connection_strings_and_key_vault_uris_count_as_connections() -> None:
    services = arrange(
        {"VAULT_URI": "https://kv-prod.vault.azure.net/"}, {"VAULT_URI": "https://kv-stag.vault.azure.net/"}
    )
    services.fake.slot(PRODUCTION_SLOT).connection_strings = {"Bus": ConnectionString("Endpoint=sb://p/;K=1")}
    services.fake.slot(STAGING).connection_strings = {"Bus": ConnectionString("Endpoint=sb://s/;K=2")}
    names = codes(findings(diff_of(services)))[rules.CONNECTION_MOVES].names
    assert set(names) == {"VAULT_URI", "Bus (connection string)"}
    services.fake.sticky_connections[("rg-demo", "func-demo")] = {"Bus"}
    assert codes(findings(diff_of(services)))[rules.CONNECTION_MOVES].names == ("VAULT_URI",)


def test_a_connection_only_in_staging_appears_and_one_only_in_production_disappears() -> None:
    services = arrange({"OldDb": SQL_PROD}, {"NewBusConnection": "Endpoint=sb://bus.servicebus.windows.net/"})
    found = codes(findings(diff_of(services)))
    assert found[rules.CONNECTION_APPEARS].names == ("NewBusConnection",)
    assert found[rules.CONNECTION_DISAPPEARS].names == ("OldDb",)
    assert {found[c].severity for c in (rules.CONNECTION_APPEARS, rules.CONNECTION_DISAPPEARS)} == {
        Severity.WARNING
    }
    assert rules.CONNECTION_MOVES not in found


# ---- triggers ----------------------------------------------------------------------------------------------
def with_functions(services: FakeServices, *functions: FunctionInfo) -> FakeServices:
    services.fake.slot(STAGING).content.functions = list(functions)
    return services


def test_non_http_triggers_in_staging_without_a_sticky_disabled_setting_run_there() -> None:
    services = with_functions(arrange(), TIMER, QUEUE, HTTP)
    found = codes(findings(diff_of(services)))[rules.TRIGGER_RUNS_IN_STAGING]
    assert (found.severity, set(found.names)) == (Severity.WARNING, {"nightly", "orders"})


def test_a_sticky_disabled_setting_in_staging_stops_the_finding() -> None:
    staging = {"AzureWebJobs.nightly.Disabled": "true", "AzureWebJobs.orders.Disabled": "1"}
    services = with_functions(arrange({}, staging, sticky=set(staging)), TIMER, QUEUE, HTTP)
    assert rules.TRIGGER_RUNS_IN_STAGING not in codes(findings(diff_of(services)))


def test_only_http_functions_or_functions_disabled_in_their_package_give_no_trigger_finding() -> None:
    disabled = FunctionInfo("nightly", None, None, (), triggers=("timerTrigger",), disabled=True)
    services = with_functions(arrange(), HTTP, disabled)
    assert rules.TRIGGER_RUNS_IN_STAGING not in codes(findings(diff_of(services)))


def test_a_disabled_setting_that_is_not_sticky_moves_into_production_and_stops_the_function_there() -> None:
    services = with_functions(arrange({}, {"AzureWebJobs.nightly.Disabled": "true"}), TIMER)
    found = codes(findings(diff_of(services)))
    assert found[rules.DISABLED_SETTING_MOVES].severity is Severity.ERROR
    assert found[rules.DISABLED_SETTING_MOVES].names == ("AzureWebJobs.nightly.Disabled",)
    assert found[rules.TRIGGER_RUNS_IN_STAGING].names == ("nightly",)  # the setting leaves with the swap
    services.fake.sticky[("rg-demo", "func-demo")] = {"AzureWebJobs.nightly.Disabled"}
    assert not codes(findings(diff_of(services)))


# ---- shared storage ---------------------------------------------------------------------------------------
def test_slots_on_the_same_content_share_are_an_error() -> None:
    both = {"WEBSITE_CONTENTAZUREFILECONNECTIONSTRING": STORAGE, "WEBSITE_CONTENTSHARE": "func-demo-a1b2c3"}
    found = codes(findings(diff_of(arrange(both, both))))
    assert found[rules.SHARED_CONTENT_SHARE].severity is Severity.ERROR


def test_slots_with_their_own_sticky_content_share_are_fine() -> None:
    production = {
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING": STORAGE,
        "WEBSITE_CONTENTSHARE": "func-demo-a1b2c3",
    }
    staging = {**production, "WEBSITE_CONTENTSHARE": "func-demo-staging-d4e5"}
    found = codes(findings(diff_of(arrange(production, staging, sticky={"WEBSITE_CONTENTSHARE"}))))
    assert rules.SHARED_CONTENT_SHARE not in found


def test_a_content_share_that_is_not_sticky_is_still_two_shares_after_the_swap() -> None:
    production = {"WEBSITE_CONTENTAZUREFILECONNECTIONSTRING": STORAGE, "WEBSITE_CONTENTSHARE": "share-prod"}
    staging = {**production, "WEBSITE_CONTENTSHARE": "share-staging"}
    assert rules.SHARED_CONTENT_SHARE not in codes(findings(diff_of(arrange(production, staging))))


LONG = "func-orders-processing-westeurope-prod"  # 38 characters: production and staging share 32


def test_host_ids_come_from_the_slot_names_first_32_characters_or_the_setting() -> None:
    assert host_id(SlotRef("rg", "func-demo", "staging"), {}) == "func-demo-staging"
    assert host_id(SlotRef("rg", LONG), {}) == host_id(SlotRef("rg", LONG, "staging"), {}) == LONG[:32]
    assert host_id(SlotRef("rg", LONG), {"azurefunctionswebhost__hostid": "Mine"}) == "mine"


def test_a_long_app_name_on_one_storage_account_collides_on_the_host_id() -> None:
    shared = {"AzureWebJobsStorage": STORAGE}
    found = codes(findings(diff_of(arrange(shared, shared, app=LONG), app=LONG)))
    assert found[rules.HOST_ID_COLLISION].severity is Severity.ERROR


def test_no_collision_with_a_short_name_another_account_or_sticky_host_ids() -> None:
    shared = {"AzureWebJobsStorage": STORAGE}
    assert rules.HOST_ID_COLLISION not in codes(findings(diff_of(arrange(shared, shared))))
    other = {"AzureWebJobsStorage": OTHER_STORAGE}
    sticky = {"AzureWebJobsStorage"}
    assert rules.HOST_ID_COLLISION not in codes(
        findings(diff_of(arrange(shared, other, sticky=sticky, app=LONG), LONG))
    )
    production = {**shared, "AzureFunctionsWebHost__hostid": "orders-prod"}
    staging = {**shared, "AzureFunctionsWebHost__hostid": "orders-staging"}
    services = arrange(production, staging, sticky={"AzureFunctionsWebHost__hostid"}, app=LONG)
    assert rules.HOST_ID_COLLISION not in codes(findings(diff_of(services, LONG)))


# ---- runtime -------------------------------------------------------------------------------------------
def test_a_runtime_version_the_swap_brings_to_production_is_a_warning() -> None:
    services = arrange({"FUNCTIONS_EXTENSION_VERSION": "~4"}, {"FUNCTIONS_EXTENSION_VERSION": "~5"})
    found = codes(findings(diff_of(services)))[rules.RUNTIME_CHANGE]
    assert found.severity is Severity.WARNING
    assert "from ~4 to ~5" in found.message


def test_a_sticky_runtime_setting_that_differs_is_told_too() -> None:
    services = arrange(
        {"FUNCTIONS_WORKER_RUNTIME": "python"},
        {"FUNCTIONS_WORKER_RUNTIME": "node"},
        sticky={"FUNCTIONS_WORKER_RUNTIME"},
    )
    found = codes(findings(diff_of(services)))[rules.RUNTIME_CHANGE]
    assert "keeps python" in found.message
    assert "ran on node" in found.message


def test_the_same_runtime_on_both_sides_gives_no_finding() -> None:
    same = {"FUNCTIONS_EXTENSION_VERSION": "~4", "FUNCTIONS_WORKER_RUNTIME": "python"}
    services = arrange(same, same)
    for slot in (PRODUCTION_SLOT, STAGING):
        services.fake.slot(slot).content.stack = {"linuxFxVersion": "Python|3.11"}
    assert findings(diff_of(services)) == []


def test_errors_come_first() -> None:
    services = with_functions(arrange({"Db": SQL_PROD}, {"Db": SQL_STAGING}), TIMER)
    assert [f.severity for f in findings(diff_of(services))] == [Severity.ERROR, Severity.WARNING]
