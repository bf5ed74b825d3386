"""The result of a smoke test and its four renderings: table rows, JSON, JUnit XML and markdown.

Owns ``CheckResult``, ``WarmupResult`` and ``SmokeReport`` (what ``run_smoke`` returns) and how
they are shown: rows for the CLI's table, ``as_dict`` for ``--output json``, JUnit XML for Azure
DevOps' Publish Test Results task (one ``testsuite``, one ``testcase`` per check plus the warm-up,
``failure``/``skipped`` children; built with ElementTree, so it is escaped, and stripped of
characters XML 1.0 cannot carry) and a markdown summary for release approvers (cells escaped so no
remote text becomes a link, image or HTML). Text in results is already masked and neutralised by
the runner; nothing here sees a key.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from slotwise.azure.models import SlotRef

WARMUP_NAME = "warm-up"
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|!#~])")
_PLAIN_URL = re.compile(r"https://[A-Za-z0-9.:-]+")


@dataclass(frozen=True)
class CheckResult:
    """One check: passed or why not. ``request`` is method and path (never a key)."""

    name: str
    request: str
    passed: bool
    status: int | None = None
    latency_ms: float | None = None
    failures: tuple[str, ...] = ()
    excerpt: str = ""
    waited_s: float = 0.0  # waits between retries of transient faults
    skipped: bool = False  # not run (the warm-up failed)

    @property
    def outcome(self) -> str:
        return "passed" if self.passed else "not run" if self.skipped else "failed"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "request": self.request,
            "outcome": self.outcome,
            "passed": self.passed,
            "status": self.status,
            "latencyMs": round(self.latency_ms, 1) if self.latency_ms is not None else None,
            "failures": list(self.failures),
            "bodyExcerpt": self.excerpt,
            "retryWaitSeconds": round(self.waited_s, 3),
        }


@dataclass(frozen=True)
class WarmupResult:
    """The warm-up: how many requests it took until the slot answered, or why it gave up."""

    request: str
    passed: bool
    attempts: int
    seconds: float
    status: int | None = None
    failure: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "passed": self.passed,
            "attempts": self.attempts,
            "seconds": round(self.seconds, 3),
            "status": self.status,
            "failure": self.failure,
        }


@dataclass(frozen=True)
class SmokeReport:
    """A smoke test of one slot."""

    slot: SlotRef
    url: str
    started: datetime
    seconds: float
    warmup: WarmupResult
    results: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return self.warmup.passed and all(r.passed for r in self.results)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "total": len(self.results),
            "passed": sum(r.passed for r in self.results),
            "failed": sum(not r.passed and not r.skipped for r in self.results),
            "notRun": sum(r.skipped for r in self.results),
        }

    @property
    def passed_count(self) -> int:
        return self.counts["passed"]

    @property
    def failed_count(self) -> int:
        """Checks that failed or did not run (and the warm-up, if it failed)."""
        return len(self.results) - self.passed_count + (0 if self.warmup.passed else 1)

    def failed_names(self) -> list[str]:
        return [r.name for r in self.results if not r.passed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "resourceGroup": self.slot.resource_group,
            "app": self.slot.app,
            "slot": self.slot.slot,
            "url": self.url,
            "passed": self.passed,
            "counts": self.counts,
            "startedAt": self.started.isoformat(),
            "seconds": round(self.seconds, 3),
            "warmup": self.warmup.as_dict(),
            "checks": [r.as_dict() for r in self.results],
        }


# ---- table -----------------------------------------------------------------------------------------
TABLE_HEADERS = ["check", "result", "status", "latency", "details"]


def table_rows(report: SmokeReport) -> list[list[str]]:
    """One row per check, then the warm-up if it failed."""
    rows = [
        [
            r.name,
            r.outcome.upper() if not r.passed else "PASS",
            str(r.status) if r.status is not None else "-",
            _ms(r.latency_ms),
            "; ".join(r.failures) if r.failures else r.request,
        ]
        for r in report.results
    ]
    if not report.warmup.passed:
        status = str(report.warmup.status) if report.warmup.status is not None else "-"
        rows.insert(0, [WARMUP_NAME, "FAILED", status, "-", report.warmup.failure or ""])
    return rows


def summary_line(report: SmokeReport) -> str:
    """``4 of 5 checks passed on func-demo/staging in 1.2 s``."""
    counts = report.counts
    line = f"{counts['passed']} of {counts['total']} checks passed on {report.slot} in {report.seconds:.1f} s"
    if not report.warmup.passed:
        line += f"; the warm-up failed after {report.warmup.attempts} attempt(s)"
    return line


def _ms(value: float | None) -> str:
    return f"{value:,.0f} ms" if value is not None else "-"


# ---- JUnit XML -------------------------------------------------------------------------------------
def junit_xml(report: SmokeReport) -> str:
    """JUnit XML (Azure DevOps' Publish Test Results, format JUnit): one suite, a case per check."""
    counts = report.counts
    classname = _xml(f"slotwise.smoke.{report.slot.app}.{report.slot.slot}")
    suite_attrs = {
        "name": _xml(f"smoke {report.slot}"),
        "tests": str(counts["total"] + 1),
        "failures": str(counts["failed"] + (0 if report.warmup.passed else 1)),
        "errors": "0",
        "skipped": str(counts["notRun"]),
        "time": f"{report.seconds:.3f}",
        "timestamp": report.started.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        "hostname": _xml(report.url.removeprefix("https://")),
    }
    root = ET.Element("testsuites", {k: suite_attrs[k] for k in ("tests", "failures", "errors", "time")})
    root.set("name", "slotwise smoke")
    suite = ET.SubElement(root, "testsuite", suite_attrs)
    properties = ET.SubElement(suite, "properties")
    for name, value in (("resourceGroup", report.slot.resource_group), ("app", report.slot.app),
                        ("slot", report.slot.slot), ("url", report.url)):  # fmt: skip
        ET.SubElement(properties, "property", {"name": name, "value": _xml(value)})
    warm = ET.SubElement(
        suite,
        "testcase",
        {"name": WARMUP_NAME, "classname": classname, "time": f"{report.warmup.seconds:.3f}"},
    )
    if not report.warmup.passed:
        failure = _xml(report.warmup.failure or "the slot did not answer")
        ET.SubElement(warm, "failure", {"message": failure, "type": "WarmupFailed"}).text = failure
    for result in report.results:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "name": _xml(result.name),
                "classname": classname,
                "time": f"{(result.latency_ms or 0) / 1000:.3f}",
            },
        )
        if result.skipped:
            ET.SubElement(case, "skipped", {"message": _xml("; ".join(result.failures) or "not run")})
        elif not result.passed:
            details = [*result.failures, f"request: {result.request}"]
            if result.excerpt:
                details.append(f"body: {result.excerpt}")
            attrs = {"message": _xml("; ".join(result.failures)), "type": "SmokeCheckFailed"}
            ET.SubElement(case, "failure", attrs).text = _xml("\n".join(details))
        if result.excerpt and result.passed:
            ET.SubElement(case, "system-out").text = _xml(f"body: {result.excerpt}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _xml(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (ElementTree escapes the rest)."""
    return _XML_INVALID.sub("\ufffd", text)


# ---- markdown --------------------------------------------------------------------------------------
def markdown(report: SmokeReport) -> str:
    """A summary for release approvers: verdict, slot and URL, counts, a table, the failures."""
    counts, slot = report.counts, report.slot
    verdict = "passed" if report.passed else "FAILED"
    lines = [
        f"## Smoke tests {verdict}: {_md(str(slot))}",
        "",
        f"Slot **{_md(slot.slot)}** of app **{_md(slot.app)}** (resource group {_md(slot.resource_group)}), "
        f"{_link(report.url)}",
        "",
        f"**{counts['passed']} passed**, **{counts['failed']} failed**"
        + (f", **{counts['notRun']} not run**" if counts["notRun"] else "")
        + f" of {counts['total']} checks in {report.seconds:.1f} s. Warm-up: "
        + (
            f"answered after {report.warmup.attempts} attempt(s), {report.warmup.seconds:.1f} s."
            if report.warmup.passed
            else f"failed after {report.warmup.attempts} attempt(s): {_md(report.warmup.failure or '')}"
        ),
        "",
        "| Check | Result | Status | Latency | Request |",
        "|---|---|---|---|---|",
    ]
    for r in report.results:
        status = str(r.status) if r.status is not None else "-"
        lines.append(f"| {_md(r.name)} | {r.outcome} | {status} | {_ms(r.latency_ms)} | {_md(r.request)} |")
    failed = [r for r in report.results if not r.passed and not r.skipped]
    if failed:
        lines += ["", "### Failures", ""]
        for r in failed:
            lines.append(f"- **{_md(r.name)}** ({_md(r.request)}): {_md('; '.join(r.failures))}")
            if r.excerpt:
                lines.append(f"  - answer: {_md(r.excerpt)}")
    return "\n".join(lines) + "\n"


def _link(url: str) -> str:
    """An autolink for a plain https host URL (from ARM), escaped text for anything else."""
    return f"<{url}>" if _PLAIN_URL.fullmatch(url) else _md(url)


def _md(text: str) -> str:
    """Plain text for a markdown cell or line: punctuation backslash-escaped, HTML as entities."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text.replace("\n", " "))
