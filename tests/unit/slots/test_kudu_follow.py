"""Following a deployment Kudu accepted (``KuduClient.wait``) when its status URL fails for good: the
deployment is found in Kudu's deployment list (by id, or by the upload's stamp before any record named
it) and followed there; only when nothing can be read until the deadline is the outcome unknown.

A fake pipeline client answers by path (the last answer for a path repeats), as in
test_kudu_conflict.py; the same cases run against the emulator in the fault matrix."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import ServiceResponseError

from slotwise.azure.kudu import KuduClient
from slotwise.azure.kudu_follow import MAX_READ_PAUSE
from slotwise.cli.remedies import advice as told
from slotwise.errors import NotFoundError, OperationTimeout, OutcomeUnknown, RemoteError
from slotwise.events import RecordingReporter
from tests.fakes import FastClock
from tests.unit.slots.test_kudu_conflict import FakeResponse

HOST = "func-demo-staging.scm.azurewebsites.net"
LATEST = f"https://{HOST}/api/deployments/latest?deployer=slotwise&time=2026-01-01_10-00-00Z"
LIST = f"https://{HOST}/api/deployments"
STAMP = '{"slotwise":1,"buildNumber":"3","deployedAt":"2026-01-01T10:00:00+00:00"}'


def record(
    ident: str, *, message: str | None = STAMP, status: int = 4, complete: bool = True
) -> dict[str, Any]:
    return {"id": ident, "status": status, "complete": complete, "message": message}


def running(ident: str, message: str | None = STAMP) -> dict[str, Any]:
    return record(ident, message=message, status=1, complete=False)


Answer = FakeResponse | Exception


class PathKudu:
    """Answers each URL (without its query) from its own script; the last answer repeats."""

    def __init__(self, **scripts: list[Answer]) -> None:
        self.scripts = {f"https://{HOST}{path.replace('_', '/')}": list(s) for path, s in scripts.items()}
        self.asked: list[str] = []

    def on(self, url: str, *answers: Answer) -> PathKudu:
        self.scripts[url.split("?", 1)[0]] = list(answers)
        return self

    def send_request(self, request: Any, **options: Any) -> FakeResponse:
        url = request.url.split("?", 1)[0]
        self.asked.append(url)
        script = self.scripts.get(url) or [FakeResponse(404, {"Message": "not here"})]
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self) -> None:
        pass


def client(fake: PathKudu, clock: FastClock) -> KuduClient:
    return KuduClient(fake, clock, scm_host=HOST, target="func-demo/staging")  # type: ignore[arg-type]


def wait(fake: PathKudu, clock: FastClock, reporter: RecordingReporter | None = None, **kw: Any) -> Any:
    options: dict[str, Any] = {"timeout": 600, "poll_interval": 2.0, "stamp": STAMP, **kw}
    return client(fake, clock).wait(LATEST, reporter=reporter or RecordingReporter(), **options)


def dropped() -> ServiceResponseError:
    return ServiceResponseError("Connection aborted: RemoteDisconnected")


UNAVAILABLE = FakeResponse(503, {"Message": "unavailable"})


def test_a_status_that_fails_for_good_is_followed_in_the_records_by_the_stamp() -> None:
    fake = PathKudu().on(LATEST, UNAVAILABLE)
    fake.on(
        LIST,
        FakeResponse(200, [running("mine"), record("old", message="someone else's")]),
        FakeResponse(200, [record("mine"), record("old", message="someone else's")]),
    )
    reporter = RecordingReporter()

    found = wait(fake, FastClock(real_cap=0), reporter)

    assert (found.id, found.succeeded) == ("mine", True)
    assert fake.asked == [LATEST.split("?")[0], LIST, LIST]
    assert any("following it in Kudu's deployment records" in t for t in reporter.texts("warning"))
    assert "Kudu: Building" in reporter.texts("detail")


def test_once_a_record_named_it_the_records_are_searched_by_id() -> None:
    by_id = f"https://{HOST}/api/deployments/mine"
    fake = PathKudu().on(LATEST, FakeResponse(202, running("mine"))).on(by_id, dropped())
    fake.on(LIST, FakeResponse(200, [record("mine", message=None, status=3)]))  # no stamp: the id finds it

    found = wait(fake, FastClock(real_cap=0))

    assert (found.id, found.failed) == ("mine", True)  # a failed deployment is an outcome too
    assert fake.asked == [LATEST.split("?")[0], by_id, LIST]


def test_a_status_url_that_keeps_answering_404_falls_back_to_the_records() -> None:
    fake = PathKudu().on(LATEST, FakeResponse(404, {"Message": "Not found"}))
    fake.on(LIST, FakeResponse(200, [record("mine")]))

    found = wait(fake, FastClock(real_cap=0))

    assert found.id == "mine"
    assert fake.asked.count(LATEST.split("?")[0]) == 4  # tolerated three times first (Kudu may lag)


def test_records_that_do_not_show_it_after_404s_mean_kudu_lost_it() -> None:
    fake = PathKudu().on(LATEST, FakeResponse(404, {"Message": "Not found"}))
    fake.on(LIST, FakeResponse(200, [record("old", message="x")]))

    with pytest.raises(NotFoundError) as caught:
        wait(fake, FastClock(real_cap=0))

    assert caught.value.message == (
        f"Kudu of func-demo/staging no longer knows the deployment it accepted ({LATEST}), and Kudu's "
        "deployment records do not show it either."
    )


def test_an_unstamped_deployment_no_record_named_is_not_searched_for() -> None:
    fake = PathKudu().on(LATEST, UNAVAILABLE).on(LIST, FakeResponse(200, [record("mine", message=None)]))

    with pytest.raises(RemoteError, match="Azure refused reading the deployment status of func-demo/staging"):
        wait(fake, FastClock(real_cap=0), stamp=None)
    assert LIST not in fake.asked  # any deployment there could be taken for it


def test_records_that_do_not_show_it_mean_kudu_lost_it() -> None:
    fake = PathKudu().on(LATEST, UNAVAILABLE).on(LIST, FakeResponse(200, [record("old", message="x")]))

    with pytest.raises(NotFoundError) as caught:
        wait(fake, FastClock(real_cap=0))

    assert "no longer knows the deployment it accepted" in caught.value.message
    assert "unavailable" in caught.value.message  # why the status was not read


def test_when_nothing_can_be_read_until_the_deadline_the_outcome_is_unknown() -> None:
    clock = FastClock(real_cap=0)
    fake = PathKudu().on(LATEST, UNAVAILABLE).on(LIST, FakeResponse(401, {"Message": "token expired"}))

    with pytest.raises(OutcomeUnknown) as caught:
        wait(fake, clock, timeout=300)

    error = caught.value
    assert error.exit_code == 10
    assert error.message.startswith(
        "Kudu of func-demo/staging accepted the package, but the outcome of the deployment could not be "
        "found out"
    )
    assert "token expired" in error.message  # the last answer
    assert "slotwise slot status" in told(error)
    assert f"https://{HOST}/api/deployments" in told(error)  # Kudu's deployments page
    assert "deploy again" not in told(error).replace("deploying again blindly could deploy twice", "")
    assert max(clock.sleeps) == MAX_READ_PAUSE  # backed off while nothing answers
    assert 290 <= sum(clock.sleeps) <= 300
    assert fake.asked.count(LIST) < 20


def test_a_deployment_still_running_at_the_deadline_times_out() -> None:
    fake = PathKudu().on(LATEST, UNAVAILABLE).on(LIST, FakeResponse(200, [running("mine")]))

    with pytest.raises(OperationTimeout) as caught:
        wait(fake, FastClock(real_cap=0), timeout=30)

    assert "did not finish within 30 s (Kudu said: Building)" in caught.value.message
    assert f"https://{HOST}/api/deployments/mine" in told(caught.value)
