"""A deployment racing a swap: noticed, and a rollback build destroyed by it named, loudly.

Kudu cannot be told "deploy only if the slot was not swapped", and a swap does not wait for a running
deployment: the window between the guard's check and the end of a deployment cannot be closed, only
narrowed and watched. This module owns that watch for ``slots.deploy``. The slot's *swap state*
(ARM's ``slotSwapStatus``: time, source, destination; and ``targetSwapSlot``, set while a swap runs
or is prepared) is read

1. right before the upload (``before_upload``, after any zipping): a swap running or prepared on the
   slot is refused before anything is sent (Kudu would refuse it anyway, after the whole upload);
   if the state changed since the guard's check, the guard runs again (``Check``);
2. when Kudu has taken the upload (``Race.on_accepted``): a swap since then is warned about at once;
3. when the deployment has ended (``Race.after_deployment``): if the slot swapped with production
   meanwhile and the deployment is what the slot serves now, the content it replaced was
   production's previous build, the rollback: ``HeldBuildDestroyed`` names it (from the hold
   recorded for that swap, else from Kudu's history), unless it is the very build the user was
   warned about and allowed with ``allow_overwrite``. If the deployment left the slot with the swap
   (it ended before the swap), ``ConflictError`` says where the build runs now.

Must not: deploy, swap, decide holds (``guard`` does), print, or sleep.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slotwise.azure.kudu import SWAP_IN_PROGRESS, KuduClient
from slotwise.azure.kudu_records import KuduDeployment
from slotwise.azure.models import PRODUCTION, SlotInfo, SlotRef, SwapStatus
from slotwise.builds import BuildInfo
from slotwise.errors import Action, ConflictError, HeldBuildDestroyed, OutcomeUnknown, Remedy, SlotwiseError
from slotwise.events import Reporter
from slotwise.services import Services
from slotwise.slots.content import Content
from slotwise.slots.guard import when
from slotwise.slots.holds import HOLD_TAG, UNLABELLED, HoldRecord, same_swap
from slotwise.slots.model import GuardDecision

Guard = Callable[[SlotRef], GuardDecision]
Check = Callable[[SlotRef], "str | None"]  # the guard as deploy runs it: the label it allows, or raises
SwapState = tuple["SwapStatus | None", "str | None"]


def swap_state(info: SlotInfo) -> SwapState:
    """What tells one swap from another on a slot: its last swap, and the swap running or prepared."""
    return info.swap_status, (info.target_swap_slot or "").lower() or None


def before_upload(
    services: Services, checked: SlotInfo, warned: str | None, check: Check, reporter: Reporter
) -> tuple[SlotInfo, str | None]:
    """The slot read again right before the upload (``checked``: as it was when the guard ran), and
    the label of the held build the user allowed (the guard runs again if the slot swapped since)."""
    ref = checked.ref
    now = services.web_apps.get(ref)
    if now.target_swap_slot:
        raise ConflictError(
            f"A swap of {ref} with slot '{now.target_swap_slot}' is in progress (or prepared): nothing was "
            "uploaded.",
            code=SWAP_IN_PROGRESS,
            hint="Wait for the swap to end (or cancel a prepared swap with preview), then look at the slot "
            "before deploying: after a swap with production it holds production's previous build, the "
            "rollback.",
            remedies=(Remedy.at(Action.LOOK_AT_SLOTS, ref),),
        )
    if swap_state(now) != swap_state(checked):
        reporter.step(f"{ref} was swapped since it was checked ({_swap(now.swap_status)}): checking again")
        warned = check(ref)
    return now, warned


def _swap(swap: SwapStatus | None) -> str:
    return f"{swap.source} -> {swap.destination} at {when(swap.timestamp)}" if swap else "no swap"


def _partner(ref: SlotRef, swap: SwapStatus) -> str:
    """The other slot of a swap ``ref`` took part in."""
    return swap.destination if swap.source == ref.slot else swap.source


@dataclass
class Race:
    """The watch over one deployment, from the moment Kudu took it (``seen``: the slot just before)."""

    services: Services
    kudu: KuduClient
    seen: SlotInfo
    build: BuildInfo
    allow_overwrite: bool
    warned: str | None  # the held build the user allowed to destroy (``allow_overwrite``), if any
    reporter: Reporter

    @property
    def ref(self) -> SlotRef:
        return self.seen.ref

    def _swapped(self) -> SlotInfo | None:
        """The slot now, if its swap state changed since ``seen``; else None."""
        now = self.services.web_apps.get(self.ref)
        return now if swap_state(now) != swap_state(self.seen) else None

    def on_accepted(self) -> None:
        """Kudu took the upload: a swap since the last check is said at once (if the slot cannot be
        read now, the check after the deployment still decides)."""
        try:
            now = self._swapped()
        except SlotwiseError as error:
            self.reporter.detail(f"could not read {self.ref} after the upload ({error.message})")
            return
        if now is None or now.swap_status is None:
            return
        partner = _partner(self.ref, now.swap_status)
        what = (
            "production's previous build (the rollback)"
            if partner == PRODUCTION and not self.ref.is_production
            else f"what slot '{partner}' ran"
        )
        self.reporter.warning(
            f"{self.ref} was swapped with slot '{partner}' while the package was uploading "
            f"({_swap(now.swap_status)}): Kudu is deploying {self.build.label} over {what}."
        )

    def lost_deployment(self) -> None:
        """Kudu no longer knows the deployment it took: if a swap moved it away, say where it went."""
        try:
            now = self._swapped()
        except SlotwiseError:
            return  # the caller's error stands
        if now is None or now.swap_status is None or now.target_swap_slot:
            return  # no swap since, or one still running: its record is not yet the one that moved it
        raise self._moved(now.swap_status)

    def after_deployment(self, deployment: KuduDeployment) -> str | None:
        """After a successful deployment: the label of the held build it destroyed with the user's
        agreement (or None); ``HeldBuildDestroyed`` if it destroyed one without it; ``OutcomeUnknown``
        if the slot cannot be read to tell."""
        try:
            return self._judge(deployment)
        except ConflictError:
            raise  # a verdict (HeldBuildDestroyed is one), not a failure to read
        except SlotwiseError as error:
            raise OutcomeUnknown(
                f"{self.build.label} was deployed to {self.ref} (Kudu deployment {deployment.id}), but the "
                f"slot could not be read afterwards ({error.message}): whether a swap meanwhile brought "
                "production's previous build into the slot, and this deployment replaced it, cannot be told.",
                hint="Look at the slots (what each runs, its last swap) before swapping or rolling back.",
                remedies=(Remedy.at(Action.LOOK_AT_SLOTS, self.ref),),
            ) from error

    def _judge(self, deployment: KuduDeployment) -> str | None:
        now = self._swapped()
        if now is None:
            return self.warned
        swap = now.swap_status
        if now.target_swap_slot or swap is None:
            self.reporter.warning(
                f"{self.ref} is being swapped with slot '{now.target_swap_slot}': {self.build.label} moves "
                "with that swap. The slots show where each build runs once it ends."
            )
            return self.warned
        deployments = self.kudu.deployments()
        live = Content.of(deployments)
        if live is None or live.deployment_id != deployment.id:
            raise self._moved(swap)
        partner = _partner(self.ref, swap)
        if partner != PRODUCTION or self.ref.is_production:
            self.reporter.warning(
                f"{self.ref} was swapped with slot '{partner}' during the deployment ({_swap(swap)}): "
                f"{self.build.label} replaced what came from slot '{partner}'."
            )
            return self.warned
        destroyed = replaced_build(now, deployments, deployment.id)
        if self.allow_overwrite and destroyed == self.warned:
            self.reporter.warning(
                f"{self.ref} was swapped with production during the deployment ({_swap(swap)}); "
                f"{self.build.label} replaced {destroyed}, the build the overwrite was allowed for."
            )
            return destroyed
        raise _destroyed(self.ref, destroyed, self.build, swap)

    def _moved(self, swap: SwapStatus) -> ConflictError:
        partner = _partner(self.ref, swap)
        return ConflictError(
            f"{self.build.label} did not stay in {self.ref}: the slot was swapped with slot '{partner}' "
            f"({_swap(swap)}) after Kudu had deployed it, so {self.build.label} now runs in slot "
            f"'{partner}' and {self.ref} runs what '{partner}' ran.",
            code="SwappedDuringDeployment",
            hint="Another operation (a release, the portal) swapped the slot while this deployment ran. "
            f"Look at the slots and decide what must run where; serialise releases to app '{self.ref.app}'.",
            remedies=(Remedy.at(Action.LOOK_AT_SLOTS, self.ref),),
        )


def _destroyed(ref: SlotRef, destroyed: str, build: BuildInfo, swap: SwapStatus) -> HeldBuildDestroyed:
    return HeldBuildDestroyed(
        f"{destroyed[0].upper()}{destroyed[1:]}, production's previous build (the rollback), was destroyed "
        f"in slot '{ref.slot}' of app '{ref.app}': while {build.label} was being deployed there, another "
        f"operation swapped '{ref.slot}' with production ({_swap(swap)}), which moved {destroyed} into "
        f"'{ref.slot}', and this deployment replaced it. Slot '{ref.slot}' now runs {build.label}.",
        build=destroyed,
        hint=f"Swapping back cannot bring {destroyed} back any more. If production needs a rollback, "
        f"redeploy {destroyed} from its build artifact to a slot. Serialise releases to app '{ref.app}' "
        "(one stage deploys or swaps at a time).",
    )


def replaced_build(info: SlotInfo, deployments: list[KuduDeployment], deployment_id: str) -> str:
    """The label of the build that deployment ``deployment_id`` replaced in ``info``'s slot (its Kudu
    history ``deployments``, newest first): the build named by the hold recorded for the slot's last
    swap, if one was, else the live deployment before it. Pure."""
    swap = info.swap_status
    value = next((v for k, v in info.tags.items() if k.lower() == HOLD_TAG), None)
    if value is not None and swap is not None:
        try:
            record: HoldRecord | None = HoldRecord.decode(value)
        except (ValueError, TypeError):
            record = None
        if record is not None and same_swap(record.swap, swap.timestamp):
            return record.build
    before = Content.of([d for d in deployments if d.id != deployment_id])
    return before.label if before else UNLABELLED
