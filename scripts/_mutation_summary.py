"""The summary of the last mutmut run (run by scripts/mutate): the score, per module, and every
surviving mutant of the safety-critical functions. Reads mutmut's own result files
(mutants/**/*.py.meta); writes mutants/summary.json. Exit status 1 when a safety-critical function
has a survivor (or was never tested), 0 otherwise.

Score: (killed + timeout) / (total - skipped), as ``mutmut badge`` counts it; a mutant no test
reaches ("no tests") counts as not killed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

from mutmut.stats import status_by_exit_code

MUTANTS = Path("mutants")

# The functions whose survivors are not acceptable (issue 7: guard, hold detection, swap start and
# follow, rollback planning, promote, the deploy-race watch). For swap, swap_follow, swap_phases,
# promote and deploy_race every function counts but the ones listed in NOT_CRITICAL (presentation),
# so functions added later are covered without editing this.
CRITICAL: dict[str, set[str] | None] = {
    "slotwise.slots.guard": {
        "check",
        "guard",
        "refuse",
        "wait_for_release",
        "park",
        "_park_slot",
        "_refuse_held_park_slot",
        "held_error",
    },
    "slotwise.slots.holds": {
        "assess",
        "_recorded",
        "_inferred",
        "_released",
        "_redeployed",
        "_with_production",
        "_tag",
        "same_swap",
        "read_content",
        "inspect_slot",
        "inspect_hold",
        "find_hold",
        "record_hold",
        "clear_hold",
        "release_hold",
        "HoldRecord.encode",
        "HoldRecord.decode",
        "HoldRecord.hold",
        "ReleaseMark.encode",
        "ReleaseMark.decode",
        "Content.of",
    },
    "slotwise.slots.rollback": {
        "plan_rollback",
        "_follow_parked",
        "_refuse_if_redeployed",
        "rollback",
        "_release_rolled_back_build",
    },
    "slotwise.slots.swap": None,  # all but NOT_CRITICAL
    "slotwise.slots.swap_follow": None,  # starting a swap and finding out how it ended
    "slotwise.slots.swap_phases": None,  # which phase runs, and the orders refused
    "slotwise.slots.promote": None,
    "slotwise.slots.deploy_race": None,  # a deploy racing a swap: the destroyed rollback build named
    # issue 9: release definitions are written only as planned, only slotwise's are pruned, an edit
    # made by someone else is never overwritten silently, a no-op writes nothing
    "slotwise.release.apply": {"apply_plan", "refuse_unowned", "create", "update", "delete"},
    "slotwise.release.plan": {"make_plan", "_decide", "_prunable", "_refuse_unset_secrets"},
    "slotwise.release.stamp": {"fingerprint", "stamped", "unchanged_since_applied"},
    "slotwise.release.diff": {"owned"},
}
NOT_CRITICAL = {
    "slotwise.slots.swap": {"SwapResult.as_dict", "SwapResult.seconds"},
    "slotwise.slots.swap_phases": {"SwapOutcome.as_dict"},
}


# Survivors reviewed as equivalent (no behaviour can tell them apart), matched by what the mutant
# changes (function, lines removed, lines added; whitespace ignored), not by mutmut's numbers, which
# shift when a function changes. A survivor not listed here fails the run.
EQUIVALENT: list[tuple[str, tuple[str, ...], tuple[str, ...], str]] = [
    (
        "slotwise.slots.holds.HoldRecord.hold",
        ('source="slotwise",',),
        (),
        "Hold.source defaults to 'slotwise'",
    ),
    ("slotwise.slots.holds._inferred", ("by=None,",), (), "Hold.by defaults to None"),
    (
        "slotwise.slots.rollback.plan_rollback",
        ("production = web.get(SlotRef(resource_group, app, PRODUCTION))",),
        ("production = web.get(SlotRef(resource_group, app, ))",),
        "SlotRef.slot defaults to production",
    ),
    (
        "slotwise.slots.rollback.rollback",
        ("result = swap(services, SwapRequest(plan.holder, PRODUCTION, timeout=timeout), reporter=reporter)",),
        ("result = swap(services, SwapRequest(plan.holder, timeout=timeout), reporter=reporter)",),
        "SwapRequest.target defaults to production",
    ),
    (
        "slotwise.slots.swap_follow.start",
        ("for attempt in range(1, MAX_STARTS + 1):",),
        ("for attempt in range(1, MAX_STARTS + 2):",),
        "the attempt numbered MAX_STARTS returns or raises on every path, so no later one is ever made",
    ),
    (
        "slotwise.slots.swap_follow.start",
        ('raise AssertionError("unreachable")  # pragma: no cover  (the last attempt returns or raises)',),
        ('raise AssertionError(None)  # pragma: no cover  (the last attempt returns or raises)',),
        "the loop never ends without returning or raising: the statement after it is never run",
    ),
    (
        "slotwise.slots.swap_follow.start",
        ('raise AssertionError("unreachable")  # pragma: no cover  (the last attempt returns or raises)',),
        ('raise AssertionError("XXunreachableXX")  # pragma: no cover  (the last attempt returns or raises)',),
        "the loop never ends without returning or raising: the statement after it is never run",
    ),
    (
        "slotwise.slots.swap_follow.start",
        ('raise AssertionError("unreachable")  # pragma: no cover  (the last attempt returns or raises)',),
        ('raise AssertionError("UNREACHABLE")  # pragma: no cover  (the last attempt returns or raises)',),
        "the loop never ends without returning or raising: the statement after it is never run",
    ),
    (
        "slotwise.slots.swap_follow.start",
        ('seen, _ = wait_for_end(services, request, baseline, deadline, reporter, accepted=False)',),
        ('seen, _ = wait_for_end(services, request, baseline, deadline, reporter, accepted=None)',),
        "wait_for_end only tests `accepted` for truth: None is false like False",
    ),
    (
        "slotwise.slots.swap_follow.start",
        ('seen, ran = wait_for_end(services, request, baseline, deadline, reporter, accepted=False)',),
        ('seen, ran = wait_for_end(services, request, baseline, deadline, reporter, accepted=None)',),
        "wait_for_end only tests `accepted` for truth: None is false like False",
    ),
    (
        "slotwise.slots.swap_follow.busy",
        ("status=error.status if error else 409,",),
        ("status=error.status if (error) and False else 409,",),
        "a ConflictError from Azure always carries status 409 (azure/errors.translate makes one for a 409 only)",
    ),
    (
        "slotwise.slots.swap_follow.apply_once",
        ("for attempt in range(1, MAX_STARTS + 1):",),
        ("for attempt in range(1, MAX_STARTS + 2):",),
        "the attempt numbered MAX_STARTS returns or raises on every path, so no later one is ever made",
    ),
    (
        "slotwise.slots.swap_follow.apply_once",
        ("if error.status is not None and (attempt == 1 or not _shown(services, request, shows, doing)):",),
        ("if error.status is not None and (attempt == 1 or not _shown(services, request, shows, None)):",),
        "_shown uses `doing` only in the OutcomeUnknown it raises after a lost answer (lost=...), not here",
    ),
    (
        "slotwise.slots.swap._prepared_with",
        ('return bool(info.target_swap_slot) and slot_name(info.target_swap_slot or "") == target',),
        ('return bool(info.target_swap_slot) and slot_name(info.target_swap_slot or "XXXX") == target',),
        "the `or` fallback is only for the type checker: bool(...) already made target_swap_slot non-empty",
    ),
]


def changed_lines(key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What mutant ``key`` removes and adds (stripped lines of ``mutmut show``)."""
    diff = subprocess.run(["mutmut", "show", key], capture_output=True, text=True).stdout.splitlines()
    body = [ln for ln in diff if ln[:3] not in ("+++", "---")]
    removed = tuple(ln[1:].strip() for ln in body if ln.startswith("-") and ln[1:].strip())
    added = tuple(ln[1:].strip() for ln in body if ln.startswith("+") and ln[1:].strip())
    return removed, added


def equivalent(key: str, function: str) -> str | None:
    """The reason ``key`` is a reviewed equivalent mutant, or None."""
    candidates = [entry for entry in EQUIVALENT if entry[0] == function]
    if not candidates:
        return None
    removed, added = changed_lines(key)
    return next((why for _, r, a, why in candidates if (r, a) == (removed, added)), None)


def function_of(key: str) -> tuple[str, str]:
    """``slotwise.slots.guard.x_check__mutmut_3`` -> (``slotwise.slots.guard``, ``check``)."""
    mangled = key.partition("__mutmut_")[0]
    module, _, name = mangled.rpartition(".")
    if name.startswith("x_"):
        return module, name[2:]
    _, cls, method = name.split("ǁ")
    return module, f"{cls}.{method}"


def is_critical(module: str, function: str) -> bool:
    if module not in CRITICAL:
        return False
    listed = CRITICAL[module]
    if listed is None:
        return function not in NOT_CRITICAL.get(module, set())
    return function in listed


def score(counts: Counter[str]) -> float:
    tested = sum(counts.values()) - counts["skipped"]
    return 100.0 * (counts["killed"] + counts["timeout"]) / tested if tested else 0.0


def main() -> int:
    show = "--show" in sys.argv[1:]
    results: dict[str, str] = {}
    for meta in sorted(MUTANTS.glob("src/**/*.py.meta")):
        for key, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            results[key] = status_by_exit_code[code]
    if not results:
        print("No mutation results: run scripts/mutate first.", file=sys.stderr)
        return 2

    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    by_function: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    bad: dict[tuple[str, str], list[str]] = defaultdict(list)
    accepted: dict[str, str] = {}  # reviewed equivalent survivors, and why
    for key, status in results.items():
        module, function = function_of(key)
        by_module[module][status] += 1
        if is_critical(module, function):
            by_function[(module, function)][status] += 1
            if status == "survived" and (why := equivalent(key, f"{module}.{function}")):
                accepted[key] = why
            elif status not in ("killed", "timeout", "skipped"):
                bad[(module, function)].append(key)

    total: Counter[str] = sum(by_module.values(), Counter())
    line = "{:<34} {:>6} {:>8} {:>7} {:>8} {:>6} {:>7}"
    print(line.format("module", "killed", "survived", "timeout", "no tests", "total", "score"))
    for module in sorted(by_module):
        c = by_module[module]
        print(
            line.format(
                module, c["killed"], c["survived"], c["timeout"], c["no tests"], sum(c.values()), f"{score(c):.1f}%"
            )
        )
    print(
        line.format(
            "ALL", total["killed"], total["survived"], total["timeout"], total["no tests"],
            sum(total.values()), f"{score(total):.1f}%",
        )
    )  # fmt: skip
    others = {s: n for s, n in total.items() if s not in ("killed", "survived", "timeout", "no tests")}
    if others:
        print(f"also: {others}")

    print("\nsafety-critical functions (killed+timeout / total):")
    critical_total: Counter[str] = Counter()
    for (module, function), c in sorted(by_function.items()):
        critical_total += c
        left = bad.get((module, function), [])
        mark = "ok " if not left else "!! "
        same = sum(1 for key in accepted if function_of(key) == (module, function))
        note = f" (+{same} equivalent)" if same else ""
        print(f"  {mark}{module}.{function}: {c['killed'] + c['timeout']}/{sum(c.values())}{note}")
    print(f"  all safety-critical: {score(critical_total):.1f}% of {sum(critical_total.values())} mutants")

    if accepted:
        print("\nequivalent survivors (reviewed, listed in scripts/_mutation_summary.py):")
        for key, why in sorted(accepted.items()):
            print(f"  {key}: {why}")
    if bad:
        print("\nsurviving (or untested) mutants of safety-critical functions:")
        for (module, function), keys in sorted(bad.items()):
            unreached = Counter(results[k] for k in keys if results[k] in ("no tests", "not checked"))
            for status, n in sorted(unreached.items()):
                print(f"  {status:<11} {module}.{function}: {n} mutants")
            for key in sorted(keys, key=lambda k: int(k.rpartition("_")[2])):
                if results[key] in unreached:
                    continue
                print(f"  {results[key]:<11} {key}")
                if show:
                    diff = subprocess.run(["mutmut", "show", key], capture_output=True, text=True).stdout
                    changed = [ln for ln in diff.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]
                    for ln in changed:
                        print(f"              {ln}")
        print("(mutmut show NAME prints a mutant's diff)")

    summary = {
        "score": round(score(total), 2),
        "counts": dict(total),
        "modules": {m: {**dict(c), "score": round(score(c), 2)} for m, c in sorted(by_module.items())},
        "equivalent": accepted,
        "critical": {
            f"{m}.{f}": {**dict(c), "survivors": sorted(bad.get((m, f), []))}
            for (m, f), c in sorted(by_function.items())
        },
    }
    (MUTANTS / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
