"""``Emulator``: one running emulator instance, in-process, with its state, certificates and listeners.

Start it, use the URLs and credentials it reports (``env()``), stop it. State lives on the instance
(never global): two emulators in one process do not see each other. With ``state_dir`` the state,
the CA and the ports survive a restart; without it everything is in a temporary directory removed on
stop. Tests and the control plane change state through ``call``, which runs on the server's loop.
``pipeline_job`` stands up an Azure DevOps organization, project, service connection and running job
for tests and the demo of Azure Pipelines' workload identity federation.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from starlette.routing import BaseRoute

from slotwise_emulator.agent_driver import AgentDriver
from slotwise_emulator.app import EmulatorApp, service_app
from slotwise_emulator.backends import Backends
from slotwise_emulator.backends.devops import SERVICE_PRINCIPAL, WORKLOAD_IDENTITY, DevOpsBackend
from slotwise_emulator.backends.devops_org import OrganizationBackend
from slotwise_emulator.backends.devops_release import ReleaseDefinitionsBackend
from slotwise_emulator.backends.devops_releases import ReleasesBackend
from slotwise_emulator.backends.hosts import LOOPBACK, HostBinding, HostRegistry
from slotwise_emulator.backends.model import Site
from slotwise_emulator.clock import Clock, Speed, SystemClock
from slotwise_emulator.devops_driver import DevOpsDriver
from slotwise_emulator.devops_environments_driver import EnvironmentsDriver
from slotwise_emulator.devops_release_driver import ReleaseDriver
from slotwise_emulator.errors import EmulatorError, Shape
from slotwise_emulator.pipeline import PipelineJob, ServiceConnectionInfo, describe_connection, describe_job
from slotwise_emulator.routes import (
    control,
    control_devops,
    control_devops_checks,
    control_devops_org,
    control_devops_release,
    control_devops_releases,
    devops,
    devops_locations,
    devops_release,
    devops_releases,
    functions,
    identity,
    kudu,
    resources,
    web,
)
from slotwise_emulator.server import HttpsServer
from slotwise_emulator.tls import TlsFiles, ensure_tls
from slotwise_emulator.web_driver import WebDriver

T = TypeVar("T")

STATE_FILE = "state.pickle"
STATE_VERSION = 1


def service_routes() -> dict[str, list[BaseRoute]]:
    """The routes of each emulated service, by the kind of host that serves it (the control plane is
    on the ARM host): everything the emulator answers."""
    return {
        "arm": control.routes()
        + control_devops.routes()
        + control_devops_org.routes()
        + control_devops_release.routes()
        + control_devops_checks.routes()
        + control_devops_releases.routes()
        + resources.routes()
        + web.routes(),
        "login": identity.routes(),
        "scm": kudu.routes(),
        "site": functions.routes(),
        "devops": devops.routes()
        + devops_locations.routes()
        + devops_release.served()
        + devops_releases.served(),
    }


_ERROR_SHAPES: dict[str, Shape] = {
    "arm": "arm",
    "login": "aad",
    "scm": "kudu",
    "site": "empty",
    "devops": "devops",
}


@dataclass(frozen=True)
class FunctionApp:
    """An app the emulator created for a test or the demo."""

    subscription_id: str
    resource_group: str
    name: str


class Emulator(DevOpsDriver, ReleaseDriver, EnvironmentsDriver, AgentDriver, WebDriver):
    """A local HTTPS emulator of Entra ID, ARM Microsoft.Web, Kudu, the Functions host and Azure DevOps.

    ``seed=True`` seeds the Azure DevOps organization ``contoso`` (``devops_seed``) once started;
    ``devops_server`` answers as Azure DevOps Services (``"services"``) or Server 2022 (``"2022"``);
    None keeps what a restored state says (Services for a new one)."""

    def __init__(
        self,
        *,
        port: int = 0,
        state_dir: Path | None = None,
        speed: Speed | None = None,
        clock: Clock | None = None,
        seed: bool = False,
        devops_server: str | None = None,
    ) -> None:
        self._seed = seed
        self._devops_server = devops_server
        self._wanted_port = port
        self._state_dir = Path(state_dir) if state_dir else None
        self._speed = speed
        self._clock = clock or SystemClock()
        self._tmp: str | None = None
        self._server: HttpsServer | None = None
        self._backends: Backends | None = None
        self._tls: TlsFiles | None = None
        self.arm_url = ""
        self.authority = ""
        # https://127.0.0.1:<port>/ : an Azure DevOps organization's collection URI is {devops_url}{org}/
        self.devops_url = ""

    # ---- lifecycle --------------------------------------------------------------------------------
    def start(self) -> Emulator:
        if self._state_dir is not None:
            self._state_dir.mkdir(parents=True, exist_ok=True)
            root = self._state_dir
        else:
            self._tmp = tempfile.mkdtemp(prefix="slotwise-emulator-")
            root = Path(self._tmp)
        self._tls = ensure_tls(root / "tls")
        restored = self._load(root)
        self._backends = restored or self._fresh(root)
        if self._speed is not None:
            self._apply_speed(self._speed)
        services = {
            kind: service_app(routes, _ERROR_SHAPES[kind]) for kind, routes in service_routes().items()
        }
        app = EmulatorApp(
            lambda: self.backends, services, on_change=self._save, extra_scope=self._scope_extras
        )
        self._server = HttpsServer(app, self._tls)
        try:
            if restored is not None:
                restored.hosts.attach(self._server.open_port)
                if not any(b.kind == "devops" for _, b in restored.hosts.service_hosts()):
                    restored.hosts.register(f"{LOOPBACK}:{self._server.open_port(0)}", HostBinding("devops"))
            else:
                self._bind_service_hosts(self._backends.hosts)
            self._server.start()
        except EmulatorError:
            self._server.stop()
            self._cleanup()
            raise
        self._refresh_urls()
        if self._devops_server is not None:
            self.set_devops_server(self._devops_server)
        if self._seed:
            self.seed_devops()
        return self

    def stop(self) -> None:
        if self._backends is not None:
            self.close_agent_pool()  # its running jobs end canceled, their stages too
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._save()
        self._cleanup()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # ---- what clients need ----------------------------------------------------------------------------
    @property
    def backends(self) -> Backends:
        if self._backends is None:
            raise EmulatorError("The emulator is not started.")
        return self._backends

    @property
    def ca_path(self) -> Path:
        if self._tls is None:
            raise EmulatorError("The emulator is not started.")
        return self._tls.ca_path

    @property
    def tenant_id(self) -> str:
        return self.backends.seed["tenant_id"]

    @property
    def subscription_id(self) -> str:
        return self.backends.seed["subscription_id"]

    @property
    def client_id(self) -> str:
        return self.backends.seed["client_id"]

    @property
    def client_secret(self) -> str:
        return self.backends.identity.apps[self.client_id].secrets[0]

    def env(self) -> dict[str, str]:
        """Everything a client needs to use this emulator, as environment variables."""
        return {
            "REQUESTS_CA_BUNDLE": str(self.ca_path),
            "SSL_CERT_FILE": str(self.ca_path),
            "AZURE_AUTHORITY_HOST": self.authority,
            "AZURE_TENANT_ID": self.tenant_id,
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_CLIENT_SECRET": self.client_secret,
            "AZURE_SUBSCRIPTION_ID": self.subscription_id,
            "AZURE_CORE_INSTANCE_DISCOVERY": "false",
            "SLOTWISE_ARM_ENDPOINT": self.arm_url,
            "SLOTWISE_EMULATOR_URL": self.arm_url,
            **self.devops_env(),
        }

    def write_env_file(self, path: Path) -> None:
        """Write ``env()`` as KEY=VALUE lines, readable by the owner only (it holds a client secret)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.writelines(f"{key}={value}\n" for key, value in self.env().items())

    # ---- driving it ---------------------------------------------------------------------------------
    def call(self, fn: Callable[[Backends], T]) -> T:
        """Run ``fn(backends)`` where the server changes state (its loop thread) and return the result."""
        backends = self.backends
        if self._server is None:
            return fn(backends)
        return self._server.call(lambda: fn(backends))

    def set_speed(self, speed: Speed) -> None:
        self.call(lambda _: self._apply_speed(speed))

    def create_function_app(
        self,
        resource_group: str,
        name: str,
        *,
        slots: tuple[str, ...] = ("staging",),
        app_settings: dict[str, str] | None = None,
        kind: str = "functionapp",
        location: str = "westeurope",
    ) -> FunctionApp:
        """Create (if missing) a resource group and an app with the given slots."""
        sub = self.subscription_id

        def create(b: Backends) -> Site:
            b.resources.create_or_update_group(sub, resource_group, location)
            site = b.web.create_site(
                sub, resource_group, name, kind=kind, location=location, app_settings=app_settings
            )
            for slot in slots:
                b.web.create_slot(sub, resource_group, name, slot)
            return site

        self.call(create)
        self._save()
        return FunctionApp(sub, resource_group, name)

    def pipeline_job(
        self, org: str = "contoso", project: str = "web", connection: str = "prod", *, hub: str = "build"
    ) -> PipelineJob:
        """A running Azure Pipelines job in ``org``/``project`` using the AzureRM service connection
        ``connection``, made with ``service_connection`` (workload identity federation) if missing."""
        chosen = self.service_connection(org, project, connection)

        def make(b: Backends) -> PipelineJob:
            job = b.devops.create_job(org, project, hub)
            used = b.devops.connection(chosen.id)
            return describe_job(b, job, used, arm_url=self.arm_url, authority=self.authority)

        result = self.call(make)
        self._save()
        return result

    def service_connection(
        self,
        org: str = "contoso",
        project: str = "web",
        name: str = "prod",
        *,
        scheme: str = WORKLOAD_IDENTITY,
        client_id: str | None = None,
        tenant_id: str | None = None,
        subscription_id: str | None = None,
    ) -> ServiceConnectionInfo:
        """The AzureRM service connection ``name``, made with its organization and project if missing
        (``scheme="ServicePrincipal"``: a secret, spnKey, connection). Defaults: the default service
        principal, its tenant, the default subscription."""

        def make(b: Backends) -> ServiceConnectionInfo:
            b.devops.create_organization(org, tenant_id=b.seed["tenant_id"])
            found = b.devops.create_project(org, project).connection_named(name)
            chosen = found or control_devops.new_connection(
                b, org, project, name, scheme, client_id, tenant_id, subscription_id
            )
            return describe_connection(b, chosen, arm_url=self.arm_url, authority=self.authority)

        result = self.call(make)
        self._save()
        return result

    def service_principal_env(self, connection_id: str) -> dict[str, str]:
        """The ``ENDPOINT_*`` variables the agent sets for a ServicePrincipal (spnKey) connection."""

        def describe(b: Backends) -> ServiceConnectionInfo:
            found = b.devops.connection(connection_id)
            if found is None:
                raise EmulatorError(f"No service connection '{connection_id}'.")
            if found.scheme != SERVICE_PRINCIPAL:
                raise EmulatorError(
                    f"Service connection '{found.name}' uses {found.scheme}, not {SERVICE_PRINCIPAL}.",
                    hint="Use PipelineJob.agent_env() for a workload identity federation connection.",
                )
            return describe_connection(b, found, arm_url=self.arm_url, authority=self.authority)

        return self.call(describe).endpoint_env()

    def reset(self) -> None:
        """Forget everything but the default tenant, subscription and service principal."""
        old = self.backends
        old.kudu.purge()
        old.devops.clear()
        old.identity.apps = {k: v for k, v in old.identity.apps.items() if k == old.seed["client_id"]}
        hosts = HostRegistry()
        for host, binding in old.hosts.service_hosts():
            hosts.register(host, binding)
        hosts.attach_quietly(self._server.open_port if self._server else None)
        fresh = Backends(
            content_dir=old.content_dir, clock=self._clock, speed=old.speed, hosts=hosts,
            keep_identity=old.identity,
        )  # fmt: skip
        fresh.devops.base_url = old.devops.base_url
        fresh.resources.create_subscription(
            old.seed["subscription_id"], old.seed["tenant_id"], "slotwise emulator"
        )
        fresh.seed = {k: v for k, v in old.seed.items() if not k.startswith("devops_")}
        self._attach_agent_pool(fresh)
        self._backends = fresh
        self._save()

    # ---- internals ----------------------------------------------------------------------------------
    def _scope_extras(self) -> dict[str, object]:
        return {"slotwise.controller": self}

    def _fresh(self, root: Path) -> Backends:
        backends = Backends(content_dir=root / "content", clock=self._clock, speed=Speed.instant())
        tenant = backends.identity.create_tenant(str(uuid.uuid4()))
        sub = backends.resources.create_subscription(str(uuid.uuid4()), tenant, "slotwise emulator")
        app = backends.identity.create_application(tenant, display_name="slotwise-emulator-principal")
        backends.seed = {"tenant_id": tenant, "subscription_id": sub.id, "client_id": app.client_id}
        return backends

    def _bind_service_hosts(self, hosts: HostRegistry) -> None:
        assert self._server is not None
        arm_port = self._server.open_port(self._wanted_port)
        login_port = self._server.open_port(self._wanted_port + 1 if self._wanted_port else 0)
        hosts.register(f"{LOOPBACK}:{arm_port}", HostBinding("arm"))
        devops_port = self._server.open_port(self._wanted_port + 2 if self._wanted_port else 0)
        hosts.register(f"{LOOPBACK}:{login_port}", HostBinding("login"))
        hosts.register(f"{LOOPBACK}:{devops_port}", HostBinding("devops"))
        hosts.attach_quietly(self._server.open_port)

    def _refresh_urls(self) -> None:
        for host, binding in self.backends.hosts.service_hosts():
            if binding.kind == "arm":
                self.arm_url = f"https://{host}"
            elif binding.kind == "login":
                self.authority = f"https://{host}"
            elif binding.kind == "devops":
                self.devops_url = f"https://{host}/"
        self.backends.identity.authority = self.authority
        self.backends.devops.base_url = self.devops_url
        self.backends.devops.directory.arm_url = self.arm_url

    def _apply_speed(self, speed: Speed) -> None:
        target = self.backends.speed
        target.swap_seconds, target.deploy_seconds, target.restart_seconds = (
            speed.swap_seconds,
            speed.deploy_seconds,
            speed.restart_seconds,
        )

    def _load(self, root: Path) -> Backends | None:
        path = root / STATE_FILE
        if self._state_dir is None or not path.exists():
            return None
        try:
            with path.open("rb") as f:
                version, backends = pickle.load(f)  # noqa: S301 - our own file, in a directory the user owns
        except Exception as exc:
            raise EmulatorError(
                f"Cannot read the emulator state in {path}: {exc}.",
                hint=f"Delete {path} to start from an empty emulator.",
            ) from exc
        if version != STATE_VERSION:
            raise EmulatorError(
                f"The state in {path} was written by another slotwise version.",
                hint=f"Delete {path} to start from an empty emulator.",
            )
        if not isinstance(backends, Backends):
            raise EmulatorError(f"The state in {path} is not an emulator state.")
        backends.clock = self._clock
        if "devops" not in vars(backends):  # a state saved before the DevOps backend existed
            backends.devops = DevOpsBackend(backends.clock, backends.identity)
        if "directory" not in vars(backends.devops):  # saved before organizations had a directory
            backends.devops.directory = OrganizationBackend(backends.devops)
        if "release" not in vars(backends):  # saved before release definitions existed
            backends.release = ReleaseDefinitionsBackend(backends.clock, backends.devops.directory)
        if "releases" not in vars(backends):  # saved before releases ran
            backends.devops.directory.build_observers = []
            backends.releases = ReleasesBackend(backends.clock, backends.devops.directory, backends.release)
            backends.devops.directory.build_observers.append(backends.releases.build_completed)
        backends.releases.end_lost_jobs()  # jobs of an agent that stopped with the emulator fail
        return backends

    def _save(self) -> None:
        if self._state_dir is None or self._backends is None:
            return
        path = self._state_dir / STATE_FILE
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump((STATE_VERSION, self._backends), f)
        tmp.replace(path)

    def _root(self) -> Path:
        """Where this instance keeps its files: the state directory, or the temporary one."""
        if self._state_dir is None and self._tmp is None:
            raise EmulatorError("The emulator is not started.")
        return self._state_dir or Path(str(self._tmp))

    def _cleanup(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
