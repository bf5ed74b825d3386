"""The Node task shim (tasks/_shim/shim.js), run as the Azure Pipelines agent runs a Node task.

Each test stages a task folder (shim.js, task.json, a wheel, requirements.lock) and runs
``node <taskDir>/shim.js`` with an agent's environment and working directory. Bootstrap tests use
slotwise's real wheel and a local wheelhouse (pip gets no index); tests of what happens after the
bootstrap use a stand-in ``slotwise`` wheel whose ``slotwise.agent`` exits with a given code, dumps
its environment or traps signals, so they can tell exactly what the child received.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.tasks.shimkit import (
    AGENT_MAIN,
    MARKER,
    NODE,
    NODE_MISSING,
    STANDIN_AGENT,
    STANDIN_VERSION,
    TASK_COMMAND,
    Agent,
    assert_reported_failure,
    base_python,
    fake_python,
    locked,
    plain_wheel,
    run_shim,
    shim_failure,
    stage_task,
    standin_wheel,
    start_shim,
    tool_cache_arch,
    wait_for_report,
)

pytestmark = [
    pytest.mark.skipif(NODE is None, reason=NODE_MISSING),
    pytest.mark.skipif(sys.platform == "win32", reason="these tests drive POSIX signals and shell scripts"),
]


def wheel_version(wheel: Path) -> str:
    return wheel.name.split("-")[1]


def leftovers(venv_dir: Path) -> list[str]:
    """Anything beside the venv in its version folder: temporary venvs, locks, venvs moved aside."""
    parent = venv_dir.parent
    return sorted(p.name for p in parent.iterdir() if p.name != venv_dir.name) if parent.exists() else []


def assert_agent_ran(result: subprocess.CompletedProcess[str]) -> None:
    """The shim handed over to ``python -m slotwise.agent`` (the real one, or its absence)."""
    assert shim_failure(result.stdout) is None, result.stdout + result.stderr
    if AGENT_MAIN.exists():
        assert "No module named slotwise.agent" not in result.stderr, result.stderr
        assert "##vso[task.complete" in result.stdout, result.stdout + result.stderr
    else:  # the agent package is still being written: the venv's python says so, and its code arrives
        assert "No module named slotwise.agent" in result.stderr, result.stderr
        assert result.returncode == 1


# ---- bootstrap, with slotwise's real wheel from a local wheelhouse ---------------------------------


@dataclass
class Bootstrapped:
    agent: Agent
    task: Path
    wheel: Path
    venv: Path
    cold: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def bootstrapped(
    tmp_path_factory: pytest.TempPathFactory, slotwise_wheel: Path, lock_text: str, wheelhouse: Path
) -> Bootstrapped:
    """One cold bootstrap of the real wheel in an empty tools directory, offline."""
    root = tmp_path_factory.mktemp("agent")
    agent = Agent.create(root, wheelhouse=wheelhouse)
    task = stage_task(root / "tasks" / "smoke-test", slotwise_wheel, lock_text)
    cold = run_shim(task, agent.env(), agent.cwd)
    return Bootstrapped(agent, task, slotwise_wheel, agent.venv_dir(wheel_version(slotwise_wheel)), cold)


@pytest.fixture(name="b")
def _b(bootstrapped: Bootstrapped) -> Bootstrapped:
    return bootstrapped


def test_cold_bootstrap_from_a_wheelhouse_creates_the_venv_and_runs_the_agent(b: Bootstrapped) -> None:
    version = wheel_version(b.wheel)
    assert f"Setting up slotwise {version} with Python" in b.cold.stdout
    assert f"slotwise {version} is ready" in b.cold.stdout
    marker = json.loads((b.venv / MARKER).read_text())
    assert marker["slotwise"] == version
    assert marker["wheel_sha256"] == hashlib.sha256(b.wheel.read_bytes()).hexdigest()
    assert leftovers(b.venv) == []
    check = subprocess.run(
        [
            str(b.venv / "bin" / "python"),
            "-c",
            "import slotwise, azure.mgmt.web, azure.identity; print('ok')",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.stdout.strip() == "ok", check.stderr
    assert_agent_ran(b.cold)


def test_warm_run_uses_the_venv_without_pip(b: Bootstrapped) -> None:
    marker = b.venv / MARKER
    site_packages = next((b.venv / "lib").glob("python3.*/site-packages"))
    before = (marker.stat().st_mtime_ns, site_packages.stat().st_mtime_ns, sorted(os.listdir(site_packages)))
    warm = run_shim(b.task, b.agent.env(), b.agent.cwd)
    assert "Setting up" not in warm.stdout
    assert f"Using slotwise {wheel_version(b.wheel)} with Python" in warm.stdout
    after = (marker.stat().st_mtime_ns, site_packages.stat().st_mtime_ns, sorted(os.listdir(site_packages)))
    assert after == before
    assert_agent_ran(warm)


def test_two_jobs_bootstrapping_at_once_build_one_venv(
    tmp_path: Path, slotwise_wheel: Path, lock_text: str, wheelhouse: Path
) -> None:
    agent = Agent.create(tmp_path, wheelhouse=wheelhouse)
    tasks = [stage_task(tmp_path / f"job{n}" / "smoke-test", slotwise_wheel, lock_text) for n in (1, 2)]
    shims = [start_shim(task, agent.env(), agent.cwd) for task in tasks]
    outputs = [shim.communicate(timeout=300) for shim in shims]
    results = [
        subprocess.CompletedProcess(s.args, s.returncode, out, err)
        for s, (out, err) in zip(shims, outputs, strict=True)
    ]
    for result in results:
        assert_agent_ran(result)
    assert sum("Setting up slotwise" in r.stdout for r in results) == 1, [r.stdout for r in results]
    venv = agent.venv_dir(wheel_version(slotwise_wheel))
    assert (venv / MARKER).is_file()
    assert leftovers(venv) == []
    assert os.listdir(venv.parent) == [venv.name]


# ---- bootstrap failures --------------------------------------------------------------------------


def test_failed_bootstrap_says_why_leaves_no_marker_and_a_rerun_after_the_fix_works(
    tmp_path: Path, standin: Path
) -> None:
    agent = Agent.create(tmp_path)
    broken = tmp_path / "broken" / standin.name
    broken.parent.mkdir()
    broken.write_bytes(b"this is not a zip file")
    task = stage_task(tmp_path / "task", broken, "")
    failed = run_shim(task, agent.env(), agent.cwd)
    assert_reported_failure(failed)
    message = shim_failure(failed.stdout)
    assert message is not None, failed.stdout
    assert "pip install exited with code" in message
    assert "PIP_FIND_LINKS" in message  # how to point pip at a wheelhouse
    assert "pip install said:" in failed.stdout  # pip's own output is shown
    venv = agent.venv_dir(STANDIN_VERSION)
    assert not venv.exists()
    assert leftovers(venv) == []

    stage_task(tmp_path / "task", standin, "")  # the fix: a good wheel, packaged again
    fixed = run_shim(task, agent.env(), agent.cwd)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Setting up slotwise" in fixed.stdout
    assert (venv / MARKER).is_file()
    assert leftovers(venv) == []


def test_without_python_310_the_error_names_everything_tried(tmp_path: Path, standin: Path) -> None:
    agent = Agent.create(tmp_path)
    only_old = tmp_path / "oldbin"
    fake_python(only_old, "python3", "3.8.18")
    old_cache = agent.tools / "Python" / "3.9.18" / tool_cache_arch()
    fake_python(old_cache / "bin", "python3", "3.9.18")
    (old_cache.parent / f"{tool_cache_arch()}.complete").write_text("")
    task = stage_task(tmp_path / "task", standin, "")
    result = run_shim(task, agent.env(path=str(only_old)), agent.cwd)
    assert_reported_failure(result)
    message = shim_failure(result.stdout)
    assert message is not None, result.stdout
    assert "needs Python 3.10 or newer" in message
    assert (
        f"the tool cache {agent.tools / 'Python'}: no complete Python 3.10+ for {tool_cache_arch()}"
        in message
    )
    assert "python3 on PATH: is Python 3.8.18, too old" in message
    assert "not on PATH: python, python3.14" in message
    assert "UsePythonVersion@0" in message
    assert "pythonPath" in message
    assert not (agent.tools / "slotwise" / STANDIN_VERSION).exists()


@pytest.mark.parametrize("form", ["interpreter", "folder"])
def test_the_python_path_input_is_used(tmp_path: Path, standin: Path, form: str) -> None:
    """pythonPath wins over PATH (here only an old python3); it may name the interpreter or its
    folder (UsePythonVersion's $(pythonLocation))."""
    agent = Agent.create(tmp_path)
    only_old = tmp_path / "oldbin"
    fake_python(only_old, "python3", "3.8.18")
    python = base_python()
    setting = str(python) if form == "interpreter" else str(python.parent.parent)
    report = tmp_path / "report.json"
    task = stage_task(tmp_path / "task", standin, "")
    env = agent.env(path=str(only_old), INPUT_PYTHONPATH=setting, STANDIN_REPORT=str(report))
    result = run_shim(task, env, agent.cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    venv = agent.venv_dir(STANDIN_VERSION)
    cfg = dict(
        line.split(" = ", 1) for line in (venv / "pyvenv.cfg").read_text().splitlines() if " = " in line
    )
    assert Path(cfg["home"]).resolve() == python.parent
    assert json.loads(report.read_text())["prefix"] == str(venv)


def test_a_python_path_input_that_is_too_old_is_an_error_not_ignored(tmp_path: Path, standin: Path) -> None:
    agent = Agent.create(tmp_path)
    old = fake_python(tmp_path / "oldbin", "python3", "3.8.18")
    task = stage_task(tmp_path / "task", standin, "")
    result = run_shim(task, agent.env(INPUT_PYTHONPATH=str(old)), agent.cwd)  # a good python3 is on PATH
    assert_reported_failure(result)
    message = shim_failure(result.stdout)
    assert message is not None, result.stdout
    assert f"the task input pythonPath is set to {old}, which is Python 3.8.18, too old" in message


def test_the_hosted_tool_cache_is_searched_highest_complete_version_first(
    tmp_path: Path, standin: Path
) -> None:
    agent = Agent.create(tmp_path)
    arch = tool_cache_arch()
    python_dir = agent.tools / "Python"
    good = python_dir / "3.11.7" / arch
    (good / "bin").mkdir(parents=True)
    (good / "bin" / "python3").symlink_to(base_python())
    (python_dir / "3.11.7" / f"{arch}.complete").write_text("")
    # higher, but unfinished (no .complete marker): the tool cache's own rule says skip it
    fake_python(python_dir / "3.99.0" / arch / "bin", "python3", "3.99.0")
    only_old = tmp_path / "oldbin"
    fake_python(only_old, "python3", "3.8.18")
    report = tmp_path / "report.json"
    task = stage_task(tmp_path / "task", standin, "")
    result = run_shim(task, agent.env(path=str(only_old), STANDIN_REPORT=str(report)), agent.cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    cfg = (agent.venv_dir(STANDIN_VERSION) / "pyvenv.cfg").read_text()
    assert f"home = {good / 'bin'}" in cfg


def test_a_stale_lock_of_a_dead_job_is_broken(tmp_path: Path, standin: Path) -> None:
    agent = Agent.create(tmp_path)
    venv = agent.venv_dir(STANDIN_VERSION)
    dead = subprocess.Popen(["true"])  # a job that took the lock and died: its pid is free now
    dead.wait()
    lock = Path(f"{venv}.lock")
    lock.mkdir(parents=True)
    owner = {"pid": dead.pid, "host": socket.gethostname(), "started": int(time.time() * 1000)}
    (lock / "owner.json").write_text(json.dumps(owner))
    task = stage_task(tmp_path / "task", standin, "")
    result = run_shim(task, agent.env(), agent.cwd, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Removing a stale set-up lock (process {dead.pid} that took it has exited)" in result.stdout
    assert (venv / MARKER).is_file()
    assert leftovers(venv) == []


def test_a_venv_built_from_another_wheel_of_the_same_version_is_replaced(
    tmp_path: Path, standin: Path
) -> None:
    agent = Agent.create(tmp_path)
    first = run_shim(stage_task(tmp_path / "a", standin, ""), agent.env(), agent.cwd)
    assert first.returncode == 0, first.stdout + first.stderr
    rebuilt = standin_wheel(tmp_path / "rebuilt", STANDIN_AGENT + "\n# rebuilt\n")
    second = run_shim(stage_task(tmp_path / "b", rebuilt, ""), agent.env(), agent.cwd)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "it was built from a different slotwise wheel or lock file" in second.stdout
    venv = agent.venv_dir(STANDIN_VERSION)
    assert (
        "# rebuilt"
        in (next((venv / "lib").glob("python3.*/site-packages")) / "slotwise/agent/__main__.py").read_text()
    )
    assert leftovers(venv) == []


def test_an_unknown_task_name_is_reported(tmp_path: Path, standin: Path) -> None:
    agent = Agent.create(tmp_path)
    task = stage_task(tmp_path / "task", standin, "", name="SomethingElse")
    result = run_shim(task, agent.env(), agent.cwd)
    assert_reported_failure(result)
    message = shim_failure(result.stdout)
    assert message is not None
    assert 'Unknown slotwise task "SomethingElse"' in message
    assert "SlotwiseDeployToSlot" in message


def test_cancelled_while_setting_up_leaves_nothing_half_built(tmp_path: Path, standin: Path) -> None:
    agent = Agent.create(tmp_path)
    task = stage_task(tmp_path / "task", standin, "")
    shim = start_shim(task, agent.env(), agent.cwd)
    assert shim.stdout is not None
    line = shim.stdout.readline()  # "Setting up ...": python -m venv is running now
    assert "Setting up slotwise" in line
    shim.send_signal(signal.SIGINT)
    out, err = shim.communicate(timeout=60)
    assert shim.returncode == 128 + signal.SIGINT, line + out + err
    venv = agent.venv_dir(STANDIN_VERSION)
    assert not venv.exists()
    assert leftovers(venv) == []
    rerun = run_shim(task, agent.env(), agent.cwd)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr


# ---- a venv damaged after it was marked complete ---------------------------------------------------


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3.*/site-packages"))


DAMAGES = {
    "slotwise's package removed": lambda venv: shutil.rmtree(_site_packages(venv) / "slotwise"),
    "a dependency's package removed": lambda venv: shutil.rmtree(_site_packages(venv) / "standin_dep"),
    "the venv's python removed": lambda venv: (venv / "bin" / "python").unlink(),
}  # fmt: skip


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_venv_damaged_after_it_was_marked_complete_is_set_up_again(
    tmp_path: Path, standin: Path, damage: str
) -> None:
    dependency = plain_wheel(tmp_path / "wheelhouse", "standin-dep", "1.0", {"standin_dep/__init__.py": b""})
    agent = Agent.create(tmp_path, wheelhouse=dependency.parent)
    task = stage_task(tmp_path / "task", standin, locked(dependency))
    first = run_shim(task, agent.env(), agent.cwd)
    assert first.returncode == 0, first.stdout + first.stderr
    venv = agent.venv_dir(STANDIN_VERSION)
    DAMAGES[damage](venv)
    assert (venv / MARKER).is_file()  # still marked complete

    second = run_shim(task, agent.env(), agent.cwd)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Traceback" not in second.stdout + second.stderr
    assert "stand-in slotwise.agent: smoke-test" in second.stdout
    setting_up = next(line for line in second.stdout.splitlines() if "Setting up slotwise" in line)
    assert "it is damaged:" in setting_up
    assert leftovers(venv) == []
    third = run_shim(task, agent.env(), agent.cwd)
    assert "Setting up" not in third.stdout
    assert "stand-in slotwise.agent: smoke-test" in third.stdout


def test_a_venv_slotwise_cannot_be_imported_from_is_set_up_again_and_the_task_run_once(
    tmp_path: Path, standin: Path
) -> None:
    """Damage the marker's file list does not show (a module of the package broken): the first run's
    import fails before the task starts, so the shim sets the venv up again and runs the agent."""
    agent = Agent.create(tmp_path)
    task = stage_task(tmp_path / "task", standin, "")
    assert run_shim(task, agent.env(), agent.cwd).returncode == 0
    venv = agent.venv_dir(STANDIN_VERSION)
    (_site_packages(venv) / "slotwise" / "agent" / "__main__.py").write_text("import not_a_module_zz\n")

    rerun = run_shim(task, agent.env(), agent.cwd)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "slotwise cannot be imported from" in rerun.stdout
    assert "No module named 'not_a_module_zz'" in rerun.stdout  # why, in one line
    assert "Setting up slotwise" in rerun.stdout
    assert rerun.stdout.count("stand-in slotwise.agent: smoke-test") == 1  # the task ran once
    assert leftovers(venv) == []
    warm = run_shim(task, agent.env(), agent.cwd)
    assert "Setting up" not in warm.stdout
    assert "cannot be imported" not in warm.stdout


def test_an_agent_that_keeps_failing_to_import_is_set_up_again_only_once(tmp_path: Path) -> None:
    broken = standin_wheel(tmp_path / "wheel", "import not_a_module_zz\n")
    agent = Agent.create(tmp_path)
    task = stage_task(tmp_path / "task", broken, "")
    result = run_shim(task, agent.env(), agent.cwd)
    assert result.returncode == 1  # nothing said the result: the agent fails the task for the exit code
    assert "##vso[task.complete" not in result.stdout
    assert result.stdout.count("slotwise cannot be imported from") == 1
    assert result.stdout.count("Setting up slotwise") == 2  # the first set-up, and one again
    assert result.stderr.count("No module named 'not_a_module_zz'") == 2  # Python's own words, shown


def test_the_marker_lists_files_that_prove_the_venv_whole(tmp_path: Path, standin: Path) -> None:
    agent = Agent.create(tmp_path)
    task = stage_task(tmp_path / "task", standin, "")
    assert run_shim(task, agent.env(), agent.cwd).returncode == 0
    venv = agent.venv_dir(STANDIN_VERSION)
    verify = json.loads((venv / MARKER).read_text())["verify"]
    assert any(f.endswith("slotwise/__init__.py") or f.endswith("slotwise/agent/__init__.py") for f in verify)
    assert any(f.endswith("METADATA") and "/slotwise-" in f for f in verify)
    assert all((venv / f).is_file() for f in verify)


def test_jobs_bootstrapping_at_once_never_run_a_half_made_venv_and_the_losers_say_why(
    tmp_path: Path, standin: Path
) -> None:
    agent = Agent.create(tmp_path)
    tasks = [stage_task(tmp_path / f"job{n}" / "task", standin, "") for n in range(3)]
    reports = [tmp_path / f"report{n}.json" for n in range(3)]
    shims = [
        start_shim(t, agent.env(STANDIN_REPORT=str(r)), agent.cwd)
        for t, r in zip(tasks, reports, strict=True)
    ]
    outputs = [shim.communicate(timeout=300) for shim in shims]
    assert [shim.returncode for shim in shims] == [0, 0, 0], outputs
    venv = agent.venv_dir(STANDIN_VERSION)
    built = [out for out, _ in outputs if "Setting up slotwise" in out]
    assert len(built) == 1, outputs
    for out, _ in outputs:
        if out not in built:  # the loser waited for the builder, or found its venv finished: and says so
            assert "Waiting for another job (process" in out or "Using slotwise" in out, out
    finished = (venv / MARKER).stat().st_mtime
    for report in reports:  # every agent started from the finished venv, after its marker was written
        data = json.loads(report.read_text())
        assert Path(str(data["prefix"])) == venv
        assert float(str(data["started"])) >= finished - 0.01
    assert leftovers(venv) == []
    assert os.listdir(venv.parent) == [venv.name]


# ---- running the agent: environment, exit code, cancellation --------------------------------------


@pytest.fixture
def task(tmp_path: Path, standin: Path, standin_agent: Agent) -> Path:
    """A task folder with the stand-in wheel, whose venv the agent's tools directory already holds."""
    return stage_task(tmp_path / "task", standin, "")


SECRET = "s3cr3t-v@lue;with]odd%chars"


def test_the_environment_reaches_the_agent_untouched(
    tmp_path: Path, task: Path, standin_agent: Agent
) -> None:
    report = tmp_path / "report.json"
    endpoint = "7a1c9f3e-0000-4000-8000-0123456789ab"
    env = standin_agent.env(
        STANDIN_REPORT=str(report),
        INPUT_AZURESUBSCRIPTION=endpoint,
        INPUT_APPNAME="func-demo",
        INPUT_CHECKSINLINE="checks:\n  - path: /api/health\n    expect: 200 # 100% ok\n",
        INPUT_JUNITFILE="/tmp/with space/ünïcode.xml",
        INPUT_PYTHONPATH="",
        **{
            f"ENDPOINT_URL_{endpoint}": "https://management.azure.com/",
            f"ENDPOINT_AUTH_{endpoint}": json.dumps(
                {
                    "parameters": {"serviceprincipalid": "id", "serviceprincipalkey": SECRET},
                    "scheme": "ServicePrincipal",
                }
            ),
            f"ENDPOINT_AUTH_SCHEME_{endpoint}": "ServicePrincipal",
            f"ENDPOINT_AUTH_PARAMETER_{endpoint}_SERVICEPRINCIPALKEY": SECRET,
            f"ENDPOINT_DATA_{endpoint}_SUBSCRIPTIONID": "00000000-0000-0000-0000-000000000001",
            "SECRET_SLOTWISE_TOKEN": SECRET,
            "VSTS_SECRET_VARIABLES": '["slotwise.token"]',
        },
    )
    result = run_shim(task, env, standin_agent.cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(report.read_text())
    assert seen["env"] == env
    assert seen["argv"][1:] == [TASK_COMMAND, str(task)]
    assert seen["cwd"] == str(standin_agent.cwd)
    assert seen["prefix"] == str(standin_agent.venv_dir(STANDIN_VERSION))
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize("code", [0, 3, 1])
def test_the_agent_exit_code_is_the_task_exit_code(task: Path, standin_agent: Agent, code: int) -> None:
    result = run_shim(task, standin_agent.env(STANDIN_MODE=f"exit:{code}"), standin_agent.cwd)
    assert result.returncode == code, result.stdout + result.stderr
    assert f"stand-in slotwise.agent: {TASK_COMMAND}" in result.stdout


@pytest.fixture
def running(
    tmp_path: Path, task: Path, standin_agent: Agent, request: pytest.FixtureRequest
) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """The shim running the stand-in agent in the mode given by the test's parameter."""
    report = tmp_path / "report.json"
    env = standin_agent.env(STANDIN_MODE=request.param, STANDIN_REPORT=str(report))
    shim = start_shim(task, env, standin_agent.cwd)
    try:
        wait_for_report(report)
        yield shim, report
    finally:
        if shim.poll() is None:
            shim.kill()
            shim.communicate()


@pytest.mark.parametrize(
    ("running", "signals", "received"),
    [
        ("trap:1", [signal.SIGINT], ["SIGINT"]),
        ("trap:1", [signal.SIGTERM], ["SIGTERM"]),
        ("trap:1", [signal.SIGHUP], ["SIGHUP"]),
        # the agent's sequence: SIGINT, then (7.5 s later if still running) SIGTERM
        ("trap:2", [signal.SIGINT, signal.SIGTERM], ["SIGINT", "SIGTERM"]),
    ],
    indirect=["running"],
)
def test_cancellation_signals_are_forwarded_and_the_agent_exit_code_returned(
    running: tuple[subprocess.Popen[str], Path], signals: list[signal.Signals], received: list[str]
) -> None:
    shim, report = running
    for number, sig in enumerate(signals, start=1):
        shim.send_signal(sig)
        deadline = time.monotonic() + 10
        while len(json.loads(report.read_text())["signals"]) < number and time.monotonic() < deadline:
            time.sleep(0.02)
    out, err = shim.communicate(timeout=30)
    assert json.loads(report.read_text())["signals"] == received
    assert shim.returncode == 128 + signals[-1], out + err


@pytest.mark.parametrize("running", ["ignore"], indirect=True)
def test_an_agent_that_ignores_cancellation_is_killed_after_the_grace_period(
    running: tuple[subprocess.Popen[str], Path],
) -> None:
    shim, _ = running
    started = time.monotonic()
    shim.send_signal(signal.SIGINT)
    out, err = shim.communicate(timeout=30)
    assert shim.returncode == 128 + signal.SIGKILL, out + err
    assert time.monotonic() - started >= 9.5
    assert "did not stop within 10 s of SIGINT: killing it" in out
