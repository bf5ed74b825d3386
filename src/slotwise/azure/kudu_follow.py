"""Following a deployment Kudu accepted to its end: the status URL is an optimisation, the records are
the truth.

Owns ``follow`` (what ``KuduClient.wait`` does): once Kudu has taken an upload, its outcome is found
out, never guessed. The status URL Kudu handed back (``Location``, then ``/api/deployments/<id>``) is
polled while it answers; when it fails (an error status after azure-core's retries, a dropped
connection, a status URL that keeps answering 404) the deployment is looked up in Kudu's deployment
list (``/api/deployments``), by its id once a record named it, else by the upload's stamp (Kudu's
``message``), and followed there until it is complete or the deadline. Only when the records cannot
be read either until the deadline is the outcome unknown (``OutcomeUnknown``), said as such with what
to look at; a list that can be read but no longer shows the deployment is ``NotFoundError`` (a swap
may have moved the slot's content: the caller says where it went).

Must not: upload, decide anything about holds, or sleep other than through the client's clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slotwise.azure.kudu_records import KuduDeployment
from slotwise.errors import Action, NotFoundError, OperationTimeout, OutcomeUnknown, Remedy, SlotwiseError
from slotwise.events import Reporter

if TYPE_CHECKING:
    from slotwise.azure.kudu import KuduClient

MAX_MISSING_POLLS = 3  # a deployment Kudu does not show (yet), tolerated this many reads in a row
MAX_READ_PAUSE = 30.0  # seconds between reads of the records while they cannot be read
_BY_ID = re.compile(r"/api/deployments/(?P<id>[A-Za-z0-9._-]+)/?$")
_LATEST = "latest"


@dataclass
class _Progress:
    """What was last said about the deployment, so only changes are reported."""

    reporter: Reporter
    seen: tuple[int, str] | None = None

    def saw(self, record: KuduDeployment) -> None:
        if self.seen is None or self.seen[0] != record.status:
            self.reporter.detail(f"Kudu: {record.status_name}" + _suffix(record.status_text))
        elif record.progress and record.progress != self.seen[1]:
            self.reporter.detail(f"Kudu: {record.progress}")
        self.seen = (record.status, record.progress)


@dataclass
class _Followed:
    """The deployment being followed: its id once known, the upload's stamp, its last record."""

    ident: str | None
    stamp: str | None
    record: KuduDeployment | None = None

    def knows(self, record: KuduDeployment) -> None:
        self.ident, self.record = record.id, record

    def find(self, records: list[KuduDeployment]) -> KuduDeployment | None:
        """This deployment among ``records`` (newest first): by id, else the newest with the stamp."""
        if self.ident is not None:
            return next((r for r in records if r.id == self.ident), None)
        if self.stamp:
            return next((r for r in records if r.message == self.stamp), None)
        return None


def follow(
    kudu: KuduClient,
    location: str,
    *,
    timeout: float,
    poll_interval: float,
    reporter: Reporter,
    stamp: str | None = None,
) -> KuduDeployment:
    """The record of the deployment at ``location`` once it is complete (successful or not).

    ``OperationTimeout`` if it still runs after ``timeout`` seconds; ``OutcomeUnknown`` if neither its
    status nor Kudu's records could be read until then; ``NotFoundError`` if Kudu's records no longer
    show it."""
    clock = kudu.clock
    deadline = clock.monotonic() + timeout
    url = kudu.on_scm_host(location)
    found = _BY_ID.search(url.split("?", 1)[0])
    followed = _Followed(found["id"] if found and found["id"] != _LATEST else None, stamp)
    progress = _Progress(reporter)
    missing = 0
    while True:
        try:
            record = kudu.status(url)
        except SlotwiseError as error:
            failure: SlotwiseError = error
            break
        if record is None:
            missing += 1
            if missing > MAX_MISSING_POLLS:
                failure = NotFoundError(
                    f"Kudu of {kudu.target} no longer knows the deployment it accepted ({url}).",
                    hint="Check what the slot runs, then deploy again.",
                    remedies=(Remedy(Action.LOOK_AT_SLOTS),),
                )
                break
        else:
            missing = 0
            followed.knows(record)
            if record.complete:
                return record
            url = kudu.deployment_url(record.id)
            progress.saw(record)
        left = deadline - clock.monotonic()
        if left <= 0:
            raise _timed_out(kudu, url, timeout, followed.record)
        clock.sleep(min(poll_interval, left))
    if followed.ident is None and not followed.stamp:
        raise failure  # nothing to find it by in Kudu's records (an unstamped upload, no record yet)
    reporter.warning(
        f"the status of the deployment to {kudu.target} could not be read ({failure.message}); following it "
        "in Kudu's deployment records"
    )
    return _in_records(kudu, followed, progress, deadline, poll_interval, timeout, failure)


def _in_records(
    kudu: KuduClient,
    followed: _Followed,
    progress: _Progress,
    deadline: float,
    poll_interval: float,
    timeout: float,
    failure: SlotwiseError,
) -> KuduDeployment:
    """Follow the deployment in Kudu's deployment list until it is complete or the deadline."""
    clock = kudu.clock
    pause, missing = poll_interval, 0
    while True:
        read_error: SlotwiseError | None = None
        try:
            mine = followed.find(kudu.deployments())
        except SlotwiseError as error:
            read_error, mine = error, None
        if mine is not None:
            missing = 0
            followed.knows(mine)
            if mine.complete:
                return mine
            progress.saw(mine)
        elif read_error is None:
            missing += 1
            if missing > MAX_MISSING_POLLS:
                raise _lost(kudu, failure)
        left = deadline - clock.monotonic()
        if left <= 0:
            if read_error is not None:
                raise _unknown(kudu, timeout, read_error)
            raise _timed_out(kudu, _record_url(kudu, followed), timeout, followed.record)
        if read_error is None:
            pause = poll_interval
        clock.sleep(min(pause, left))
        if read_error is not None:
            pause = min(pause * 2, MAX_READ_PAUSE)  # back off while the records cannot be read


def _record_url(kudu: KuduClient, followed: _Followed) -> str:
    return kudu.deployment_url(followed.ident) if followed.ident else f"{kudu.base_url}/api/deployments"


def _suffix(text: str) -> str:
    return f" ({text})" if text else ""


def _lost(kudu: KuduClient, failure: SlotwiseError) -> NotFoundError:
    said = (
        f"{failure.message.rstrip('.')}, and"
        if isinstance(failure, NotFoundError)
        else f"Kudu of {kudu.target} no longer knows the deployment it accepted: its status could not be "
        f"read ({failure.message.rstrip('.')}) and"
    )
    return NotFoundError(
        f"{said} Kudu's deployment records do not show it either.",
        hint="Check what the slot runs, then deploy again.",
        remedies=(Remedy(Action.LOOK_AT_SLOTS),),
    )


def _unknown(kudu: KuduClient, timeout: float, error: SlotwiseError) -> OutcomeUnknown:
    return OutcomeUnknown(
        f"Kudu of {kudu.target} accepted the package, but the outcome of the deployment could not be found "
        f"out: neither its status nor Kudu's deployment records could be read within {timeout:g} s (last "
        f"answer: {error.message}). It may have succeeded, may still run, or may have failed.",
        hint=f"Look at what the slot runs and at Kudu's deployments page ({kudu.base_url}/api/deployments) "
        "before doing anything else; deploying again blindly could deploy twice.",
        remedies=(Remedy(Action.LOOK_AT_SLOTS),),
    )


def _timed_out(kudu: KuduClient, url: str, timeout: float, record: KuduDeployment | None) -> OperationTimeout:
    state = f" (Kudu said: {record.status_name}{_suffix(record.status_text)})" if record else ""
    return OperationTimeout(
        f"The deployment to {kudu.target} did not finish within {timeout:g} s{state}. It may still finish: "
        "Kudu goes on without slotwise.",
        hint=f"Check how it ended (GET {url} is Kudu's status record); if it failed, deploy again with "
        "more time.",
        remedies=(Remedy(Action.LOOK_AT_SLOTS), Remedy(Action.RAISE_TIMEOUT)),
    )
