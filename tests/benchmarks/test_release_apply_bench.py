"""``slotwise release apply`` of 200 specs across 4 projects, cold then no-op, against a one-at-a-time
baseline in the same run, with the emulated Azure DevOps throttling (issue 9's benchmark).

What it measures, per phase (cold: every definition is created; no-op: the same specs applied again),
from the emulator's request log: requests to Azure DevOps (reads, writes, 429s), requests per
definition, and wall time, for slotwise and for the baseline; then slotwise's wall time over the
baseline's. The goals (issue 9): a no-op plan reads in bulk, **at most 1 request per definition and 0
writes** (asserted: these are counts, not timings); wall time **≤ 0.25 of the baseline's** (printed,
not asserted: timings on a shared machine are not a test).

Setup: one emulator over TLS (its default speed), seeded (organization ``contoso``, project
Fabrikam), the slotwise extension's tasks installed, and per project of two sets of four (slotwise's
Fabrikam, Tailspin, Northwind, Adatum; the baseline's the same names with ``Base``, so its cold run
creates too) the agent queue ``Azure Pipelines``, five build pipelines, the AzureRM service
connection ``contoso-azure`` and the group ``[P]\\Release Approvers``; eight approver users. 50 specs
per project are written from ``templates/release/article.yaml``'s shape (Staging: guard, deploy,
smoke; Production after Staging with a pre-deployment approval and the swap), varying the name, the
folder (five), the build pipeline, the app and the approvers.

The rate limiter (a fault rule on the DevOps host, on for every run): ``RATE`` requests a second,
``BURST`` at once, then 429 (TF400733, as Azure DevOps blocks) with a ``Retry-After`` of whole seconds.
Azure DevOps throttles on a load budget per user (200 times a typical user's consumption in a sliding
five minutes, then delays of up to 30 s and 429s), not a fixed rate, so the number is a choice: here
the emulator answers one client a few hundred requests a second when nothing holds it back, so 50/s
binds any client that sends long runs of requests, and a burst of 100 leaves alone one that reads in
bulk (slotwise's no-op needs about 30 requests, whatever the number of definitions: the handshake,
the projects, three listings and the definitions' listing per project, the tasks, one identity per
distinct approver). Creating 200 definitions is 200 writes for anyone: both cold runs meet the
limiter; what differs is how many requests each sends besides. Without a limiter the emulator
answers in a few milliseconds, far sooner than the real service, and the ratio would mostly compare
the local work both sides share (loading, rendering and comparing 200 specs).

The emulator runs in this process (its server thread shares the interpreter with the clients), as
the functional tests run it; both sides pay that alike.

slotwise runs in-process through its functions, as ``release apply`` does: ``open_organization``
(the real ``azure-devops`` client, real clock: retries sleep for real), ``load_specs``, ``make_plan``,
``apply_plan``.

The baseline is what a script using the same client does without bulk reads (a loop over
``az``-style calls, or VSTeam): for each spec, every name it holds is resolved with a request of
its own, once per spec (the project, the agent queue by name, the service connection by name, the
build pipeline by name, each approver's identity, each task by id); then the definition is looked up by name
(``get_release_definitions(search_text=name, is_exact_name_match=True)``), read in full (GET) when
found, and created (POST) or updated (PUT); the definitions are read and written as raw JSON
through the client's ``_send`` (``devops.definitions``: the client's models would drop fields), as
VSTeam does with ``Invoke-RestMethod``. It renders with slotwise's ``render`` (through a resolver
that asks per name) and compares with slotwise's ``merge``/``changes``, so both sides send the same
documents and decide alike: its no-op writes nothing too. That is the careful variant of such a
script; VSTeam's ``Update-VSTeamReleaseDefinition`` in a loop would PUT every definition again (one
more request per definition, and a new revision each time), so the baseline is the cheaper of the
two and the ratio is not flattered. It uses the same client, retry policy (Retry-After honoured) and
connection as slotwise (``devops.connect.Connection``).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from slotwise.devops.connect import Connection
from slotwise.devops.definitions import RawReleaseDefinitions
from slotwise.devops.organization import open_organization
from slotwise.devops.routes import BUILD, CORE, IDENTITY, RELEASE, SERVICE_ENDPOINT, TASK_AGENT, TASKS
from slotwise.events import NullReporter
from slotwise.factory import devops_settings
from slotwise.release.apply import apply_plan
from slotwise.release.catalogue import TaskDef
from slotwise.release.diff import changes, merge
from slotwise.release.load import load_specs
from slotwise.release.model import Variable
from slotwise.release.plan import Action, make_plan
from slotwise.release.problems import Location
from slotwise.release.render import render
from slotwise.release.resolve import Id
from slotwise.secrets import SecretRegistry
from slotwise.timing import SystemClock
from slotwise_emulator import Emulator
from tests.functional.devops_org import install_slotwise

ORG = "contoso"
PROJECTS = ("Fabrikam", "Tailspin", "Northwind", "Adatum")
BASELINE = "Base"  # the baseline's projects: FabrikamBase, ...
PER_PROJECT = 50
SPECS = PER_PROJECT * len(PROJECTS)
BUILDS = ("orders", "inventory", "billing", "notifications", "payments")
FOLDERS = ("\\Functions", "\\Functions\\Orders", "\\Functions\\Billing", "\\Apps", "\\Apps\\Internal")
APPROVERS = tuple(f"approver{n}@contoso.com" for n in range(8))
CONNECTION = "contoso-azure"
QUEUE = "Azure Pipelines"
RATE, BURST = 50.0, 100  # see the module docstring
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOG_LIMIT = 10_000  # entries the emulator's request log keeps
RESOURCE = re.compile(r"_apis/([^/]+(?:/[^/]+)?)", re.IGNORECASE)


# ---- the organization ---------------------------------------------------------------------------------
def stand_up(emu: Emulator, project: str) -> None:
    """A project with what the specs name (each call is idempotent)."""
    emu.create_project(ORG, project)
    emu.create_queue(ORG, project, QUEUE)
    for build in BUILDS:
        emu.create_build_definition(ORG, project, f"{build}-api-CI")
        emu.complete_build(ORG, project, f"{build}-api-CI")
    emu.service_connection(ORG, project, CONNECTION)
    emu.create_group(ORG, project, "Release Approvers", APPROVERS[:2])


SPEC = """\
name: {name}
project: {project}
folder: '{folder}'
tasks: slotwise
artifact:
  build: {build}-api-CI
  alias: drop
  trigger:
    branches: [refs/heads/main]
app:
  serviceConnection: {connection}
  resourceGroup: rg-{app}
  name: func-{app}
  slot: staging
  package: "**/*.zip"
  checks: "**/smoke-checks.yaml"
variables:
  App.Name: {app}
stages:
  - name: Staging
    after: release
    steps: deploy
  - name: Production
    after: Staging
    approvals:
      before:
        approvers: [{approver}, "[{project}]\\\\Release Approvers"]
        required: 1
        timeout: 3d
        creatorCanApprove: false
    steps: swap
"""


def write_specs(folder: Path, projects: tuple[str, ...]) -> Path:
    """``PER_PROJECT`` spec files per project in ``folder``."""
    folder.mkdir(parents=True)
    for p, project in enumerate(projects):
        for n in range(PER_PROJECT):
            app = f"{BUILDS[n % len(BUILDS)]}-{p}-{n:02d}"
            text = SPEC.format(
                name=f"{app}-release",
                project=project,
                folder=FOLDERS[n % len(FOLDERS)],
                build=BUILDS[n % len(BUILDS)],
                connection=CONNECTION,
                app=app,
                approver=APPROVERS[(n + p) % len(APPROVERS)],
            )
            (folder / f"{project}-{n:02d}.yaml").write_text(text, encoding="utf-8")
    return folder


# ---- measuring ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Phase:
    """One run: its wall time and its requests to Azure DevOps as the emulator's log has them."""

    name: str
    seconds: float
    log: tuple[dict[str, Any], ...]

    @property
    def requests(self) -> int:
        return len(self.log)

    @property
    def throttled(self) -> int:
        return sum(1 for r in self.log if r["status"] == 429)

    @property
    def writes(self) -> int:
        """Writes the service took (a throttled request never reached it)."""
        return sum(1 for r in self.log if r["method"] in WRITES and r["status"] != 429)

    @property
    def reads(self) -> int:
        return self.requests - self.writes - self.throttled

    @property
    def per_definition(self) -> float:
        return self.requests / SPECS

    def resources(self) -> Counter[str]:
        """Requests per method and resource (``GET release/definitions``...), 429s included."""
        found: Counter[str] = Counter()
        for r in self.log:
            match = RESOURCE.search(r["path"])
            resource = match.group(1).lower() if match else r["path"]
            found[f"{r['method']} {'projects' if resource.startswith('projects/') else resource}"] += 1
        return found


class Control:
    """The emulator's control plane: the rate limiter and the request log."""

    def __init__(self, emu: Emulator) -> None:
        self.url = f"{emu.arm_url}/_emulator"
        self.verify = str(emu.ca_path)

    def throttle(self) -> None:
        rule: dict[str, Any] = {"kind": "devops", "status": 429, "shape": "devops", "code": "TooManyRequests",
                "message": "TF400733: The request has been canceled: Request was blocked due to "
                           "exceeding usage of resource 'Release' in namespace 'User'.",
                "count": None, "rate": RATE, "burst": BURST}  # fmt: skip
        answer = requests.post(f"{self.url}/faults", json=rule, verify=self.verify, timeout=30)
        assert answer.status_code == 201, answer.text

    def clear(self) -> None:
        requests.delete(f"{self.url}/requests", verify=self.verify, timeout=30).raise_for_status()

    def devops_requests(self) -> list[dict[str, Any]]:
        answer = requests.get(f"{self.url}/requests", verify=self.verify, timeout=30)
        answer.raise_for_status()
        return [r for r in answer.json()["value"] if r["kind"] == "devops"]


def measure(control: Control, name: str, run: Callable[[], None]) -> Phase:
    """``run`` timed, and its requests to Azure DevOps counted."""
    time.sleep(BURST / RATE)  # the limiter's bucket full again: every phase starts alike
    control.clear()
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    log = control.devops_requests()
    assert len(log) < LOG_LIMIT, "the emulator's request log is bounded: this phase's count would be cut"
    return Phase(name, seconds, tuple(log))


# ---- slotwise -------------------------------------------------------------------------------------------
def slotwise_apply(env: dict[str, str], specs: Path, actions: list[dict[Action, int]]) -> None:
    """``slotwise release apply SPECS``, in-process: what the command calls."""
    org = open_organization(devops_settings(env), clock=SystemClock())
    plan = make_plan(load_specs([specs]), org)
    actions.append({action: plan.count(action) for action in Action})
    apply_plan(plan, org, NullReporter())


# ---- the baseline ---------------------------------------------------------------------------------------
class OneAtATime:
    """A resolver that asks Azure DevOps for each name it is given, one request each (once per spec)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.asked: dict[tuple[str, ...], Id] = {}

    def _once(self, key: tuple[str, ...], ask: Callable[[], Id]) -> Id:
        if key not in self.asked:
            self.asked[key] = ask()
        return self.asked[key]

    def _client(self, area: Any) -> Any:
        return self.connection.client(area)

    def project(self, name: str, at: Location) -> str:
        return str(self._once(("project", name), lambda: self._client(CORE).get_project(name).id))

    def queue(self, project: str, name: str, at: Location) -> Id:
        def ask() -> Id:
            return int(self._client(TASK_AGENT).get_agent_queues(project, queue_name=name)[0].id)

        return self._once(("queue", project, name), ask)

    def service_endpoint(self, project: str, name: str, at: Location) -> str:
        def ask() -> Id:
            return str(self._client(SERVICE_ENDPOINT).get_service_endpoints_by_names(project, [name])[0].id)

        return str(self._once(("endpoint", project, name), ask))

    def build_definition(self, project: str, name: str, at: Location) -> Id:
        def ask() -> Id:
            return int(self._client(BUILD).get_definitions(project, name=name)[0].id)

        return self._once(("build", project, name), ask)

    def identity(self, name: str, at: Location) -> str:
        def ask() -> Id:
            found = self._client(IDENTITY).read_identities(search_filter="General", filter_value=name)
            return str(found[0].id)

        return str(self._once(("identity", name), ask))

    def variable_group(self, project: str, name: str, at: Location) -> Id:
        def ask() -> Id:
            return int(self._client(TASK_AGENT).get_variable_groups(project, group_name=name)[0].id)

        return self._once(("group", project, name), ask)

    def task(self, task: TaskDef, at: Location) -> str:
        def ask() -> Id:
            client = self._client(TASKS.area)
            answer = client._send(
                http_method="GET",
                location_id=TASKS.location_id,
                version=TASKS.version(self.connection.server.api_version),
                route_values={"taskId": task.id},
            )
            return str(answer.json()["value"][0]["id"])

        return str(self._once(("task", task.id), ask))

    def environment(self, variable: Variable) -> str:
        raise AssertionError("the bench's specs take nothing from the environment")


def baseline_apply(env: dict[str, str], specs: Path, actions: list[dict[Action, int]]) -> None:
    """The one-at-a-time script over the same specs (see the module docstring)."""
    connection = Connection(devops_settings(env), SystemClock(), SecretRegistry())
    release = connection.client(RELEASE)
    raw = RawReleaseDefinitions(connection)
    done = {Action.CREATE: 0, Action.UPDATE: 0, Action.UNCHANGED: 0}
    for definition in load_specs([specs]).definitions:
        desired = render(definition, OneAtATime(connection)).document
        found = release.get_release_definitions(
            definition.project, search_text=definition.name, is_exact_name_match=True, path=definition.folder
        )
        if not found:
            raw.create(definition.project, desired, comment="baseline")
            done[Action.CREATE] += 1
            continue
        current = raw.get(definition.project, int(found[0].id))
        merged = merge(current, desired, update_secrets=False)
        if changes(current, merged):
            raw.update(definition.project, merged, comment="baseline")
            done[Action.UPDATE] += 1
        else:
            done[Action.UNCHANGED] += 1
    actions.append(done)


# ---- the benchmark --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def organization(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, Path]]:
    tmp = tmp_path_factory.mktemp("release-apply-bench")
    with Emulator(seed=True) as emu:
        install_slotwise(emu, tmp)
        for approver in APPROVERS:
            emu.create_user(ORG, approver)
        for project in PROJECTS:
            stand_up(emu, project)
            stand_up(emu, project + BASELINE)
        yield emu, tmp


def test_release_apply_of_200_specs_cold_then_no_op_against_one_at_a_time(
    organization: tuple[Emulator, Path],
) -> None:
    emu, tmp = organization
    env = {**emu.env(), **emu.devops_env()}
    ours = write_specs(tmp / "slotwise", PROJECTS)
    theirs = write_specs(tmp / "baseline", tuple(p + BASELINE for p in PROJECTS))
    control = Control(emu)
    control.throttle()
    planned: list[dict[Action, int]] = []
    done: list[dict[Action, int]] = []
    phases = [
        measure(control, "slotwise cold", lambda: slotwise_apply(env, ours, planned)),
        measure(control, "slotwise no-op", lambda: slotwise_apply(env, ours, planned)),
        measure(control, "baseline cold", lambda: baseline_apply(env, theirs, done)),
        measure(control, "baseline no-op", lambda: baseline_apply(env, theirs, done)),
    ]
    print_table(phases)
    org = open_organization(devops_settings(env), clock=SystemClock())
    stored = {p: len(org.definitions.list(p)) for p in PROJECTS + tuple(p + BASELINE for p in PROJECTS)}

    cold, noop, base_cold, base_noop = phases
    assert set(stored.values()) == {PER_PROJECT}, stored  # retried creates made no duplicates
    assert planned[0][Action.CREATE] == SPECS
    assert cold.writes == SPECS
    assert planned[1][Action.UNCHANGED] == SPECS
    assert done[0][Action.CREATE] == SPECS
    assert base_cold.writes == SPECS
    assert done[1][Action.UNCHANGED] == SPECS  # the baseline compares too: its no-op writes nothing
    assert base_noop.writes == 0
    # issue 9's goals for slotwise's no-op: read in bulk, at most 1 request per definition, 0 writes
    assert noop.writes == 0
    assert noop.per_definition <= 1.0, f"{noop.requests} requests for {SPECS} definitions"


def print_table(phases: list[Phase]) -> None:
    by_name = {phase.name: phase for phase in phases}
    print(f"\nrelease apply: {SPECS} specs, {len(PROJECTS)} projects; rate limiter {RATE:g}/s, burst {BURST}")
    header = f"{'phase':<16}{'requests':>9}{'reads':>7}{'per def':>9}{'writes':>8}{'429s':>6}{'seconds':>9}"
    print(header + f"{'ratio':>8}")
    for phase in phases:
        mine = phase.name.startswith("slotwise")
        other = by_name.get(phase.name.replace("slotwise", "baseline")) if mine else None
        ratio = f"{phase.seconds / other.seconds:>8.3f}" if other and other.seconds else f"{'':>8}"
        print(
            f"{phase.name:<16}{phase.requests:>9}{phase.reads:>7}{phase.per_definition:>9.2f}"
            f"{phase.writes:>8}{phase.throttled:>6}{phase.seconds:>9.2f}{ratio}"
        )
    print("ratio: slotwise's wall time over the baseline's in the same phase (goal ≤ 0.25)")
    for phase in phases:
        if phase.name.endswith("no-op"):
            shown = ", ".join(f"{n} {what}" for what, n in sorted(phase.resources().items()))
            print(f"{phase.name}: {shown}")
