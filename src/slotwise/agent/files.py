"""The files of a task: its smoke checks (a file input, or inline text), and smoke reports as JUnit.

Checks come from the file input's one match, or from a ``multiLine`` input whose text is parsed as
it is, its messages naming the input ("the input 'Checks (YAML)' (checksInline), line 3: ...") rather
than a file the user never wrote. JUnit files go where the input says, relative paths under the
default working directory; a path whose ``$(...)`` macros the agent left unexpanded (run outside a
pipeline) falls back to the temp folder. Everything written is masked first.

Must not: validate checks itself (``slots.smoke_checks`` does) or decide what a report means.
"""

from __future__ import annotations

from pathlib import Path

from slotwise.agent.inputs import TaskInputs
from slotwise.agent.taskdef import has_macro
from slotwise.errors import UsageError
from slotwise.secrets import SecretRegistry
from slotwise.slots.smoke_checks import load_checks, parse_checks
from slotwise.slots.smoke_plan import SmokePlan


def smoke_plan(inputs: TaskInputs, source: str, file_input: str, inline_input: str) -> SmokePlan:
    """The checks for ``source`` (``file``: the file input's one match; ``inline``: the text input),
    parsed and validated: a ``UsageError`` names the file or the input, the line and the field."""
    if source == "inline":
        text = inputs.text(inline_input, required=True) or ""
        return parse_checks(text, source=f"the input {inputs.describe(inline_input)}")
    return load_checks(inputs.path(file_input))


def report_path(inputs: TaskInputs, value: str | None, temp_dir: Path, default_name: str) -> Path:
    """Where to write a report: ``value`` (relative to the working directory), else the temp folder."""
    if not value or has_macro(value):
        return temp_dir / default_name
    path = Path(value).expanduser()
    return path if path.is_absolute() else inputs.base_dir / path


def write_report(path: Path, text: str, secrets: SecretRegistry) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.redact(text), encoding="utf-8")
    except OSError as error:
        raise UsageError(f"Cannot write the report {path}: {error.strerror or error}.") from None
    return path
