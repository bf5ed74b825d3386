"""``slotwise release``: release definitions as code (validate, render; plan and apply come next).

Parse the arguments, load the specs (``release.load``), render them (``release.render``) and print:
no logic. Problems in specs end the command with exit 2 and every problem, one a line, as
``file:line: field: message`` (``SpecInvalid``). ``--print-schema`` prints the specs' JSON Schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from slotwise.errors import UsageError

SPEC_HELP = """\b
A spec describes release definitions in YAML or JSON, everything named by name:
  name: orders-api                      # the release definition
  project: Fabrikam
  artifact: {build: orders-api-CI}      # the build pipeline; new builds release
  app: {serviceConnection: contoso-arm, resourceGroup: rg-orders, name: func-orders}
  stages:
    - name: Staging                     # guard, deploy to the slot, smoke test
    - name: Production                  # after Staging: approval, then swap
      approvals: {before: {approvers: [lead@contoso.com]}}
Ready-made specs are in templates/release/ of the slotwise repository; the full format is
printed by `slotwise release --print-schema`."""


def _print_schema(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from slotwise.release.schema import schema_text

        click.echo(schema_text(), nl=False)
        ctx.exit(0)


_SPECS = click.argument("specs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="SPEC...")


@click.group(invoke_without_command=True, epilog=SPEC_HELP)
@click.option(
    "--print-schema",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_schema,
    help="Print the JSON Schema of release specs (for editors) and exit.",
)
@click.pass_context
def release(ctx: click.Context) -> None:
    """Release definitions as code: classic Azure DevOps release pipelines from spec files.

    Write what a release pipeline should be (build artifact and continuous deployment, the app,
    stages with approvals and the slot steps) in a spec file; `validate` checks it without any
    network, `render` shows the ReleaseDefinition documents it becomes.
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@release.command(epilog=SPEC_HELP)
@_SPECS
def validate(specs: tuple[Path, ...]) -> None:
    """Check release specs: their format, names that must agree, and the steps' task inputs.

    SPEC is a spec file (.yaml, .yml or .json) or a folder of them; give as many as you like.
    Nothing is read from Azure DevOps. Exits 0 when every spec is valid, and 2 with every problem
    found, one a line: file:line: field: what is wrong and what is allowed.
    """
    from slotwise.release.load import load_specs

    loaded = load_specs(specs)
    for definition in loaded.definitions:
        stages = " → ".join(stage.name for stage in definition.stages)
        click.echo(
            f"{definition.project}{_folder(definition.folder)}{definition.name}: "
            f"{stages} (tasks: {definition.tasks.value})"
        )
    count, files = len(loaded.definitions), len(loaded.files)
    click.echo(
        f"{count} release definition{'s' if count != 1 else ''} in "
        f"{files} file{'s' if files != 1 else ''}: valid."
    )


def _folder(folder: str) -> str:
    return folder if folder.endswith("\\") else folder + "\\"


@release.command(epilog=SPEC_HELP)
@_SPECS
@click.option(
    "--offline",
    is_flag=True,
    help="Resolve nothing: ids of names (project, queue, service connection, build definition, "
    "people, variable groups) become placeholders such as <queue:Azure Pipelines>.",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["json", "yaml"]),
    default="json",
    show_default=True,
    help="Print the documents as JSON or YAML.",
)
def render(specs: tuple[Path, ...], offline: bool, output: str) -> None:
    """Print the ReleaseDefinition documents the specs become, as they would be sent.

    One document per release definition, with the project it belongs in; the same specs always
    give the same output. The specs are validated first (as `validate` does).
    """
    if not offline:
        raise UsageError(
            "Rendering with real ids needs Azure DevOps to resolve names; that comes with "
            "`slotwise release plan` and `apply`, which are not there yet.",
            hint="Run `slotwise release render --offline` to see the documents with placeholders for ids.",
        )
    from slotwise.release.load import load_specs
    from slotwise.release.render import render_all
    from slotwise.release.resolve import OfflineResolver

    loaded = load_specs(specs)
    documents = [rendered.as_dict() for rendered in render_all(loaded.definitions, OfflineResolver())]
    click.echo(_dump(documents, output), nl=False)


def _dump(documents: list[dict[str, Any]], output: str) -> str:
    if output == "yaml":
        import yaml

        return str(yaml.safe_dump(documents, sort_keys=True, allow_unicode=True, default_flow_style=False))
    return json.dumps(documents, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
