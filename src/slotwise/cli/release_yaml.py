"""What ``slotwise release render|plan|apply --as yaml`` do: YAML pipelines from specs, and the
environments with their checks. Parse nothing (``cli.release`` did), decide nothing: render
(``release.pipeline_yaml``), plan (``release.environments_plan``), apply
(``release.environments_apply``), print (``cli.release_yaml_output``).

Must not: decide what to write, or compare anything.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from slotwise.errors import UsageError
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
