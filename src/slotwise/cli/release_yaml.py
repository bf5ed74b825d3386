"""What ``slotwise release render|plan|apply --as yaml`` do: YAML pipelines from specs, and the
environments with their checks. Parse nothing (``cli.release`` did), decide nothing: render
(``release.pipeline_yaml``), plan (``release.environments_plan``), apply
(``release.environments_apply``), print the plan and what was done.

Must not: decide what to write, or compare anything.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from slotwise.errors import UsageError
from slotwise.release.environments import EnvironmentOrganization
from slotwise.release.environments_apply import apply_environment_plan
from slotwise.release.environments_plan import Action, EnvironmentPlan, make_environment_plan
from slotwise.release.model import SpecSet
from slotwise.release.pipeline_yaml import file_name, pipeline_text


def render_pipelines(specs: SpecSet, output_dir: Path | None) -> None:
    """Each definition's pipeline: printed (``---`` between them), or written to ``output_dir``."""
    per_file = Counter(d.at.file for d in specs.definitions)
    texts = [
        (
            file_name(d, Path(d.at.file).stem, per_file[d.at.file] == 1),
            pipeline_text(d, Path(d.at.file).as_posix(), output_dir.as_posix() if output_dir else "DIR"),
        )
        for d in specs.definitions
    ]
    if output_dir is None:
        click.echo("---\n".join(text for _, text in texts), nl=False)
        return
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        for name, text in texts:
            (output_dir / name).write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"Cannot write to {output_dir}: {error.strerror or error}.") from None
    for name, _ in texts:
        click.echo(f"Wrote {output_dir / name}.", err=True)


def plan_environments(specs: SpecSet, org: EnvironmentOrganization, *, adopt: bool, output: str) -> None:
    plan = make_environment_plan(specs, org, adopt=adopt)
    _print(output, plan.as_dict(), plan_lines(plan))


def apply_environments(specs: SpecSet, org: EnvironmentOrganization, *, adopt: bool, output: str) -> None:
    from slotwise.cli.context import CliReporter
    from slotwise.secrets import SecretRegistry

    plan = make_environment_plan(specs, org, adopt=adopt)
    if output == "text":
        _print(output, {}, plan_lines(plan))
    outcome = apply_environment_plan(plan, org, CliReporter(SecretRegistry()))
    if output == "json":
        _print(output, {"plan": plan.as_dict(), "outcome": outcome.as_dict()}, [])
    else:
        _print(output, {}, [f"Applied: {outcome.writes} write{'s' if outcome.writes != 1 else ''}."])


_MARKS = {
    Action.CREATE: "+ create   ",
    Action.UPDATE: "~ update   ",
    Action.UNCHANGED: "= unchanged",
    Action.ADOPT: "~ adopt    ",
    Action.REFUSED: "! refused  ",
    Action.FOREIGN: "· left alone",
}


def plan_lines(plan: EnvironmentPlan) -> list[str]:
    """One line per environment and per check under it, each change indented under those; the summary."""
    lines: list[str] = []
    for item in plan.items:
        where = f"  (id {item.environment_id})" if item.environment_id is not None else ""
        source = f"  ({item.desired.source})" if item.desired.source else ""
        lines.append(f"{_MARKS[item.action]} environment {item.title}{where}{source}")
        lines += [f"      {change}" for change in item.changes]
        if item.action is Action.REFUSED:
            lines.append(
                "      exists and slotwise did not make it: left alone (apply --adopt takes it over)"
            )
        for check in item.checks:
            check_id = f" (id {check.check_id})" if check.check_id is not None else ""
            lines.append(f"    {_MARKS[check.action]} {check.kind} check{check_id}")
            lines += [f"          {change}" for change in check.changes]
            if check.action is Action.FOREIGN:
                lines.append("          not made by slotwise: left as it is")
    lines.append(plan.summary())
    return lines


def _print(output: str, data: dict[str, object], lines: list[str]) -> None:
    if output == "json":
        click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        click.echo("\n".join(lines))
