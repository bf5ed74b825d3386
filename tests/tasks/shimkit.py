"""Running the Node task shim the way the Azure Pipelines agent does, for tests and benchmarks.

The agent runs ``node <taskDir>/shim.js`` with the job's working directory as cwd and INPUT_*,
ENDPOINT_*, SYSTEM_*, AGENT_* variables in the environment. Here a task folder is staged in a
temporary directory (shim.js, task.json, one wheel, requirements.lock and requirements-slotwise.txt,
as ``scripts/package`` lays it out) and run with a small, explicit environment: no variable of the
developer's shell leaks in, and pip reads no configuration file, so a bootstrap uses only the local
wheelhouse it is given.

Also here: building slotwise's wheel, the tasks' committed lock (tasks/_runtime/requirements.lock), a
wheelhouse of it (pip download, checked against its hashes), and a tiny stand-in ``slotwise`` wheel
whose ``slotwise.agent`` does what a test needs (exit with a code, dump its environment, trap signals).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slotwise_build.runtime import LOCK, RUNTIME, WHEEL_REQUIREMENT, wheel_requirement

ROOT = Path(__file__).resolve().parents[2]
SHIM = ROOT / "tasks" / "_shim" / "shim.js"
NODE = shutil.which("node")
NODE_MISSING = "node is not installed: the task shim runs on Node, as the Azure Pipelines agent runs it"
AGENT_MAIN = ROOT / "src" / "slotwise" / "agent" / "__main__.py"
TASK_NAME = "SlotwiseSmokeTest"
TASK_COMMAND = "smoke-test"
MARKER = ".slotwise-complete"
STANDIN_VERSION = "0.0.1"


def base_python() -> Path:
    """The interpreter this virtual environment was made from (a venv's python is only a link)."""
    return Path(getattr(sys, "_base_executable", sys.executable)).resolve()


def tool_cache_arch() -> str:
    """The architecture folder the hosted tool cache uses on this machine (Node's os.arch())."""
    machine = os.uname().machine.lower()
    return {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)


# ---- artifacts ------------------------------------------------------------------------------------


def build_wheel(dest: Path) -> Path:
    """slotwise's wheel built from this checkout (``pip wheel --no-deps``)."""
    dest.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check"]
    result = subprocess.run(
        [*command, "-w", str(dest), str(ROOT)], capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:  # no index for setuptools: build with what this venv has
        result = subprocess.run(
            [*command, "--no-build-isolation", "-w", str(dest), str(ROOT)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    if result.returncode != 0:
        raise RuntimeError(f"could not build slotwise's wheel:\n{result.stdout}\n{result.stderr}")
    (wheel,) = dest.glob("slotwise-*.whl")
    return wheel


def runtime_lock() -> str:
    """The tasks' lock, as committed (what scripts/package ships in every task folder)."""
    return (ROOT / RUNTIME / LOCK).read_text(encoding="utf-8")


def build_wheelhouse(lock: Path, dest: Path) -> None:
    """Wheels of everything in ``lock`` that this Python on this machine installs, from the indexes
    this machine's pip is configured with, each checked against the lock's hashes."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
         "--only-binary=:all:", "--no-deps", "--require-hashes", "-d", str(dest), "-r", str(lock)],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"pip download -r {lock.name} failed:\n{result.stdout}\n{result.stderr}")


STANDIN_AGENT = '''\
"""Stand-in for slotwise.agent in the shim's tests: does what STANDIN_MODE says, reports to STANDIN_REPORT.

exit:N      exit with code N
complete:R  say the result R as a task does (task.complete result=R), then exit 0
trap:K      record SIGINT/SIGTERM/SIGHUP; after the K-th, exit 128 + that signal's number
ignore      ignore SIGINT/SIGTERM/SIGHUP and sleep
STANDIN_STDIN=1: read stdin to its end first and report what it held (the agent closes it at once).
"""
import json
import os
import signal
import sys
import time

STARTED = time.time()
MODE = os.environ.get("STANDIN_MODE", "exit:0")
REPORT = os.environ.get("STANDIN_REPORT")
received = []
stdin = sys.stdin.read() if os.environ.get("STANDIN_STDIN") == "1" else None


def report(ready):
    if not REPORT:
        return
    data = {
        "argv": sys.argv, "cwd": os.getcwd(), "env": dict(os.environ), "executable": sys.executable,
        "prefix": sys.prefix, "version": list(sys.version_info[:3]), "started": STARTED,
        "signals": received, "ready": ready, "stdin": stdin,
    }
    with open(REPORT + ".tmp", "w", encoding="utf-8") as out:
        json.dump(data, out)
    os.replace(REPORT + ".tmp", REPORT)


print("stand-in slotwise.agent:", " ".join(sys.argv[1:2]), flush=True)
kind, _, arg = MODE.partition(":")
if kind == "exit":
    report(True)
    sys.exit(int(arg))
if kind == "complete":
    print(f"##vso[task.complete result={arg};]stand-in says {arg}", flush=True)
    report(True)
    sys.exit(0)
signals = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
if kind == "ignore":
    for sig in signals:
        signal.signal(sig, signal.SIG_IGN)
else:
    def on_signal(number, frame):
        received.append(signal.Signals(number).name)
        report(True)
        if len(received) >= int(arg):
            sys.exit(128 + number)
    for sig in signals:
        signal.signal(sig, on_signal)
report(True)
deadline = time.time() + 60
while time.time() < deadline:
    time.sleep(0.05)
sys.exit(99)
'''


def standin_wheel(dest: Path, agent_source: str = STANDIN_AGENT, requires: tuple[str, ...] = ()) -> Path:
    """A minimal ``slotwise`` wheel whose ``slotwise.agent`` is the stand-in above; its METADATA
    declares ``requires`` (none by default)."""
    modules = {
        "slotwise/__init__.py": b"",
        "slotwise/agent/__init__.py": b"",
        "slotwise/agent/__main__.py": agent_source.encode(),
    }
    return plain_wheel(dest, "slotwise", STANDIN_VERSION, modules, requires)


def plain_wheel(
    dest: Path, name: str, version: str, modules: Mapping[str, bytes], requires: tuple[str, ...] = ()
) -> Path:
    """A pure-Python wheel ``name``-``version`` holding ``modules`` (path in the wheel -> content)."""
    dest.mkdir(parents=True, exist_ok=True)
    info = f"{name.replace('-', '_')}-{version}.dist-info"
    files = {
        **modules,
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            + "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
        ).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    wheel = dest / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), data)
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel


def locked(wheel: Path) -> str:
    """A lock line pinning ``wheel`` (a plain wheel) with its hash."""
    name, version = wheel.name.split("-")[:2]
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return f"{name.replace('_', '-')}=={version} \\\n    --hash=sha256:{digest}\n"


# ---- staging and running ------------------------------------------------------------------------


def stage_task(
    task_dir: Path, wheel: Path, lock: str, name: str = TASK_NAME, task_json: Mapping[str, Any] | None = None
) -> Path:
    """A task folder as the packaged extension has it: shim.js, task.json (``task_json``, else a
    minimal one named ``name``), one wheel, requirements.lock and requirements-slotwise.txt (the
    wheel's sha256, as scripts/package writes it)."""
    task_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SHIM, task_dir / "shim.js")
    handler = {"target": "shim.js"}
    if task_json is None:
        task_json = {"id": "00000000-0000-4000-8000-000000000000", "name": name,
                     "execution": {"Node20_1": handler, "Node24": handler}}  # fmt: skip
    (task_dir / "task.json").write_text(json.dumps(task_json, indent=2))
    shutil.copy2(wheel, task_dir / wheel.name)
    (task_dir / LOCK).write_text(lock)
    (task_dir / WHEEL_REQUIREMENT).write_text(wheel_requirement(wheel))
    return task_dir


def fake_python(bin_dir: Path, name: str, version: str) -> Path:
    """An executable ``name`` that answers the shim's version check with ``version`` (e.g. an old Python)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / name
    script.write_text(f"#!/bin/sh\nprintf '{version}'\n")
    script.chmod(0o755)
    return script


def python_bin(bin_dir: Path) -> Path:
    """A PATH directory whose ``python3`` is the real base interpreter."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    link = bin_dir / "python3"
    if not link.exists():
        link.symlink_to(base_python())
    return bin_dir


@dataclass
class Agent:
    """What the agent gives a task process: directories and the base environment."""

    root: Path
    tools: Path
    work: Path
    wheelhouse: Path | None = None

    @classmethod
    def create(cls, root: Path, wheelhouse: Path | None = None, tools: Path | None = None) -> Agent:
        work = root / "_work"
        for sub in ("1/s", "_temp"):
            (work / sub).mkdir(parents=True, exist_ok=True)
        (root / "home").mkdir(parents=True, exist_ok=True)
        tools = tools or work / "_tool"
        tools.mkdir(parents=True, exist_ok=True)
        return cls(root=root, tools=tools, work=work, wheelhouse=wheelhouse)

    @property
    def cwd(self) -> Path:
        """System.DefaultWorkingDirectory: the agent's cwd for a Node task."""
        return self.work / "1" / "s"

    def env(self, path: str | None = None, **extra: str) -> dict[str, str]:
        env = {
            "PATH": path if path is not None else f"{python_bin(self.root / 'bin')}:/usr/bin:/bin",
            "HOME": str(self.root / "home"),
            "LANG": "C.UTF-8",
            "AGENT_TOOLSDIRECTORY": str(self.tools),
            "AGENT_TEMPDIRECTORY": str(self.work / "_temp"),
            "AGENT_WORKFOLDER": str(self.work),
            "AGENT_NAME": "local",
            "AGENT_OS": "Linux",
            "SYSTEM_DEFAULTWORKINGDIRECTORY": str(self.cwd),
            "SYSTEM_HOSTTYPE": "release",
            "SYSTEM_JOBID": "11111111-2222-3333-4444-555555555555",
            "TF_BUILD": "True",  # set by the agent's ProcessInvoker for every process it starts
            # pip: no configuration file of this machine, no index: only the wheelhouse
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INDEX": "1",
        }
        if self.wheelhouse is not None:
            env["PIP_FIND_LINKS"] = str(self.wheelhouse)
        env.update(extra)
        return env

    def venv_dir(self, version: str, python: tuple[int, int] | None = None) -> Path:
        major, minor = python or sys.version_info[:2]
        return self.tools / "slotwise" / version / f"{major}.{minor}"


def run_shim(
    task_dir: Path, env: Mapping[str, str], cwd: Path, timeout: float = 300, node: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``node "<taskDir>/shim.js"`` as the agent's Node handler runs it: stdin a pipe closed at once
    (``ProcessInvoker``), stdout and stderr read to the end."""
    node = node or NODE
    assert node is not None, NODE_MISSING
    return subprocess.run(
        [node, str(task_dir / "shim.js")],
        env=dict(env),
        cwd=cwd,
        input="",
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_shim(task_dir: Path, env: Mapping[str, str], cwd: Path) -> subprocess.Popen[str]:
    """The shim started in the background, its stdin closed at once as the agent does."""
    assert NODE is not None, NODE_MISSING
    with closed_stdin() as stdin:
        return subprocess.Popen(
            [NODE, str(task_dir / "shim.js")],
            env=dict(env),
            cwd=cwd,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@contextmanager
def closed_stdin() -> Iterator[int]:
    """The read end of a pipe whose write end is closed: the stdin the agent gives a task (EOF)."""
    read, write = os.pipe()
    os.close(write)
    try:
        yield read
    finally:
        os.close(read)


def wait_for_report(report: Path, timeout: float = 60) -> dict[str, object]:
    """The stand-in agent's report once it says it is ready (its signal handlers are installed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if report.exists():
            data: dict[str, object] = json.loads(report.read_text())
            if data.get("ready"):
                return data
        time.sleep(0.02)
    raise AssertionError(f"the stand-in agent did not report within {timeout} s")


def decode_vso(text: str) -> str:
    """A logging command's message as the agent shows it (its escaping undone)."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%AZP25", "%")


def shim_failure(stdout: str) -> str | None:
    """The shim's own error message (not the agent's), if it reported one: the error issue it
    writes just before ``task.complete result=Failed`` with "slotwise could not start"."""
    lines = stdout.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("##vso[task.complete result=Failed;]slotwise could not start") and index > 0:
            issue = lines[index - 1]
            prefix = "##vso[task.logissue type=error]"
            return decode_vso(issue[len(prefix) :]) if issue.startswith(prefix) else issue
    return None


def assert_reported_failure(result: subprocess.CompletedProcess[str]) -> None:
    """The shim reported a failure as a task-lib task does (docs/tasks-contract.md, "Exit code"): one
    ``task.complete result=Failed``, then exit code 0, which the agent's Node handler requires."""
    completes = [line for line in result.stdout.splitlines() if "##vso[task.complete" in line]
    assert len(completes) == 1, result.stdout + result.stderr
    assert completes[0].startswith("##vso[task.complete result=Failed;]"), result.stdout
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}{result.stderr}"
