"""The Azure Pipelines face of slotwise: what runs when the agent runs one of the four tasks.

The agent has no Python handler: each task's Node shim finds Python and runs
``python -m slotwise.agent <command> <taskDir>`` with the agent's environment untouched. This package
reads that environment (``INPUT_*`` inputs: ``inputs``; ``ENDPOINT_*`` service connections:
``endpoints``), builds the clients through ``slotwise.factory``, calls one slot operation per task
(``task_deploy``, ``task_swap``, ``task_smoke``, ``task_guard``), and talks back in ``##vso[...]``
logging commands (``vso``, ``reporter``), with a markdown summary for release approvers
(``summary``). ``runtime`` is the frame around every task: secrets, errors, cancellation, the result.

Operations never import this package.
"""
