"""Making text that came from a slot safe to show: secrets masked, nothing that can steer a log.

A smoke test echoes what the slot answered (a body excerpt, a header value, a redirect target) into
tables, JUnit XML, markdown and pipeline logs. That text is remote and untrusted: it may contain a
key (masked through the run's ``SecretRegistry``), control characters and ANSI escapes (shown as
``\\xNN``), line breaks (folded into spaces) or ``##vso[`` / ``##[`` (the agent runs those as
logging commands from anywhere in a line: every ``##`` is broken up as ``# #``).
"""

from __future__ import annotations

import re

from slotwise.secrets import SecretRegistry
from slotwise.text import neutral, shorten

EXCERPT_CHARS = 200
_SPACES = re.compile(r"[\r\n\t\f\v\u2028\u2029\u0085 ]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]")


def neutralise(text: str) -> str:
    """One line of plain text: breaks folded, control and direction characters escaped, ``##`` split."""
    text = _SPACES.sub(" ", text)
    text = _CONTROL.sub(lambda m: _escape(m.group()), text)
    return neutral(text)  # then the shared rules (slotwise.text): what is left invisible dropped, ## split


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def safe_text(text: str, secrets: SecretRegistry, limit: int = EXCERPT_CHARS) -> str:
    """Remote ``text`` ready to show: secrets masked first (on the whole text), then neutralised
    and shortened."""
    return shorten(neutralise(secrets.redact(text)).strip(), limit)


def body_excerpt(body: bytes, secrets: SecretRegistry, limit: int = EXCERPT_CHARS) -> str:
    """The start of a response body as safe text (undecodable bytes replaced)."""
    return safe_text(body.decode("utf-8", "replace"), secrets, limit)
