"""Text that came from elsewhere, made safe to show: the one set of rules, for both faces.

Remote text is untrusted: an ARM or App Service error message (either body shape), an Entra ID
sign-in error (``AADSTS...``) as azure-identity words it, Kudu's status texts and log lines, what a
Functions host answered, a network library's exception text. Shown as it came, it can steer whoever
reads the output: the Azure Pipelines agent runs a logging command found *anywhere* in a line
(``##vso[...]``, and formatting commands ``##[error]``, ``##[group]``...), in a task's output and
equally in the output of a plain ``script:`` step that runs the CLI; a terminal obeys escape
sequences; bidi overrides make text read otherwise than it is.

The rules (``neutral``):

1. line and paragraph breaks (``\\r \\n \\v \\f \\x85 \\u2028 \\u2029``) and tabs become a space: a
   remote message is one line, so nothing it carries can start a line of its own;
2. control and invisible formatting characters (Unicode categories Cc and Cf: escapes, NUL, bell,
   zero-width characters, bidi overrides, the BOM) are dropped, and so is a combining mark stuck to
   a ``#`` (the agent's culture-aware search for ``##vso[`` skips both: ``#\\u200b#vso[`` would match);
3. every ``##`` becomes ``# #``, so neither ``##vso[`` nor ``##[`` survives, in any case.

``remote`` is what a boundary applies to a message it quotes in an error or a report: the rules,
runs of spaces folded into one, stripped, and bounded to ``MAX_CHARS`` (cut with an ellipsis), so
a service cannot flood a log line. Where the text goes next adds its own escaping on top (the
agent's ``##vso`` escaping of the messages it writes, markdown, XML): that is not this module's job.

Secrets are not either: mask them *before* (``SecretRegistry.redact``), on the text as it came.

Must not: import anything of slotwise, know which face prints the text, or print.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 1500  # an error quoting a whole chained-credential report still fits; a flood does not
ELLIPSIS = "\u2026"
_BREAKS = frozenset("\r\n\t\v\f\u2028\u2029\x85")
_INVISIBLE = frozenset(("Cc", "Cf", "Zl", "Zp"))
_MARKS = frozenset(("Mn", "Me"))
_SPACES = re.compile(r" {2,}")


def neutral(text: str) -> str:
    """``text`` as one line that cannot steer a log reader (the rules above); length unchanged but
    for what was dropped. Idempotent."""
    out: list[str] = []
    for char in text:
        if char in _BREAKS:
            out.append(" ")
            continue
        category = unicodedata.category(char)
        if category in _INVISIBLE or (out and out[-1] == "#" and category in _MARKS):
            continue  # dropped: invisible, or a mark that would hide a "#" from a search for "##"
        out.append(char)
    flat = "".join(out)
    while "##" in flat:
        flat = flat.replace("##", "# #")
    return flat


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def remote(text: str | None, limit: int = MAX_CHARS) -> str:
    """Remote ``text`` ready to quote: neutral, spaces folded, stripped, at most ``limit``
    characters; "" for None."""
    if not text:
        return ""
    return shorten(_SPACES.sub(" ", neutral(text)).strip(), limit)
