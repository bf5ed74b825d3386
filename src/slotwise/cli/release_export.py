"""``slotwise release export``: an existing release definition written as a spec (``release.export``).

Parse the arguments, open the organization as the other ``slotwise release`` commands do
(``cli.release``), print or write what the operation answers: no logic.
"""

from __future__ import annotations

from pathlib import Path

import click

from slotwise.cli.release import ORG_OPTION, _organization
from slotwise.errors import UsageError


@click.command()
@click.argument("definition", metavar="NAME|ID")
@click.option("--project", required=True, metavar="PROJECT", help="The definition's Azure DevOps project.")
@ORG_OPTION
@click.option(
    "-o",
    "--format",
    "fmt",
    type=click.Choice(["yaml", "json"]),
    default="yaml",
    show_default=True,
    help="Write the spec as YAML or JSON.",
)
@click.option(
    "--output",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the spec to FILE instead of printing it.",
)
@click.pass_context
def export(
    ctx: click.Context, definition: str, project: str, org_url: str | None, fmt: str, target: Path | None
) -> None:
    """Write an existing release definition as a spec (by its name, or its id).

    Everything a spec can say is written as spec fields (names, not ids); what it cannot say (a
    script task, gates, e-mail settings...) is kept under `verbatim:` (a JSON merge patch on what
    slotwise renders), so nothing is dropped: `slotwise release plan` on the exported spec shows no
    change. Secret variables are declared with the environment variable their value will be taken
    from (`fromEnv`); their values are never exported.
    """
    from slotwise.cli.release_output import export_text
    from slotwise.release.export import export as export_definition

    org = _organization(ctx, org_url)
    spec = export_definition(org, project, definition)
    text = export_text(spec, fmt)
    if target is None:
        click.echo(text, nl=False)
        return
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"Cannot write {target}: {error.strerror or error}.") from None
    click.echo(f"Wrote the spec of {spec['name']!r} to {target}.", err=True)
