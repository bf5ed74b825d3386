"""Files tasks write besides the summary: inline smoke checks, and smoke reports as JUnit XML.

Inline checks (a ``multiLine`` input) are written to a fresh folder under ``AGENT_TEMPDIRECTORY``,
named after the input, so ``load_checks`` reads them like any checks file and its messages name the
input ("checksInline.yaml, line 3: ..."). JUnit files go where the input says, relative paths under
the default working directory; a path whose ``$(...)`` macros the agent left unexpanded (run outside
a pipeline) falls back to the temp folder. Everything written is masked first.

Must not: parse checks (``slots.smoke_checks`` does) or decide what a report means.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from slotwise.agent.inputs import TaskInputs
from slotwise.agent.taskdef import has_macro
from slotwise.errors import UsageError
from slotwise.secrets import SecretRegistry


def inline_checks(inputs: TaskInputs, name: str, temp_dir: Path) -> Path:
    """The inline checks of input ``name`` (required), written to a file of their own."""
    text = inputs.text(name, required=True) or ""
    folder = temp_dir / f"slotwise-{uuid.uuid4().hex[:8]}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(
            f"Cannot write the inline checks of the input {inputs.describe(name)} to {folder}: "
            f"{error.strerror or error}."
        ) from None
    return path


def checks_file(inputs: TaskInputs, source: str, file_input: str, inline_input: str, temp_dir: Path) -> Path:
    """The checks file for ``source`` (``file``: the file input's one match; ``inline``: written)."""
    if source == "inline":
        return inline_checks(inputs, inline_input, temp_dir)
    return inputs.path(file_input)


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
