"""Which handler of a task.json an Azure Pipelines agent runs, and what that handler gives the process.

A model of microsoft/azure-pipelines-agent, for tests (the evidence is in docs/tasks-contract.md,
"Agent versions and handlers"):

- ``HANDLER_SINCE``: the first agent version that knows each Node handler key (the properties of
  ``ExecutionData`` in ``src/Agent.Worker/TaskManager.cs``), as Microsoft states it for task authors
  (azure-pipelines-tasks ``ci/check-node-executor-agent-version.js``, ``docs/migrateNode20.md``,
  ``docs/migrateNode24.md``). A key an agent does not know is ignored when it reads task.json.
- ``PRIORITY``: ``HandlerData.Priority``; ``TaskRunner.GetHandlerData`` runs the known handler with the
  lowest (no Node handler is "preferred on a platform").
- ``AGENT_VARIABLES``: the agent and system variables the shim reads and where agent 3.232.1 sets
  them; the Node handler passes every job variable as an environment variable (``.`` and space turned
  into ``_``, upper-cased: ``Handler.AddVariablesToEnvironment``).

Pure data and functions: no process, no file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HANDLER_SINCE = {"Node10": "2.144.0", "Node16": "2.209.0", "Node20_1": "3.232.1", "Node24": "4.265.1"}
PRIORITY = {"Node24": 101, "Node20_1": 102, "Node16": 103, "Node10": 104, "Node": 105}

# The agent variables the shim reads, each set for every job by agent 3.232.1 (file in that tag).
AGENT_VARIABLES = {
    "agent.ToolsDirectory": "src/Agent.Worker/JobRunner.cs (jobContext.SetVariable)",
    "agent.TempDirectory": "src/Agent.Worker/TempDirectoryManager.cs (InitializeTempDirectory)",
    "system.debug": "a pipeline variable, passed on like any other (Constants.Variables.System.Debug)",
}


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def known_handlers(agent_version: str) -> set[str]:
    """The Node handler keys an agent of ``agent_version`` reads from task.json."""
    return {key for key, since in HANDLER_SINCE.items() if version(since) <= version(agent_version)}


def handler_for(task: Mapping[str, Any], agent_version: str) -> str | None:
    """The ``execution`` key an agent of ``agent_version`` runs the task with; None when it knows none
    of them ("A supported task execution handler was not found")."""
    usable = set(task.get("execution", {})) & known_handlers(agent_version)
    return min(usable, key=PRIORITY.__getitem__) if usable else None


def first_agent_running(task: Mapping[str, Any]) -> str:
    """The lowest agent version that finds a handler it knows in the task's ``execution``."""
    return min((HANDLER_SINCE[key] for key in task.get("execution", {}) if key in HANDLER_SINCE), key=version)


def env_name(variable: str) -> str:
    """A variable as the Node handler puts it in the environment."""
    return variable.replace(".", "_").replace(" ", "_").upper()
