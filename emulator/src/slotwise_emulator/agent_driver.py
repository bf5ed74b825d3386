"""Which agent pool runs the emulated release service's deployment jobs (a mixin of ``Emulator``).

``use_node_agent`` plugs in a ``NodeAgentPool`` (the emulated Azure Pipelines agent): it looks each
task's folder up in the organization's installed extensions, trusts the emulator's CA in the task
processes as a self-hosted agent machine with a private CA is set up to (``NODE_EXTRA_CA_CERTS``
for Node, ``REQUESTS_CA_BUNDLE`` and ``SSL_CERT_FILE`` for Python and OpenSSL-based tools), keeps
``Agent.ToolsDirectory`` across jobs (``agent-tools/`` in the state directory, or in the temporary
one removed on stop), and delivers each job's outcome on the server's loop, then saves the state.
``use_manual_agent`` goes back to the ``ManualPool`` (jobs wait for ``complete_job``). The pool
lives beside the server, never in the saved state: the releases backend pickles a manual pool in
its place, a job running when the emulator stopped ends canceled (``stop`` closes the pool) or,
after a crash, failed on the next start (``end_lost_jobs``), and the owner (the command line) plugs
the Node pool in again after a restart.

Must not: run tasks (the agent does), know HTTP, hold release state (the backends do).
"""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from slotwise_emulator.agent.job import AgentSettings
from slotwise_emulator.agent.pool import NodeAgentPool
from slotwise_emulator.backends import Backends, devops_tasks
from slotwise_emulator.backends.devops_manual_pool import ManualPool
from slotwise_emulator.errors import EmulatorError

T = TypeVar("T")
TOOLS_DIRECTORY = "agent-tools"
AGENT_CA_BUNDLE = "agent-ca.pem"  # the system's CAs and the emulator's, for task processes


class AgentDriver:
    """Driver methods choosing the release service's agent pool."""

    _node_pool: NodeAgentPool | None = None

    def call(self, fn: Callable[[Backends], T]) -> T:  # pragma: no cover - Emulator's
        raise NotImplementedError

    def _save(self) -> None:  # pragma: no cover - Emulator's
        raise NotImplementedError

    def _root(self) -> Path:  # pragma: no cover - Emulator's
        raise NotImplementedError

    @property
    def ca_path(self) -> Path:  # pragma: no cover - Emulator's
        raise NotImplementedError

    def use_node_agent(
        self, *, agents: int = 1, settings: AgentSettings | None = None, work_root: Path | None = None
    ) -> NodeAgentPool:
        """Run deployment jobs on ``agents`` emulated Node agents from now on (a pool already plugged in
        is closed first, its running jobs canceled). ``settings``: the agents' (their environment gets
        the emulator's CA: ``_trust_ca``; their tools directory, unless given, persists across jobs);
        ``work_root``: where each job's working directory is made (the system's temporary directory)."""
        chosen = settings or AgentSettings()
        tools = chosen.tools_directory or self._root() / TOOLS_DIRECTORY
        tools.mkdir(parents=True, exist_ok=True)
        chosen = dataclasses.replace(
            chosen,
            environment={**chosen.environment, **self._trust_ca()},
            tools_directory=tools,
        )
        self.close_agent_pool()
        pool = NodeAgentPool(self._resolve, self._post, agents, chosen, work_root)
        self._node_pool = pool
        self.call(self._attach_agent_pool)
        return pool

    def _trust_ca(self) -> dict[str, str]:
        """The variables of a machine that trusts the emulator's CA besides the public ones (Node adds
        ``NODE_EXTRA_CA_CERTS`` to its own; Python requests and OpenSSL read one bundle: this system's
        trusted CAs followed by the emulator's, ``agent-ca.pem`` beside the emulator's state), so a task
        reaches both the emulator and a public package index."""
        ca = self.ca_path
        bundle = self._root() / AGENT_CA_BUNDLE
        bundle.write_bytes(system_cas() + b"\n" + ca.read_bytes())
        return {
            "NODE_EXTRA_CA_CERTS": str(ca),
            "REQUESTS_CA_BUNDLE": str(bundle),
            "SSL_CERT_FILE": str(bundle),
        }

    def use_manual_agent(self) -> None:
        """Hold deployment jobs for ``complete_job`` again (a Node pool plugged in is closed)."""
        self.close_agent_pool()

        def plug(b: Backends) -> None:
            if not isinstance(b.releases.pool, ManualPool):
                b.releases.pool = ManualPool()

        self.call(plug)

    @property
    def agent_pool_kind(self) -> str:
        """``node`` or ``manual``: what runs the release jobs now."""
        return "node" if self._node_pool is not None else "manual"

    def close_agent_pool(self) -> None:
        """Close the Node pool, if any: its queued and running jobs end canceled (their stages too)."""
        pool, self._node_pool = self._node_pool, None
        if pool is not None:
            self.call(lambda b: self._detach(b, pool))  # no new job reaches it; running ones report
            pool.close()

    # ---- internals ----------------------------------------------------------------------------------
    def _attach_agent_pool(self, backends: Backends) -> None:
        """Plug the Node pool (if any) into ``backends`` (also after ``reset`` made new ones)."""
        if self._node_pool is not None:
            backends.releases.pool = self._node_pool

    @staticmethod
    def _detach(backends: Backends, pool: NodeAgentPool) -> None:
        if backends.releases.pool is pool:
            backends.releases.pool = ManualPool()

    def _resolve(self, organization: str, task_id: str, version_spec: str) -> devops_tasks.TaskFolder:
        """The installed task's folder (called on the server's loop, where the records live)."""
        records = self.call(lambda b: b.devops.directory.records_of(organization))
        return devops_tasks.task_folder(records, task_id, version_spec)

    def _post(self, fn: Callable[[], None]) -> None:
        """Run a pool's callback on the server's loop, then save the state."""

        def deliver(_: Backends) -> None:
            fn()
            self._save()

        try:
            self.call(deliver)
        except EmulatorError:  # not started any more: nothing is left to tell
            return


def system_cas() -> bytes:
    """The PEM bundle of CAs this system trusts (OpenSSL's default file), or nothing if it has none."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            return Path(candidate).read_bytes()
    return b""
