"""slotwise_build: the Python half of ``scripts/package`` (and ``scripts/lock``). A build tool of this
checkout, never shipped in the wheel: run as ``PYTHONPATH=scripts python -m slotwise_build ...``.

- ``project``: the version, kept in one place (``pyproject.toml``), as the extension and its tasks want it;
- ``checks``: what tfx only warns about, in each task.json and the manifest, and what a built .vsix holds;
- ``runtime``: the tasks' committed lock (``tasks/_runtime/requirements.lock``) and the wheel's pinned,
  hashed requirement line shipped beside it;
- ``stage``: the tree ``tfx extension create`` packages;
- ``wheelhouse``: offline wheelhouses for agents without package access.

Must not: import slotwise (it builds it), talk to Azure or Azure DevOps, or run npm (the script does).
Standard library only.
"""

from __future__ import annotations


class BuildError(Exception):
    """The extension (or a wheelhouse) cannot be built: the message says every problem found."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
