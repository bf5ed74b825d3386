"""smoke-test: run smoke checks against a slot through its own host name and keys; JUnit for the run.

Inputs (docs/tasks-contract.md): ``slotName``, ``checksSource`` (``file`` or ``inline``) with
``checksFile`` / ``checksInline``, ``junitFile``, ``failOnCheckFailure``, ``concurrency``,
``timeoutSeconds``. Calls ``slots.smoke.load_checks`` and ``run_smoke``, writes the JUnit report
(for Publish Test Results), puts the results table in the summary. A failed check fails the task, or
with ``failOnCheckFailure: false`` makes it SucceededWithIssues. Outputs ``SmokeResult``,
``SmokePassed``, ``SmokeFailed``, ``SmokeReportPath``.
"""

from __future__ import annotations

import uuid

from slotwise.agent.files import report_path, smoke_plan, write_report
from slotwise.agent.runtime import TaskContext
from slotwise.errors import SmokeFailed
from slotwise.slots.smoke import run_smoke
from slotwise.slots.smoke_report import SmokeReport, junit_xml, summary_line

CHECK_SOURCES = ("file", "inline")


def run(ctx: TaskContext) -> str:
    inputs = ctx.inputs
    app = ctx.app_ref()
    ref = app.other(inputs.string("slotName", "staging") or "staging")
    source = inputs.choice("checksSource", CHECK_SOURCES, "file")
    plan = smoke_plan(inputs, source, "checksFile", "checksInline")
    junit = report_path(
        inputs,
        inputs.string("junitFile"),
        ctx.temp_dir,
        f"slotwise-smoke-{ctx.env.get('SYSTEM_JOBID') or uuid.uuid4().hex[:8]}.xml",
    )
    fail_on_failure = inputs.boolean("failOnCheckFailure", True)
    concurrency = inputs.integer("concurrency", default=16, minimum=1, maximum=256)
    given = inputs.string("timeoutSeconds")  # empty: the checks file's defaults.timeout, else 30 s
    timeout = inputs.number("timeoutSeconds", default=30, minimum=0.1, maximum=230) if given else None
    ctx.summary.title = f"smoke test {ref}"
    services = ctx.connect()
    report = run_smoke(services, ref, plan, reporter=ctx.reporter, concurrency=concurrency, timeout=timeout)
    write_report(junit, junit_xml(report), ctx.out.secrets)
    counts = report.counts
    ctx.output("SmokeResult", "passed" if report.passed else "failed")
    ctx.output("SmokePassed", str(counts["passed"]))
    ctx.output("SmokeFailed", str(report.failed_count))
    ctx.output("SmokeReportPath", str(junit))
    ctx.summary.smoke = report
    ctx.summary.fact("JUnit report", str(junit))
    ctx.out.line(f"JUnit report: {junit}")
    line = summary_line(report)
    if report.passed:
        return line + "."
    failure = _failure(report)
    if fail_on_failure:
        raise SmokeFailed(
            failure,
            hint="Publish the JUnit report (PublishTestResults@2, format JUnit) to see each check; fix the "
            "build or the checks. To let the pipeline go on, set failOnCheckFailure: false.",
        )
    ctx.reporter.warning(f"{failure} (failOnCheckFailure is false: the task goes on)")
    return line + "."


def _failure(report: SmokeReport) -> str:
    if not report.warmup.passed:
        return f"The warm-up of {report.slot} failed, so no check ran: {report.warmup.failure}"
    names = ", ".join(report.failed_names())
    return f"{report.failed_count} of {len(report.results)} smoke checks failed on {report.slot}: {names}."
