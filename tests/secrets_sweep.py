"""The secrets sweep: no secret the emulator issued appears in anything a test produced.

Every test that uses the ``emulator`` fixture has the emulator's issued secrets (client secrets, keys
and publishing passwords, tokens: ``/_emulator/secrets``) searched for, after its call and after its
teardown, in

- what pytest captured: stdout and stderr (subprocesses writing to the inherited descriptors too),
  and the log records;
- what the test saw in Python: every ``CliRunner.invoke`` result (output, stderr, exception) and the
  output of every ``subprocess.run`` / ``Popen.communicate`` (the CLI, the agent, the shim);
- the failure's own text (exception messages) when the test failed;
- every file under the test's ``tmp_path``: JUnit XML, markdown summaries, logs (except files only
  their owner may read: an env file written 0600 is where a secret is kept on purpose).

``##vso[task.setsecret]`` lines (and ``task.setvariable`` with ``issecret=true``) are how a task tells
the agent what to mask: they are left out. A secret found fails the test, naming where it appeared
and which secret by its kind and first 4 characters only; the report's captured sections have it
replaced by ``***`` so the failure itself does not print it. Cost: one substring search per secret
over each text and file, linear in what the test produced.

Registered in ``tests/conftest.py``: the ``emulator`` fixture calls ``watch``; the hooks and the
autouse ``secrets_witness`` fixture are imported there.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click.testing
import pytest

from slotwise_emulator import Emulator

Secrets = dict[str, list[str]]  # kind -> values
SOURCES = pytest.StashKey[list[Callable[[], Secrets]]]()
SEEN = pytest.StashKey[list[tuple[str, str | bytes]]]()  # (where, text) witnessed in Python
TMP = pytest.StashKey[Path]()
MASKING = re.compile(
    rb"##vso\[task\.setsecret\][^\r\n]*|##vso\[task\.setvariable [^\]]*issecret=true[^\]]*\][^\r\n]*",
    re.IGNORECASE,
)
MAX_FILE = 64 * 1024 * 1024  # a test's file bigger than this is a build, not output


def issued(emulator: Emulator) -> Secrets:
    """What the emulator issued so far, read where its server changes state."""

    def read(b: Any) -> Secrets:
        tokens = [*b.identity.issued_tokens, *b.devops.access_tokens()]
        return {"client secret": b.identity.client_secrets(), "key": b.web.secrets(), "token": tokens}

    return emulator.call(read)


def watch(node: pytest.Item, emulator: Emulator) -> Callable[[], None]:
    """Sweep ``node``'s output for ``emulator``'s secrets; call the result before stopping it (it
    keeps what was issued for the sweep after teardown)."""
    sources = node.stash.setdefault(SOURCES, [])
    index = len(sources)
    sources.append(lambda: issued(emulator))
    node.stash.setdefault(SEEN, [])

    def keep() -> None:
        snapshot = issued(emulator)
        sources[index] = lambda: snapshot

    return keep


def witness(node: pytest.Item, where: str, *texts: Any) -> None:
    """Remember output a test saw in Python (only for tests that have secrets to sweep for)."""
    seen = node.stash.get(SEEN, None)
    if seen is None:
        return
    for text in texts:
        if isinstance(text, (str, bytes)) and text:
            seen.append((where, text))


@pytest.fixture(autouse=True)
def secrets_witness(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Observe (never change) what CliRunner and subprocesses give back to the test."""
    node = request.node
    invoke = click.testing.CliRunner.invoke
    communicate = subprocess.Popen.communicate

    def invoking(self: click.testing.CliRunner, cli: Any, args: Any = None, *a: Any, **kw: Any) -> Any:
        result = invoke(self, cli, args, *a, **kw)
        shown = " ".join(args) if isinstance(args, list) else str(args or "")
        where = f"CliRunner output of `{getattr(cli, 'name', 'cli')} {shown}`"[:200]
        stderr = result.stderr_bytes.decode("utf-8", "replace") if result.stderr_bytes else ""
        error = repr(result.exception) if result.exception is not None else ""
        witness(node, where, result.output, stderr, error)
        return result

    def communicating(self: subprocess.Popen[Any], *a: Any, **kw: Any) -> Any:
        out, err = communicate(self, *a, **kw)
        witness(node, f"output of subprocess {_command(self.args)}", out, err)
        return out, err

    monkeypatch.setattr(click.testing.CliRunner, "invoke", invoking)
    monkeypatch.setattr(subprocess.Popen, "communicate", communicating)


def _command(args: Any) -> str:
    parts = [str(a) for a in args] if isinstance(args, (list, tuple)) else [str(args)]
    return " ".join(Path(parts[0]).name if i == 0 else p for i, p in enumerate(parts))[:120]


@pytest.fixture
def tmp_path(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """pytest's ``tmp_path``, remembered for the sweep of the files a test writes there."""
    request.node.stash[TMP] = tmp_path
    return tmp_path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    sources = item.stash.get(SOURCES, None)
    if call.when not in ("call", "teardown") or not sources:
        return
    secrets = _flatten(source() for source in sources)
    if not secrets:
        return
    found = sweep(item, report, call.when, secrets)
    if found:
        lines = [
            _redact(f"secrets sweep: {kind} {value[:4]}... appeared in {where}", secrets)
            for where, kind, value in dict.fromkeys(found)
        ]
        before = _redact(str(report.longrepr), secrets) + "\n\n" if report.failed else ""
        report.outcome = "failed"
        report.longrepr = before + "\n".join(lines)
    report.sections = [(title, _redact(text, secrets)) for title, text in report.sections]
    if report.failed and report.longrepr is not None and not isinstance(report.longrepr, str):
        report.longrepr = _redact(str(report.longrepr), secrets)


def _flatten(found: Iterator[Secrets]) -> dict[str, str]:
    """secret value -> kind, for every value of every source (values shorter than 8: not secrets)."""
    out: dict[str, str] = {}
    for secrets in found:
        for kind, values in secrets.items():
            out.update((value, kind) for value in values if len(value) >= 8)
    return out


def sweep(
    item: pytest.Item, report: pytest.TestReport, when: str, secrets: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(where, kind, secret) for each place a secret appears in what the test produced."""
    places: list[tuple[str, str | bytes]] = []
    places += [(title, text) for title, text in report.sections if title.endswith(f" {when}")]
    seen = item.stash.get(SEEN, [])
    places += seen
    seen.clear()
    if report.failed:
        places.append(("the failure's message", str(report.longrepr)))
    if when == "call" and TMP in item.stash:
        places += _files(item.stash[TMP])
    needles = [(value, kind, variant) for value, kind in secrets.items() for variant in _variants(value)]
    found: list[tuple[str, str, str]] = []
    for where, text in places:
        data = MASKING.sub(b"", text if isinstance(text, bytes) else text.encode("utf-8", "replace"))
        hits = {(value, kind) for value, kind, variant in needles if variant in data}
        found += [(where, kind, value) for value, kind in sorted(hits)]
    return found


def _variants(secret: str) -> set[bytes]:
    """The secret as written, and percent-encoded (in a URL or a form body)."""
    return {secret.encode(), quote(secret, safe="").encode()}


def _files(root: Path) -> list[tuple[str, str | bytes]]:
    out: list[tuple[str, str | bytes]] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        info = path.stat()
        if info.st_size <= MAX_FILE and info.st_mode & 0o077:  # owner-only files keep secrets on purpose
            out.append((f"the file {path.relative_to(root)} (in tmp_path)", path.read_bytes()))
    return out


def _redact(text: str, secrets: dict[str, str]) -> str:
    for value in secrets:
        for variant in _variants(value):
            shown = variant.decode()
            if shown in text:
                text = text.replace(shown, "***")
    return text
