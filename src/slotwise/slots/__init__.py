"""The slot operations: deploy, swap, rollback, smoke test, guard, status. One operation per module.

Operations take typed inputs and the clients they need (``slotwise.services``, built by the factory,
which they never import) and return typed results; they report progress through a ``Reporter``
(``slotwise.events``) and never know whether a person (the CLI) or a pipeline (the agent) runs them.
"""
