"""The task runtime's bootstrap, before and after issue 8's lean lock, with the same pip.

- cold: the first task on a fresh agent (hosted agents start fresh every job): an empty tools
  directory, pip's cache off (``PIP_NO_CACHE_DIR``), packages from a package index. The index is a
  local PEP 503 index served over HTTP on loopback (``http.server`` over a folder of the downloaded
  wheels), standing in for PyPI: both runs see the same index, holding the union of what both need.
- warm: the venv exists, the shim's fast path (a few file reads, no pip) to the agent's exit.

BEFORE: the shim of commit cccac27 (``pip install -r requirements.lock <wheel>``, resolving) with that
commit's lock (tests/benchmarks/fixtures/requirements-before.lock: every runtime dependency of the wheel,
33 pins, as slotwise.packaging wrote it). AFTER: this checkout's shim with tasks/_runtime/requirements.lock
(``--require-hashes --no-deps --no-compile``, the pip wheel Python bundles run into a venv made without
pip, then the tasks' modules imported, which compiles them). Same slotwise wheel, same base Python, so
the same pip (the one its ensurepip holds). Goal: the cold bootstrap at least 30% faster. Prints
medians and the ratio.
"""

from __future__ import annotations

import hashlib
import html
import http.server
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

from tests.tasks.shimkit import (
    NODE,
    NODE_MISSING,
    ROOT,
    Agent,
    build_wheel,
    run_shim,
    runtime_lock,
    stage_task,
)

pytestmark = pytest.mark.skipif(NODE is None, reason=NODE_MISSING)

BEFORE_COMMIT = "cccac27"
BEFORE_LOCK = Path(__file__).parent / "fixtures" / "requirements-before.lock"
COLD_RUNS = 5
WARM_RUNS = 10
GOAL = 0.30


@dataclass
class Side:
    name: str
    shim: str
    lock: str


@dataclass
class Setup:
    wheel: Path
    index_url: str
    before: Side
    after: Side


def _pip(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", *args],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot download the packages (no package index?): {result.stderr[-2000:]}")


def _write_index(files: Path, simple: Path) -> None:
    """PEP 503: /simple/<project>/ lists that project's files with their sha256."""
    projects: dict[str, list[Path]] = {}
    for path in files.iterdir():
        name = (
            parse_wheel_filename(path.name)[0]
            if path.suffix == ".whl"
            else parse_sdist_filename(path.name)[0]
        )
        projects.setdefault(str(canonicalize_name(name)), []).append(path)
    links = [f'<a href="{p}/">{p}</a>' for p in sorted(projects)]
    (simple / "index.html").parent.mkdir(parents=True, exist_ok=True)
    (simple / "index.html").write_text("<!DOCTYPE html><html><body>" + "".join(links) + "</body></html>")
    for project, paths in projects.items():
        anchors = [
            f'<a href="../../files/{html.escape(p.name)}#sha256={_sha256(p)}">{html.escape(p.name)}</a>'
            for p in sorted(paths)
        ]
        (simple / project).mkdir(parents=True, exist_ok=True)
        (simple / project / "index.html").write_text(
            "<!DOCTYPE html><html><body>" + "".join(anchors) + "</body></html>"
        )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("bootstrap-bench")
    old_shim = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{BEFORE_COMMIT}:tasks/_shim/shim.js"],
        capture_output=True,
        text=True,
        check=False,
    )
    if old_shim.returncode != 0:
        pytest.skip(f"the shim of {BEFORE_COMMIT} is not in this clone's history: {old_shim.stderr.strip()}")
    try:
        wheel = build_wheel(root / "wheel")
    except RuntimeError as err:
        pytest.skip(f"cannot build slotwise's wheel here: {err}")
    after_lock = root / "after.lock"
    after_lock.write_text(runtime_lock())
    files = root / "index" / "files"
    # what BEFORE's pip resolves (its lock and the wheel's requirements), and AFTER's lock, hashed
    _pip("download", "--only-binary=:all:", "-d", str(files), "-r", str(BEFORE_LOCK), str(wheel))
    _pip(
        "download",
        "--only-binary=:all:",
        "--no-deps",
        "--require-hashes",
        "-d",
        str(files),
        "-r",
        str(after_lock),
    )
    for path in files.glob("slotwise-*.whl"):
        path.unlink()  # the task folder brings the wheel; the index stands in for PyPI
    _write_index(files, root / "index" / "simple")
    handler = partial(_Quiet, directory=str(root / "index"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Setup(
            wheel=wheel,
            index_url=f"http://127.0.0.1:{server.server_address[1]}/simple/",
            before=Side("before", old_shim.stdout, BEFORE_LOCK.read_text()),
            after=Side("after", (ROOT / "tasks" / "_shim" / "shim.js").read_text(), runtime_lock()),
        )
    finally:
        server.shutdown()
        thread.join()


def _stage(setup: Setup, side: Side, where: Path) -> tuple[Agent, Path, dict[str, str]]:
    agent = Agent.create(where)
    task = stage_task(where / "tasks" / "smoke-test", setup.wheel, side.lock)
    (task / "shim.js").write_text(side.shim)
    env = agent.env(PIP_INDEX_URL=setup.index_url, PIP_NO_CACHE_DIR="1")
    del env["PIP_NO_INDEX"]
    return agent, task, env


def _cold(setup: Setup, side: Side, where: Path) -> tuple[float, float, Agent, Path, dict[str, str]]:
    agent, task, env = _stage(setup, side, where)
    started = time.perf_counter()
    result = run_shim(task, env, agent.cwd, timeout=900)
    wall = time.perf_counter() - started
    ready = re.search(r"is ready \(([\d.]+) s\)", result.stdout)
    assert ready, f"{side.name}: {result.stdout}{result.stderr}"
    return wall, float(ready.group(1)), agent, task, env


def _installed(agent: Agent, version: str) -> int:
    site = next((agent.venv_dir(version) / "lib").glob("python3.*/site-packages"))
    return len(list(site.glob("*.dist-info")))


def test_cold_bootstrap_and_warm_start_before_and_after(tmp_path: Path, setup: Setup) -> None:
    version = setup.wheel.name.split("-")[1]
    walls: dict[str, list[float]] = {"before": [], "after": []}
    setups: dict[str, list[float]] = {"before": [], "after": []}
    warm_on: dict[str, tuple[Agent, Path, dict[str, str]]] = {}
    counts: dict[str, int] = {}
    for run in range(COLD_RUNS):
        for side in (setup.before, setup.after) if run % 2 == 0 else (setup.after, setup.before):
            wall, reported, agent, task, env = _cold(setup, side, tmp_path / f"{side.name}{run}")
            walls[side.name].append(wall)
            setups[side.name].append(reported)
            warm_on[side.name] = (agent, task, env)
            counts[side.name] = _installed(agent, version)
    warm: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(WARM_RUNS):
        for name, (agent, task, env) in warm_on.items():
            started = time.perf_counter()
            run_shim(task, env, agent.cwd)
            warm[name].append(time.perf_counter() - started)

    cold_b, cold_a = statistics.median(walls["before"]), statistics.median(walls["after"])
    warm_b, warm_a = statistics.median(warm["before"]), statistics.median(warm["after"])
    python = ".".join(map(str, sys.version_info[:3]))
    lines = [
        f"\n[bootstrap] Python {python}, same pip; a local PEP 503 index on loopback, no pip cache, "
        "a fresh tools directory",
        f"[bootstrap] cold BEFORE ({counts['before']} distributions installed)  median {cold_b:.2f} s  "
        f"(set-up as reported {statistics.median(setups['before']):.2f} s; runs "
        + ", ".join(f"{w:.2f}" for w in walls["before"])
        + ")",
        f"[bootstrap] cold AFTER  ({counts['after']} distributions installed)  median {cold_a:.2f} s  "
        f"(set-up as reported {statistics.median(setups['after']):.2f} s; runs "
        + ", ".join(f"{w:.2f}" for w in walls["after"])
        + ")",
        f"[bootstrap] cold ratio AFTER / BEFORE {cold_a / cold_b:.2f}: "
        f"{100 * (1 - cold_a / cold_b):.0f}% faster (goal >= {100 * GOAL:.0f}%)",
        f"[bootstrap] warm BEFORE median {warm_b:.3f} s, AFTER median {warm_a:.3f} s, "
        f"ratio {warm_a / warm_b:.2f}",
    ]
    print("\n".join(lines))
    assert counts["after"] < counts["before"]
