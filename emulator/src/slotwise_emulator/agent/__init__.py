"""The emulated Azure Pipelines agent: a stand-in for microsoft/azure-pipelines-agent that runs the Node
task folders of a deployment job the way the agent does (see emulator/README.md, "The emulated agent").

``commands`` parses ``##vso`` logging commands and masks secrets; ``environment`` maps inputs, variables
and endpoints to a task process's environment; ``task_process`` runs one task; ``job`` runs a job's
tasks in order; ``pool`` is the ``AgentPool`` the release service hands jobs to.

Must not: know HTTP, releases, or slotwise.
"""
