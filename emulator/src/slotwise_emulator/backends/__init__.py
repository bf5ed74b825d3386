"""The emulator's state and rules, one backend per service; no HTTP in here.

``Backends`` is the whole state of one emulator instance. Backends never see a request or a
response: routes call them with plain values and render what they return, or the ``ServiceError``
they raise. Everything here is picklable so ``--state-dir`` can save and restore it.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from pathlib import Path

from slotwise_emulator.backends.devops import DevOpsBackend
from slotwise_emulator.backends.devops_release import ReleaseDefinitionsBackend
from slotwise_emulator.backends.devops_releases import ReleasesBackend
from slotwise_emulator.backends.faults import FaultBackend
from slotwise_emulator.backends.hosts import HostRegistry
from slotwise_emulator.backends.identity import IdentityBackend
from slotwise_emulator.backends.kudu import KuduBackend
from slotwise_emulator.backends.requestlog import RequestLog
from slotwise_emulator.backends.resources import ResourceBackend
from slotwise_emulator.backends.web import WebBackend
from slotwise_emulator.clock import Clock, Speed, SystemClock


@dataclass
class Backends:
    """All state of one emulator instance."""

    content_dir: Path
    clock: Clock = field(default_factory=SystemClock)
    speed: Speed = field(default_factory=Speed)
    hosts: HostRegistry = field(default_factory=HostRegistry)
    identity: IdentityBackend = field(init=False)
    resources: ResourceBackend = field(init=False)
    web: WebBackend = field(init=False)
    kudu: KuduBackend = field(init=False)
    devops: DevOpsBackend = field(init=False)
    release: ReleaseDefinitionsBackend = field(init=False)
    releases: ReleasesBackend = field(init=False)
    faults: FaultBackend = field(init=False)
    log: RequestLog = field(init=False)
    seed: dict[str, str] = field(default_factory=dict)  # the default tenant, subscription and principal
    keep_identity: InitVar[IdentityBackend | None] = None  # a reset keeps the directory and signing key

    def __post_init__(self, keep_identity: IdentityBackend | None) -> None:
        self.content_dir.mkdir(parents=True, exist_ok=True)
        self.identity = keep_identity or IdentityBackend(self.clock)
        self.resources = ResourceBackend(self.clock, self.identity)
        self.web = WebBackend(self.clock, self.speed, self.hosts, self.resources)
        self.kudu = KuduBackend(self.clock, self.speed, self.web, self.content_dir)
        self.devops = DevOpsBackend(self.clock, self.identity)
        self.release = ReleaseDefinitionsBackend(self.clock, self.devops.directory)
        self.releases = ReleasesBackend(self.clock, self.devops.directory, self.release)
        self.devops.directory.build_observers.append(self.releases.build_completed)
        self.faults = FaultBackend()
        self.log = RequestLog()

    def tick(self) -> None:
        """Finish every long-running operation whose time has come (called before each request)."""
        self.web.tick()
        self.kudu.tick()
        self.releases.tick()
