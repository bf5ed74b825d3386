"""The swap preflight in the pipeline tasks, run as the agent runs them against the emulator
(``Agent`` of test_agent_tasks): slot-swap refuses on ``connection-moves`` with nothing changed,
swaps when ``acceptFindings`` names it, skips it with ``preflight: false``; deploy-to-slot's summary
shows the approver what a swap into production would change. No value of a setting appears in the
log or the summary (``Agent.run`` also sweeps for every secret the emulator issued)."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.mgmt.web import WebSiteManagementClient
from azure.mgmt.web.models import ConnectionStringDictionary, ConnStringValueTypePair

from slotwise_emulator import Emulator, FunctionApp
from tests import vso
from tests.functional.control import add_fault
from tests.functional.deploying import serving
from tests.functional.test_agent_tasks import Agent, Run, two_builds
from tests.packages import good_build

__all__ = ["two_builds"]  # the fixture, shared with test_agent_tasks
GROUP, APP = "rg-demo", "func-demo"
PASSWORDS = {"production": "Pr0d-Passw0rd-q1w2", "staging": "St4g-Passw0rd-e3r4"}
ORDERS = {
    slot: f"Server=tcp:sql-{slot[:4]}.database.windows.net;Database=orders;Password={password}"
    for slot, password in PASSWORDS.items()
}


@pytest.fixture
def agent(emulator: Emulator, function_app: FunctionApp, tmp_path: Path) -> Agent:
    return Agent(emulator, tmp_path)


def connections(web: WebSiteManagementClient, slot: str) -> dict[str, str]:
    found = (
        web.web_apps.list_connection_strings(GROUP, APP)
        if slot == "production"
        else web.web_apps.list_connection_strings_slot(GROUP, APP, slot)
    )
    return {name: pair.value for name, pair in (found.properties or {}).items()}


@pytest.fixture
def moving_connection(two_builds: None, web_client: WebSiteManagementClient) -> WebSiteManagementClient:
    """Production serves build 1, staging build 2; each slot has its own OrdersDb connection string,
    not a slot setting: a swap moves staging's database into production."""
    for slot, value in ORDERS.items():
        body = ConnectionStringDictionary(
            properties={"OrdersDb": ConnStringValueTypePair(value=value, type="SQLAzure")}
        )
        if slot == "production":
            web_client.web_apps.update_connection_strings(GROUP, APP, body)
        else:
            web_client.web_apps.update_connection_strings_slot(GROUP, APP, slot, body)
    return web_client


def assert_no_value(run: Run) -> None:
    """No value in the log (but where it is registered with the agent as a secret) nor the summary."""
    registering = {c.line for c in vso.named(run.stdout, "task.setsecret")}
    log = "\n".join(line for line in run.stdout.splitlines() if line not in registering)
    shown = log + run.stderr + run.summary()
    for value in [*ORDERS.values(), *PASSWORDS.values()]:
        assert value not in shown


def test_a_moving_connection_refuses_the_swap_and_changes_nothing(
    agent: Agent, emulator: Emulator, moving_connection: WebSiteManagementClient
) -> None:
    run = agent.run("slot-swap")
    assert run.result == "Failed", run.stdout
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")
    assert connections(moving_connection, "production") == {"OrdersDb": ORDERS["production"]}
    assert emulator.call(lambda b: len(b.web.operations)) == 0  # no swap was started
    assert run.outputs["PreflightFindings"] == "connection-moves"
    errors = run.errors()
    finding = next(e for e in errors if e.startswith("[connection-moves]"))
    assert "OrdersDb" in finding
    assert "deployment slot settings" in finding
    assert "`acceptFindings: connection-moves`" in finding
    assert "was not started" in errors[-1]
    assert "*Accept preflight findings* (`acceptFindings`) of this task" in errors[-1]
    summary = run.summary()
    assert "### Preflight" in summary
    assert "| **error** | connection-moves | OrdersDb (connection string) |" in summary
    assert "Result: FAILED" in summary
    assert_no_value(run)


def test_the_preflight_runs_before_a_preview_too_and_complete_does_not_repeat_it(
    agent: Agent, emulator: Emulator, moving_connection: WebSiteManagementClient
) -> None:
    refused = agent.run("slot-swap", swapAction="preview")
    assert refused.result == "Failed"
    assert "SwapPhase" not in refused.outputs
    prepared = agent.run("slot-swap", swapAction="preview", acceptFindings="connection-moves")
    assert prepared.outputs["SwapPhase"] == "prepared"
    completed = agent.run("slot-swap", swapAction="complete")
    assert completed.result == "Succeeded", completed.stdout
    assert "Preflight" not in completed.stdout
    assert "PreflightFindings" not in completed.outputs
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "1")


def test_an_accepted_finding_lets_the_swap_go_on_with_a_warning(
    agent: Agent, emulator: Emulator, moving_connection: WebSiteManagementClient
) -> None:
    run = agent.run("slot-swap", acceptFindings="runtime-change,\n connection-moves")
    assert run.result == "SucceededWithIssues", run.stdout
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "1")
    assert connections(moving_connection, "production") == {"OrdersDb": ORDERS["staging"]}  # as predicted
    assert run.outputs["PreflightFindings"] == "connection-moves"
    warnings = vso.issues(run.stdout, "warning")
    assert any(w.startswith("accepted: [connection-moves]") for w in warnings)
    assert "| error (accepted) | connection-moves |" in run.summary()
    assert_no_value(run)


def test_preflight_false_skips_it(
    agent: Agent, emulator: Emulator, moving_connection: WebSiteManagementClient
) -> None:
    run = agent.run("slot-swap", preflight="false")
    assert run.result == "Succeeded", run.stdout
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("2", "1")
    assert run.outputs.get("PreflightFindings", "") == ""
    assert "Preflight" not in run.summary()


@pytest.mark.usefixtures("two_builds")
def test_an_unknown_finding_code_is_named_by_the_input_and_nothing_is_read(
    agent: Agent, emulator: Emulator
) -> None:
    run = agent.run("slot-swap", acceptFindings="connection-moves\nconection-moves")
    assert run.result == "Failed"
    (error,) = run.errors()
    assert "'Accept preflight findings' (acceptFindings)" in error
    assert "'conection-moves'" in error
    assert (serving(emulator, "production"), serving(emulator, "staging")) == ("1", "2")


@pytest.mark.usefixtures("two_builds")
def test_a_clean_pair_swaps_and_says_nothing_was_found(agent: Agent, emulator: Emulator) -> None:
    run = agent.run("slot-swap")
    assert run.result == "Succeeded", run.stdout
    assert run.outputs["PreflightFindings"] == ""
    assert "### Preflight" in run.summary()
    assert "Nothing found." in run.summary()


def test_the_deploy_summary_shows_the_approver_what_a_swap_would_change(
    agent: Agent, emulator: Emulator, moving_connection: WebSiteManagementClient
) -> None:
    good_build(agent.work / "drop" / "func-demo.zip", "7")
    run = agent.run("deploy-to-slot")
    assert run.result == "Succeeded", run.stdout
    assert serving(emulator, "staging") == "7"
    summary = run.summary()
    assert "### What a swap into production would change" in summary
    assert "| **error** | connection-moves | OrdersDb (connection string) |" in summary
    assert "unless \\*Accept preflight findings\\* (\\`acceptFindings\\`)" in summary
    assert not run.errors()
    assert_no_value(run)


@pytest.mark.usefixtures("two_builds")
def test_the_deploy_summary_says_when_the_findings_could_not_be_read(
    agent: Agent, emulator: Emulator
) -> None:
    good_build(agent.work / "drop" / "func-demo.zip", "7")
    # the preflight's read of the sticky names only: the deployment does not read them
    add_fault(emulator, path=r"/config/slotConfigNames$", method="GET", kind="arm", status=403,
              code="AuthorizationFailed", message="Injected: no permission.", shape="arm")  # fmt: skip
    run = agent.run("deploy-to-slot")
    assert run.result == "Succeeded", run.stdout
    assert serving(emulator, "staging") == "7"
    summary = run.summary()
    assert "### What a swap into production would change" in summary
    assert "Could not read the slots to tell:" in summary
