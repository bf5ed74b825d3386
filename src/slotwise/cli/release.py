"""``slotwise release``: release definitions as code: validate, render, plan, apply (and, loaded
lazily: ``export`` in ``cli.release_export``; releases at run time, start, status, logs, in
``cli.release_run``).

Parse the arguments, load the specs (``release.load``), and call the operation: ``render``
(``release.render``), ``plan`` (``release.plan``), ``apply`` (``release.apply``); print what they
answer (``cli.release_output``): no logic. Specs are loaded and validated before Azure DevOps is
contacted. Problems in specs end the command with exit 2 and every problem, one a line, as
``file:line: field: message`` (``SpecInvalid``). ``--print-schema`` prints the specs' JSON Schema.
The organization comes from ``devops.organization.open_organization`` (settings from the factory)
unless whoever runs the command in-process hands one in (``obj={"organization": ...}``, as the
tests do)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from slotwise.cli.lazy import LazyGroup
from slotwise.errors import UsageError

if TYPE_CHECKING:
    from slotwise.release.environments import EnvironmentOrganization
    from slotwise.release.gateway import Organization

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


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    epilog=SPEC_HELP,
    lazy_commands={
        "start": "slotwise.cli.release_run:start",
        "status": "slotwise.cli.release_run:status",
        "logs": "slotwise.cli.release_run:logs",
        "export": "slotwise.cli.release_export:export",
    },
)
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
    network, `render` shows the ReleaseDefinition documents it becomes, `plan` shows what would
    change in Azure DevOps, `apply` makes those changes, and `export` writes an existing definition
    as a spec. At run time, `start` creates a release (and `--watch` follows it live), `status`
    shows one, `logs` prints its tasks' logs.

    \b
    Azure DevOps: --org URL or $AZURE_DEVOPS_ORG_URL (in a pipeline $SYSTEM_COLLECTIONURI); a PAT in
    $AZURE_DEVOPS_EXT_PAT or $AZDO_PERSONAL_ACCESS_TOKEN, $SYSTEM_ACCESSTOKEN in a pipeline, or an
    Entra ID sign-in (azure-identity).
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


AS_OPTION = click.option(
    "--as",
    "kind",
    type=click.Choice(["classic", "yaml"]),
    default="classic",
    show_default=True,
    help="Classic release definitions, or YAML pipelines with environments and their checks.",
)


@release.command(epilog=SPEC_HELP)
@_SPECS
@click.option(
    "--offline",
    is_flag=True,
    help="Resolve nothing, and contact nobody: ids of names (project, queue, service connection, build "
    "definition, people, variable groups) become placeholders such as <queue:Azure Pipelines>.",
)
@click.option(
    "--org",
    "org_url",
    metavar="URL",
    help="The Azure DevOps organization whose ids to use (default: $AZURE_DEVOPS_ORG_URL, in a "
    "pipeline $SYSTEM_COLLECTIONURI); not with --offline.",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["json", "yaml"]),
    default="json",
    show_default=True,
    help="Print the documents as JSON or YAML (classic definitions).",
)
@AS_OPTION
@click.option(
    "--output-dir",
    "output_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="With --as yaml: write each pipeline to DIR/<spec file>.yml (DIR/<spec file>-<name>.yml when "
    "a file describes several) instead of printing them.",
)
@click.pass_context
def render(
    ctx: click.Context,
    specs: tuple[Path, ...],
    offline: bool,
    org_url: str | None,
    output: str,
    kind: str,
    output_dir: Path | None,
) -> None:
    """Print the ReleaseDefinition documents the specs become, as they would be sent.

    One document per release definition, with the project it belongs in; the same specs always
    give the same output. The specs are validated first (as `validate` does). Names are looked up
    in Azure DevOps (read only) unless --offline; secret values are never printed.

    With --as yaml: a multi-stage YAML pipeline (azure-pipelines.yml) per release definition
    instead, offline (a YAML pipeline names everything by name): the build pipeline as a pipeline
    resource with its trigger, one stage per spec stage deploying to its environment
    (<spec name>-<stage name>, lower case) with the same tasks and inputs. The approvals and the
    exclusive lock are the environments' checks: `slotwise release apply --as yaml`.
    """
    from slotwise.release.load import load_specs

    if offline and org_url:
        raise UsageError("--org and --offline exclude each other: --offline contacts no organization.")
    if output_dir is not None and kind != "yaml":
        raise UsageError("--output-dir writes YAML pipelines: give --as yaml with it.")
    loaded = load_specs(specs)
    if kind == "yaml":
        from slotwise.cli.release_yaml import render_pipelines

        render_pipelines(loaded, output_dir)
        return
    if offline:
        from slotwise.release.render import render_all
        from slotwise.release.resolve import OfflineResolver

        rendered = render_all(loaded.definitions, OfflineResolver())
    else:
        from slotwise.release.plan import resolve_and_render

        rendered = resolve_and_render(loaded, _organization(ctx, org_url))
    click.echo(_dump([r.as_dict() for r in rendered], output), nl=False)


def _dump(documents: list[dict[str, Any]], output: str) -> str:
    if output == "yaml":
        import yaml

        return str(yaml.safe_dump(documents, sort_keys=True, allow_unicode=True, default_flow_style=False))
    return json.dumps(documents, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


ORG_OPTION = click.option(
    "--org",
    "org_url",
    metavar="URL",
    help="The Azure DevOps organization, such as https://dev.azure.com/contoso "
    "(default: $AZURE_DEVOPS_ORG_URL, in a pipeline $SYSTEM_COLLECTIONURI).",
)
UPDATE_SECRETS = click.option(
    "--update-secrets",
    is_flag=True,
    help="Write every secret variable from the environment. Without it a secret is written only when "
    "its variable is new or becomes secret: Azure DevOps never shows a secret's value, so slotwise "
    "cannot tell whether it changed.",
)
ADOPT = click.option(
    "--adopt",
    is_flag=True,
    help="Take over definitions with a spec's name that slotwise did not make (from then on slotwise "
    "manages them). Without it they are left alone and apply refuses.",
)
TEXT_OR_JSON = click.option(
    "-o",
    "--output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Print a readable plan, or JSON.",
)


def _organization(ctx: click.Context, org_url: str | None) -> Organization:
    """The organization handed in on the root context's object, else the factory's."""
    obj = ctx.find_root().ensure_object(dict)
    if "organization" not in obj:
        from slotwise.cli.context import environment
        from slotwise.devops.organization import open_organization
        from slotwise.factory import devops_settings

        obj["organization"] = open_organization(devops_settings(environment(ctx), org_url))
    found: Organization = obj["organization"]
    return found


def _environment_organization(ctx: click.Context, org_url: str | None) -> EnvironmentOrganization:
    """The same organization, for the YAML pipelines' environments and checks."""
    _organization(ctx, org_url)
    found: EnvironmentOrganization = ctx.find_root().ensure_object(dict)["organization"]
    return found


@release.command(epilog=SPEC_HELP)
@_SPECS
@ORG_OPTION
@click.option(
    "--prune",
    is_flag=True,
    help="Also plan to delete the definitions slotwise made, in the projects and folders of the specs, "
    "that no spec names any more.",
)
@ADOPT
@UPDATE_SECRETS
@TEXT_OR_JSON
@AS_OPTION
@click.pass_context
def plan(
    ctx: click.Context,
    specs: tuple[Path, ...],
    org_url: str | None,
    prune: bool,
    adopt: bool,
    update_secrets: bool,
    output: str,
    kind: str,
) -> None:
    """Show what `apply` would change in Azure DevOps, and change nothing.

    The specs are validated first (nothing is read from Azure DevOps when one is invalid), every name
    is looked up, and each definition is compared with the one of the same name in its project and
    folder. One line per definition: `+ create`, `~ update` followed by what changes
    (field: before → after), `= unchanged`, `- delete` (with --prune), and `! refused` for a definition
    of the same name that slotwise did not make. Then a summary. Secret values are never shown.

    With --as yaml: the YAML pipeline's environments instead (one per stage) and their checks (an
    Approval check for the approvals before a stage, an Exclusive Lock check for one run at a time):
    each environment and check `+ create`, `~ update` with what differs (a check edited in the portal
    shows as an update back to the spec), `= unchanged`, `! refused` for an environment slotwise did
    not make, and `· left alone` for a check slotwise did not make.
    """
    from slotwise.cli.release_output import plan_lines
    from slotwise.release.load import load_specs
    from slotwise.release.plan import make_plan

    loaded = load_specs(specs)
    if kind == "yaml":
        from slotwise.cli.release_yaml import plan_environments

        _only_classic(prune=prune, update_secrets=update_secrets)
        plan_environments(loaded, _environment_organization(ctx, org_url), adopt=adopt, output=output)
        return
    org = _organization(ctx, org_url)
    made = make_plan(loaded, org, prune=prune, adopt=adopt, update_secrets=update_secrets)
    _print(output, made.as_dict(), plan_lines(made))


@release.command(epilog=SPEC_HELP)
@_SPECS
@ORG_OPTION
@click.option(
    "--prune",
    is_flag=True,
    help="Also delete the definitions slotwise made, in the projects and folders of the specs, that no "
    "spec names any more (never one slotwise did not make).",
)
@click.option(
    "--force",
    is_flag=True,
    help="When someone changed a definition after the plan read it, lay the spec over their version "
    "anyway (what they set that the spec does not say is kept). Without it apply stops there and "
    "shows their changes.",
)
@ADOPT
@UPDATE_SECRETS
@TEXT_OR_JSON
@AS_OPTION
@click.pass_context
def apply(
    ctx: click.Context,
    specs: tuple[Path, ...],
    org_url: str | None,
    prune: bool,
    force: bool,
    adopt: bool,
    update_secrets: bool,
    output: str,
    kind: str,
) -> None:
    """Make Azure DevOps match the specs: create, update (and with --prune delete) release definitions.

    Prints the plan (as `plan` does), then carries it out, telling each step on stderr. Nothing is
    written when a spec is invalid or a name is not found. Updates keep what the spec does not set
    (fields set in the portal survive) and carry the revision the plan read. Applying specs that are
    already applied writes nothing.

    With --as yaml: create or update the YAML pipeline's environments (one per stage, named
    <spec name>-<stage name> in lower case, as `render --as yaml` names them) and their checks: an
    Approval check with the approvers, how many must approve, the order, the timeout and whether the
    requester may approve; an Exclusive Lock check so one run at a time deploys to a stage's slot.
    What slotwise makes says "managed by slotwise" (the environment's description, the approval's
    instructions, the lock's name); checks it did not make are left alone.
    """
    from slotwise.cli.context import CliReporter
    from slotwise.cli.release_output import outcome_lines, plan_lines, registry_for
    from slotwise.release.apply import apply_plan
    from slotwise.release.load import load_specs
    from slotwise.release.plan import make_plan

    loaded = load_specs(specs)
    if kind == "yaml":
        from slotwise.cli.release_yaml import apply_environments

        _only_classic(prune=prune, update_secrets=update_secrets, force=force)
        apply_environments(loaded, _environment_organization(ctx, org_url), adopt=adopt, output=output)
        return
    org = _organization(ctx, org_url)
    made = make_plan(loaded, org, prune=prune, adopt=adopt, update_secrets=update_secrets)
    if output == "text":
        _print(output, {}, plan_lines(made))
    outcome = apply_plan(made, org, CliReporter(registry_for(made)), force=force)
    if output == "json":
        _print(output, {"plan": made.as_dict(), "outcome": outcome.as_dict()}, [])
    else:
        _print(output, {}, outcome_lines(outcome))


def _only_classic(**flags: bool) -> None:
    given = [f"--{name.replace('_', '-')}" for name, value in flags.items() if value]
    if given:
        raise UsageError(f"{', '.join(given)}: only for classic release definitions, not with --as yaml.")


def _print(output: str, data: dict[str, Any], lines: list[str]) -> None:
    if output == "json":
        click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        click.echo("\n".join(lines))
