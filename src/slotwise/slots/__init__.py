"""The slot operations: deploy, swap, rollback, smoke test, guard, status. One operation per module.

Operations take typed inputs and the clients they need (built by ``slotwise.factory``) and return
typed results; they report progress through a ``Reporter`` and never know whether a person (the
CLI) or a pipeline (the agent) runs them.
"""
