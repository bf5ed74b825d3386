"""Running the packaged extension's tasks the way the Azure Pipelines agent runs them.

The agent downloads a task from the extension (the ``.vsix`` is a zip; each task is
``tasks/<folder>/``), picks the handler of its task.json it knows (``tests/tasks/handlers.py``: agent
``AGENT_VERSION``, the tasks' minimum, knows ``Node20_1`` and not ``Node24``) and runs
``node "<taskDir>/<target>"`` with the job's working directory as cwd, stdin a pipe closed at once, and
an environment it builds:

- ``INPUT_<NAME>`` for **every** input of task.json (name: ``.`` and space become ``_``, upper-cased):
  the value given, else the input's ``defaultValue``, else empty; ``$(Variable.Name)`` macros
  expanded from the job's variables (unknown ones left as they are); trimmed; a ``filePath`` input
  rooted in the sources directory, and an empty one passed as the sources directory itself;
- ``ENDPOINT_*`` of the service connections the inputs reference, plus ``SYSTEMVSSCONNECTION``;
- the job's variables (``SYSTEM_*``, ``BUILD_*``, ``COMMON_*``) and the agent's (``AGENT_*``).

``Extension`` is the unpacked ``.vsix``; ``TaskAgent`` is one agent machine (its tools directory,
where the shim keeps slotwise's virtual environment, is shared by every run, so it is set up once);
``Workspace`` is one job's directories and predefined variables. ``TaskAgent.run_task`` runs one task
and answers a ``TaskRun``: exit code, stdout, stderr, the logging commands parsed by ``tests/vso.py``
(output variables, issues, ``task.complete``), the uploaded summary's text.

The environment is built from scratch: nothing of the developer's shell leaks in, and pip reads no
configuration file of this machine (``PIP_CONFIG_FILE=/dev/null``, ``PIP_NO_INDEX=1`` and
``PIP_FIND_LINKS`` = a local wheelhouse: an agent without internet, set up offline).
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from slotwise_emulator import Emulator
from tests import vso
from tests.tasks.handlers import handler_for
from tests.tasks.shimkit import NODE, closed_stdin, python_bin

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "scripts" / "package"
AGENT_VERSION = "3.232.1"  # the oldest agent the tasks allow (their minimumAgentVersion)
# The agent cancels a task with SIGINT, then SIGTERM if it is still running after PROCESS_SIGINT_TIMEOUT
# (7.5 s by default), then kills it after PROCESS_SIGTERM_TIMEOUT (2.5 s).
SIGINT_TIMEOUT = 7.5
SIGTERM_TIMEOUT = 2.5
_MACRO = re.compile(r"\$\(([^)]+)\)")


def env_name(name: str) -> str:
    """A variable or input name as the agent puts it in the environment."""
    return name.replace(".", "_").replace(" ", "_").upper()


def agent_architecture() -> str:
    """Agent.OSArchitecture of this machine (X64, ARM64, ...)."""
    machine = os.uname().machine.lower()
    return {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}.get(
        machine, machine.upper()
    )


# ---- the extension ------------------------------------------------------------------------------


class PackagingUnavailable(RuntimeError):
    """The .vsix cannot be built on this machine (no Node.js/npm, or tfx-cli cannot be installed)."""


def build_vsix(build_dir: Path, dist_dir: Path, publisher: str = "slotwise-test") -> Path:
    """``scripts/package`` into ``dist_dir``, as a user runs it; the path of the .vsix it printed."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        raise PackagingUnavailable(f"{' and '.join(missing)} not installed: tfx-cli needs them")
    env = {key: value for key, value in os.environ.items() if key != "SLOTWISE_PUBLISHER"}
    if sys.prefix != sys.base_prefix:  # the tests' virtual environment, already bootstrapped
        env["SLOTWISE_VENV"] = sys.prefix
    result = subprocess.run(
        [str(PACKAGE), "--publisher", publisher, "--build-dir", str(build_dir), "--dist-dir", str(dist_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    if result.returncode != 0:
        if "==> npm ci" in result.stderr and "==> tfx extension create" not in result.stderr:
            raise PackagingUnavailable(f"tfx-cli could not be installed (npm ci failed):\n{result.stderr}")
        raise RuntimeError(f"scripts/package failed (exit {result.returncode}):\n{result.stderr}")
    return Path(result.stdout.strip().splitlines()[-1])


@dataclass(frozen=True)
class Extension:
    """An unpacked .vsix: its task folders under ``tasks/``."""

    root: Path

    @classmethod
    def unpack(cls, vsix: Path, dest: Path) -> Extension:
        with zipfile.ZipFile(vsix) as archive:
            archive.extractall(dest)
        return cls(dest)

    def folders(self) -> list[str]:
        return sorted(p.parent.name for p in (self.root / "tasks").glob("*/task.json"))

    def task_dir(self, folder: str) -> Path:
        return self.root / "tasks" / folder

    def definition(self, folder: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(
            (self.task_dir(folder) / "task.json").read_text(encoding="utf-8-sig")
        )
        return data

    def inputs(self, folder: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.definition(folder)["inputs"]
        return found

    def label(self, folder: str, name: str) -> str:
        return next(str(spec["label"]) for spec in self.inputs(folder) if spec["name"] == name)

    def target(self, folder: str, agent_version: str = AGENT_VERSION) -> Path:
        """The script the agent runs: ``execution.<handler>.target`` of the handler it picks."""
        definition = self.definition(folder)
        handler = handler_for(definition, agent_version)
        assert handler is not None, f"agent {agent_version} finds no handler it knows in {folder}"
        target = str(definition["execution"][handler]["target"])
        target = re.sub(r"\$\(\s*currentdirectory\s*\)", str(self.task_dir(folder)), target, flags=re.I)
        path = Path(target)
        return path if path.is_absolute() else self.task_dir(folder) / path


# ---- a job's directories and variables ----------------------------------------------------------


@dataclass(frozen=True)
class Workspace:
    """One job's directories on the agent (``_work/1/s`` ...) and the predefined variables that name them."""

    work: Path  # Agent.WorkFolder
    build_number: str = "20260101.1"
    build_id: str = "4711"

    @classmethod
    def create(cls, work: Path, **kwargs: str) -> Workspace:
        made = cls(work, **kwargs)
        for path in (made.sources, made.temp, made.test_results, made.staging):
            path.mkdir(parents=True, exist_ok=True)
        return made

    @property
    def sources(self) -> Path:
        """Build.SourcesDirectory = System.DefaultWorkingDirectory: the agent's cwd for a task."""
        return self.work / "1" / "s"

    @property
    def temp(self) -> Path:
        return self.work / "_temp"

    @property
    def test_results(self) -> Path:
        return self.work / "1" / "TestResults"

    @property
    def staging(self) -> Path:
        return self.work / "1" / "a"

    def variables(self, **overrides: str) -> dict[str, str]:
        """The job's predefined variables a task sees (a build job; ``overrides`` by env name)."""
        found = {
            "SYSTEM_DEFAULTWORKINGDIRECTORY": str(self.sources),
            "SYSTEM_ARTIFACTSDIRECTORY": str(self.staging),
            "SYSTEM_WORKFOLDER": str(self.work),
            "SYSTEM_DEFINITIONNAME": "func-demo CI",
            "BUILD_SOURCESDIRECTORY": str(self.sources),
            "BUILD_REPOSITORY_LOCALPATH": str(self.sources),
            "BUILD_ARTIFACTSTAGINGDIRECTORY": str(self.staging),
            "BUILD_BUILDID": self.build_id,
            "BUILD_BUILDNUMBER": self.build_number,
            "BUILD_DEFINITIONNAME": "func-demo CI",
            "BUILD_SOURCEVERSION": "0123456789abcdef0123456789abcdef01234567",
            "BUILD_SOURCEBRANCH": "refs/heads/main",
            "BUILD_REQUESTEDFOR": "Ada Lovelace",
            "COMMON_TESTRESULTSDIRECTORY": str(self.test_results),
            "AGENT_TEMPDIRECTORY": str(self.temp),
            "AGENT_WORKFOLDER": str(self.work),
            "AGENT_BUILDDIRECTORY": str(self.work / "1"),
            "TF_BUILD": "True",
        }
        found.update(overrides)
        return found


# ---- one run ---------------------------------------------------------------------------------------


@dataclass
class TaskRun:
    """What one task process did, as the agent reads it."""

    folder: str
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    env: Mapping[str, str] = field(repr=False, default_factory=dict)

    @property
    def outputs(self) -> dict[str, str]:
        """Output variables (``task.setvariable ... isOutput=true``), the last value of each."""
        return vso.outputs(self.stdout)

    @property
    def completion(self) -> vso.Command:
        return vso.completion(self.stdout)

    @property
    def result(self) -> str:
        return self.completion.properties["result"]

    def issues(self, kind: str = "error") -> list[str]:
        return vso.issues(self.stdout, kind)

    @property
    def errors(self) -> list[str]:
        return self.issues("error")

    @property
    def summary_paths(self) -> list[Path]:
        return [Path(c.message) for c in vso.named(self.stdout, "task.uploadsummary")]

    @property
    def summary(self) -> str:
        """The text of the one summary file the task uploaded."""
        paths = self.summary_paths
        assert len(paths) == 1, f"expected one task.uploadsummary, got {len(paths)}:\n{self.stdout}"
        return paths[0].read_text(encoding="utf-8")

    @property
    def registered_secrets(self) -> set[str]:
        return {c.message for c in vso.named(self.stdout, "task.setsecret")}

    def shown(self) -> str:
        """stdout and stderr as the log shows them, less the ``task.setsecret`` lines (the agent takes
        those as commands and masks their values everywhere else)."""
        registering = {c.line for c in vso.named(self.stdout, "task.setsecret")}
        lines = [line for line in self.stdout.splitlines() if line not in registering]
        return "\n".join(lines) + "\n" + self.stderr

    def log(self) -> str:
        """For assertion messages."""
        head = f"exit {self.exit_code} after {self.seconds:.1f} s"
        return f"{head}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


# ---- the agent -----------------------------------------------------------------------------------


@dataclass
class TaskAgent:
    """One agent machine running tasks of one unpacked extension.

    ``tools`` is Agent.ToolsDirectory (shared by all runs: the shim sets slotwise up there once);
    ``wheelhouse`` what pip may install from (no index).
    """

    extension: Extension
    root: Path
    wheelhouse: Path | None = None

    @property
    def tools(self) -> Path:
        return self.root / "_tool"

    @property
    def home(self) -> Path:
        return self.root / "home"

    def __post_init__(self) -> None:
        self.tools.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(parents=True, exist_ok=True)

    def base_env(self) -> dict[str, str]:
        """What the agent process itself has (PATH, HOME, LANG), its AGENT_* variables, and pip's
        settings for an agent without internet access."""
        env = {
            "PATH": f"{python_bin(self.root / 'bin')}:/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "AGENT_TOOLSDIRECTORY": str(self.tools),
            "AGENT_OS": "Linux",
            "AGENT_OSARCHITECTURE": agent_architecture(),
            "AGENT_VERSION": AGENT_VERSION,
            "AGENT_NAME": "slotwise-test-agent",
            "AGENT_ID": "7",
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INDEX": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
        if self.wheelhouse is not None:
            env["PIP_FIND_LINKS"] = str(self.wheelhouse)
        return env

    def input_env(
        self, folder: str, inputs: Mapping[str, str], variables: Mapping[str, str]
    ) -> dict[str, str]:
        """``INPUT_<NAME>`` for every input of the task, by the agent's rules."""
        sources = variables.get("BUILD_SOURCESDIRECTORY") or variables.get(
            "SYSTEM_DEFAULTWORKINGDIRECTORY", ""
        )
        known = {spec["name"] for spec in self.extension.inputs(folder)}
        unknown = set(inputs) - known
        assert not unknown, f"{folder} has no input(s) {sorted(unknown)}"
        env = {}
        for spec in self.extension.inputs(folder):
            name = spec["name"]
            value = inputs.get(name)
            if value is None:  # not given: task.json's default
                default = spec.get("defaultValue", "")
                value = str(default).lower() if isinstance(default, bool) else str(default or "")
            value = _MACRO.sub(lambda m: variables.get(env_name(m.group(1)), m.group(0)), value.strip())
            if spec.get("type") == "filePath":
                value = str(Path(sources) / value) if value else sources  # rooted; empty: the sources
            env["INPUT_" + env_name(name)] = value
        return env

    def environment(
        self,
        folder: str,
        inputs: Mapping[str, str],
        *,
        connection_env: Mapping[str, str],
        extra_env: Mapping[str, str],
    ) -> dict[str, str]:
        env = self.base_env()
        env.update(connection_env)
        env.update(extra_env)
        variables = {k: v for k, v in env.items() if not k.startswith(("ENDPOINT_", "INPUT_", "SECRET_"))}
        env.update(self.input_env(folder, inputs, variables))
        return env

    def command(self, folder: str) -> list[str]:
        assert NODE is not None
        return [NODE, str(self.extension.target(folder))]

    def start_task(
        self,
        folder: str,
        inputs: Mapping[str, str],
        *,
        connection_env: Mapping[str, str],
        extra_env: Mapping[str, str],
        cwd: Path,
        own_process_group: bool = False,
    ) -> RunningTask:
        """Start the task in the background (``own_process_group``: as the leader of a new process
        group, like the foreground job of a terminal)."""
        env = self.environment(folder, inputs, connection_env=connection_env, extra_env=extra_env)
        with closed_stdin() as stdin:
            process = subprocess.Popen(
                self.command(folder),
                env=env,
                cwd=cwd,
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                start_new_session=own_process_group,
            )
        return RunningTask(folder, process, env)

    def run_task(
        self,
        folder: str,
        inputs: Mapping[str, str],
        *,
        connection_env: Mapping[str, str],
        extra_env: Mapping[str, str],
        cwd: Path,
        timeout: float = 300,
    ) -> TaskRun:
        """Run ``node <taskDir>/<target>`` to its end, as the agent runs the task."""
        env = self.environment(folder, inputs, connection_env=connection_env, extra_env=extra_env)
        started = time.monotonic()
        done = subprocess.run(
            self.command(folder),
            env=env,
            cwd=cwd,
            input="",
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )
        return TaskRun(folder, done.returncode, done.stdout, done.stderr, time.monotonic() - started, env)


class RunningTask:
    """A task process started in the background: its stdout read line by line as it comes."""

    def __init__(self, folder: str, process: subprocess.Popen[str], env: Mapping[str, str]) -> None:
        self.folder = folder
        self.process = process
        self.env = env
        self.started = time.monotonic()
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stdout: list[str] = []
        self._stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(process.stdout, self._stdout, True), daemon=True),
            threading.Thread(target=self._read, args=(process.stderr, self._stderr, False), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: Iterable[str] | None, into: list[str], announce: bool) -> None:
        assert stream is not None
        for line in stream:
            into.append(line)
            if announce:
                self._lines.put(line)
        if announce:
            self._lines.put(None)

    def wait_for_line(self, text: str, timeout: float = 60) -> str:
        """The first stdout line with ``text``; AssertionError if the task ends first or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line with {text!r} within {timeout} s:\n{''.join(self._stdout)}")
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"the task ended before printing {text!r}:\n{''.join(self._stdout)}")
            if text in line:
                return line

    def cancel_as_the_agent_does(
        self,
        sigint_timeout: float = SIGINT_TIMEOUT,
        sigterm_timeout: float = SIGTERM_TIMEOUT,
        *,
        sigint_to_group: bool = False,
    ) -> list[str]:
        """SIGINT; SIGTERM if still running after ``sigint_timeout``; SIGKILL after ``sigterm_timeout``.
        ``sigint_to_group``: SIGINT goes to the whole process group (Ctrl-C in the terminal of an
        agent run interactively), so the shim's child gets it too. Answers the signals sent."""
        sent = []
        for sig, grace in ((signal.SIGINT, sigint_timeout), (signal.SIGTERM, sigterm_timeout)):
            if self.process.poll() is not None:
                break
            if sig == signal.SIGINT and sigint_to_group:
                os.killpg(self.process.pid, sig)
            else:
                self.process.send_signal(sig)
            sent.append(sig.name)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                continue
        if self.process.poll() is None:
            self.process.kill()
            sent.append("SIGKILL")
        return sent

    def finish(self, timeout: float = 300) -> TaskRun:
        self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=10)
        seconds = time.monotonic() - self.started
        code = self.process.returncode
        return TaskRun(self.folder, code, "".join(self._stdout), "".join(self._stderr), seconds, self.env)


# ---- secrets -------------------------------------------------------------------------------------


def issued_secrets(emulator: Emulator) -> list[str]:
    """Every secret the emulator issued so far: client secrets, keys and passwords, tokens (Entra's
    access tokens, the OIDC tokens minted for jobs, the jobs' access tokens)."""
    answer = requests.get(f"{emulator.arm_url}/_emulator/secrets", verify=str(emulator.ca_path), timeout=10)
    answer.raise_for_status()
    issued = answer.json()
    return [s for s in (*issued["clientSecrets"], *issued["keys"], *issued["tokens"]) if s]


def leaked(run: TaskRun, secrets: Iterable[str]) -> list[str]:
    """The secrets that appear in the run's log outside ``task.setsecret`` lines (names withheld:
    the caller reports how many, never which)."""
    shown = run.shown()
    return [secret for secret in set(secrets) if secret and secret in shown]
