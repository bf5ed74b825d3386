"""Which build is being deployed, and by whom: ``BuildInfo`` from the CI system's environment.

Owns reading the predefined variables of Azure Pipelines (builds and classic releases) and GitHub
Actions, falling back to the local user, with explicit values (command-line options, task inputs)
winning over all of them. It takes the environment as a ``Mapping`` (the faces pass what the factory
read) and the time as a value: it never reads ``os.environ`` or the clock itself, and does no IO.

Azure Pipelines (``TF_BUILD=True``): ``BUILD_BUILDID``, ``BUILD_BUILDNUMBER``, ``BUILD_SOURCEVERSION``,
``RELEASE_RELEASENAME``, ``RELEASE_DEPLOYMENT_REQUESTEDFOR`` / ``RELEASE_REQUESTEDFOR`` /
``BUILD_REQUESTEDFOR``, ``RELEASE_DEFINITIONNAME`` / ``BUILD_DEFINITIONNAME``. In a classic release
the ``BUILD_*`` variables describe the primary artifact's build. GitHub Actions
(``GITHUB_ACTIONS=true``): ``GITHUB_RUN_ID``, ``GITHUB_RUN_NUMBER`` (and ``GITHUB_RUN_ATTEMPT``),
``GITHUB_SHA``, ``GITHUB_TRIGGERING_ACTOR`` / ``GITHUB_ACTOR``, ``GITHUB_WORKFLOW``. Elsewhere:
``USER`` / ``USERNAME`` / ``LOGNAME``.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Mapping
from datetime import datetime

from slotwise.builds import BuildInfo

MAX_FIELD = 200  # the stamp travels in a URL query and in Kudu's record: keep each field short
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def build_info(env: Mapping[str, str], *, now: datetime, overrides: BuildInfo | None = None) -> BuildInfo:
    """The build to stamp on a deployment made ``now``, from ``env`` and ``overrides`` (values given
    explicitly, e.g. ``--build-id``: they win over anything the environment says)."""
    found = from_environment(env)
    given = overrides or BuildInfo()
    return BuildInfo(
        build_id=_clean(given.build_id) or found.build_id,
        build_number=_clean(given.build_number) or found.build_number,
        release=_clean(given.release) or found.release,
        commit=_clean(given.commit) or found.commit,
        requested_by=_clean(given.requested_by) or found.requested_by,
        pipeline=_clean(given.pipeline) or found.pipeline,
        deployed_at=now,
    )


def from_environment(env: Mapping[str, str]) -> BuildInfo:
    """What the CI system (or the local shell) says about the build; no time."""
    if (_get(env, "TF_BUILD") or "").lower() == "true" or _get(env, "BUILD_BUILDID"):
        return _azure_pipelines(env)
    if (_get(env, "GITHUB_ACTIONS") or "").lower() == "true":
        return _github_actions(env)
    return BuildInfo(requested_by=_get(env, "USER", "USERNAME", "LOGNAME") or _local_user())


def _local_user() -> str | None:
    """The account running slotwise, when the shell does not say (e.g. in a container)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _azure_pipelines(env: Mapping[str, str]) -> BuildInfo:
    return BuildInfo(
        build_id=_get(env, "BUILD_BUILDID"),
        build_number=_get(env, "BUILD_BUILDNUMBER"),
        release=_get(env, "RELEASE_RELEASENAME"),
        commit=_get(env, "BUILD_SOURCEVERSION"),
        requested_by=_get(
            env, "RELEASE_DEPLOYMENT_REQUESTEDFOR", "RELEASE_REQUESTEDFOR", "BUILD_REQUESTEDFOR"
        ),
        pipeline=_get(env, "RELEASE_DEFINITIONNAME", "BUILD_DEFINITIONNAME"),
    )


def _github_actions(env: Mapping[str, str]) -> BuildInfo:
    number = _get(env, "GITHUB_RUN_NUMBER")
    attempt = _get(env, "GITHUB_RUN_ATTEMPT")
    if number and attempt and attempt != "1":
        number = f"{number}.{attempt}"
    return BuildInfo(
        build_id=_get(env, "GITHUB_RUN_ID"),
        build_number=number,
        commit=_get(env, "GITHUB_SHA"),
        requested_by=_get(env, "GITHUB_TRIGGERING_ACTOR", "GITHUB_ACTOR"),
        pipeline=_get(env, "GITHUB_WORKFLOW"),
    )


def _get(env: Mapping[str, str], *names: str) -> str | None:
    """The first of ``names`` set to something (cleaned), or None."""
    for name in names:
        value = _clean(env.get(name))
        if value:
            return value
    return None


def _clean(value: str | None) -> str | None:
    """One line, no control characters, at most ``MAX_FIELD`` characters; None if nothing is left.
    Unexpanded Azure Pipelines macros (``$(Build.BuildId)`` outside a pipeline) count as nothing."""
    if value is None:
        return None
    text = _CONTROL.sub(" ", value).strip()
    if not text or re.fullmatch(r"\$\([\w.]+\)", text):
        return None
    return text[:MAX_FIELD]
