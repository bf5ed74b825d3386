"""Slot swaps as long-running operations: accept, apply when due, answer polls; swap with preview.

Owns when a swap happens: ``start_swap`` applies phase one at once (the source gets the target's
sticky settings) and records a ``SwapOperation`` due ``speed.swap_seconds`` later on the injected
clock; ``tick`` applies every due swap (or fails it, when ``fail_next_swap`` armed it, reverting
phase one); ``swap_result`` is what ``operationresults`` polls see. Also ``applySlotConfig`` /
``resetSlotConfig`` and ``slotsdiffs``. The rules of what moves are in ``web_swap_rules.py``.
"""

from __future__ import annotations

import uuid

from slotwise_emulator.backends import web_swap_rules as rules
from slotwise_emulator.backends.model import Site, Slot
from slotwise_emulator.backends.web_base import WebBase
from slotwise_emulator.backends.web_swap_rules import SlotDifference, SwapOperation
from slotwise_emulator.errors import ServiceError, arm_not_found, bad_request


class WebSwapMixin(WebBase):
    """Swaps, swap with preview and slot differences."""

    def _pair(
        self, subscription: str, resource_group: str, name: str, slot: str, target_slot: str
    ) -> tuple[Site, Slot, Slot]:
        site, source = self._locate(subscription, resource_group, name, slot)
        if not target_slot:
            raise bad_request("The targetSlot property is required.", code="InvalidRequestContent")
        target = site.slots.get(target_slot.lower())
        if target is None:
            raise arm_not_found("Microsoft.Web/sites/slots", f"{site.name}/{target_slot}", resource_group)
        if target is source:
            raise ServiceError(
                400,
                "BadRequest",
                "The source and target slots of a swap must be different.",
                shape="appservice",
            )
        return site, source, target

    def start_swap(
        self, subscription: str, resource_group: str, name: str, slot: str, target_slot: str
    ) -> SwapOperation:
        """Accept a swap of ``slot`` into ``target_slot``; it is applied ``speed.swap_seconds`` later."""
        site, source, target = self._pair(subscription, resource_group, name, slot, target_slot)
        rules.check_pair_free(site, source, target)
        now = self._clock.now()
        from_preview = rules.is_prepared_pair(source, target)
        if not from_preview:
            rules.prepare(site, source, target, now)
        op = SwapOperation(
            id=str(uuid.uuid4()),
            subscription=site.subscription,
            resource_group=site.resource_group,
            site=site.name,
            source=source.name.lower(),
            target=target.name.lower(),
            accepted=now,
            due=now + max(0.0, self.speed.swap_seconds),
            from_preview=from_preview,
        )
        key = self._key(subscription, resource_group, name)
        if key in self._fail_next:
            op.fail_message = self._fail_next.pop(key) or rules.warmup_failure(op).message
        self.operations[op.id] = op
        site.operation = op
        site.busy_until = op.due
        return op

    def swap_result(
        self, subscription: str, resource_group: str, name: str, slot: str, operation_id: str
    ) -> SwapOperation:
        """The swap behind an ``operationresults`` URL (running or succeeded); raises its error if it
        failed, and a 404 for an id this site and slot never issued."""
        self.tick()
        site, source = self._locate(subscription, resource_group, name, slot)
        op = self.operations.get(operation_id.lower())
        if op is None or op.site.lower() != site.name.lower() or op.source != source.name.lower():
            raise ServiceError(
                404, "NotFound", f"The operation '{operation_id}' is not found.", shape="appservice"
            )
        if op.state == "failed":
            raise rules.warmup_failure(op)
        return op

    def fail_next_swap(
        self, subscription: str, resource_group: str, name: str, message: str | None = None
    ) -> None:
        """Make the next swap of this site fail at warm-up; its slots are left unswapped."""
        self.site(subscription, resource_group, name)
        self._fail_next[self._key(subscription, resource_group, name)] = message

    def apply_slot_config(
        self, subscription: str, resource_group: str, name: str, slot: str, target_slot: str
    ) -> None:
        """Swap with preview, phase one: ``slot`` gets the target's sticky settings; both are prepared."""
        site, source, target = self._pair(subscription, resource_group, name, slot, target_slot)
        rules.check_pair_free(site, source, target)
        if rules.is_prepared_pair(source, target):
            if source.preview_from is not None:
                return  # already prepared for this very swap
            raise rules.prepared_conflict()  # prepared the other way round
        rules.prepare(site, source, target, self._clock.now())

    def reset_slot_config(self, subscription: str, resource_group: str, name: str, slot: str) -> None:
        """Cancel a prepared swap with preview: the source slot gets its own settings back."""
        site, target = self._locate(subscription, resource_group, name, slot)
        rules.check_not_running(site, target)
        if target.target_swap_slot is None:
            return
        partner = site.slots.get(target.target_swap_slot.lower(), target)
        rules.revert(target, partner, self._clock.now())

    def slot_differences(
        self, subscription: str, resource_group: str, name: str, slot: str, target_slot: str
    ) -> list[SlotDifference]:
        """What a swap of ``slot`` into ``target_slot`` would change."""
        site, source, target = self._pair(subscription, resource_group, name, slot, target_slot)
        return rules.differences(site, source, target)

    def tick(self) -> None:
        """Apply (or fail) every swap whose time has come (called before every request)."""
        now = self._clock.now()
        for site in self.sites.values():
            op = site.operation
            if isinstance(op, SwapOperation) and op.running and op.due <= now:
                self._finish(site, op, now)

    def _finish(self, site: Site, op: SwapOperation, now: float) -> None:
        source, target = site.slots.get(op.source), site.slots.get(op.target)
        if op.fail_message is not None or source is None or target is None:
            op.state = "failed"
            if source is not None and target is not None and not op.from_preview:
                rules.revert(source, target, now)
        else:
            rules.exchange(site, source, target, now)
            op.state = "succeeded"
        op.finished = now
        site.operation = None
        site.busy_until = 0.0
