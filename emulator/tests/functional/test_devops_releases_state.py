"""Releases at run time across an emulator restart (``state_dir``): a job waiting in the manual pool
is still there and still moves its release; a state saved before releases existed loads and runs them."""

from __future__ import annotations

import pickle
from pathlib import Path

from slotwise_emulator import Emulator, Speed
from slotwise_emulator.core import STATE_FILE, STATE_VERSION
from tests.functional.test_devops_releases_client import ORG, PROJECT, Org, setup


def test_a_waiting_job_survives_a_restart(tmp_path: Path) -> None:
    with Emulator(state_dir=tmp_path, speed=Speed.instant(), seed=True) as first:
        _, definition_id = setup(Org(first, "", ""))
        first.complete_build(ORG, PROJECT, "app-CI")
        made = first.create_release(ORG, PROJECT, definition_id)
    with Emulator(state_dir=tmp_path, speed=Speed.instant()) as second:
        (job,) = second.pending_jobs()
        assert job["releaseId"] == made["id"]
        second.complete_job(job["jobId"])
        (release,) = second.releases(ORG, PROJECT)
        assert [s["status"] for s in release["stages"]] == ["succeeded", "inProgress"]


def test_a_state_saved_before_releases_existed_loads_and_runs_them(tmp_path: Path) -> None:
    with Emulator(state_dir=tmp_path, speed=Speed.instant(), seed=True) as first:
        _, definition_id = setup(Org(first, "", ""), trigger_branch="main")
    path = tmp_path / STATE_FILE
    version, backends = pickle.loads(path.read_bytes())  # noqa: S301 - the test's own file
    assert version == STATE_VERSION
    del backends.releases
    del backends.devops.directory.build_observers
    path.write_bytes(pickle.dumps((version, backends)))
    with Emulator(state_dir=tmp_path, speed=Speed.instant()) as second:
        second.complete_build(ORG, PROJECT, "app-CI")
        (release,) = second.releases(ORG, PROJECT)
        assert (release["definitionId"], release["reason"]) == (definition_id, "continuousIntegration")
