"""How slotwise reaches its local emulator, which is a distribution of its own (``slotwise-emulator``,
the ``emulator`` extra): imported only when a command that needs it runs, and its errors translated
once, here, into slotwise's ``EmulatorError`` (exit 9).

Product code (operations, the pipeline face) never imports the emulator; only the ``emulator`` and
``demo`` commands (and the tests) do, through this module.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from slotwise.errors import EmulatorError

DISTRIBUTION = "slotwise-emulator"
INSTALL_HINT = "Install it with: pip install 'slotwise[emulator]' (the local emulator is an extra)."


def emulator_module(name: str) -> ModuleType:
    """``slotwise_emulator.<name>``, or an ``EmulatorError`` saying how to install the extra."""
    try:
        return importlib.import_module(f"slotwise_emulator.{name}")
    except ModuleNotFoundError as err:
        if err.name is None or not err.name.startswith("slotwise_emulator"):
            raise
        raise EmulatorError(
            f"The local emulator ({DISTRIBUTION}) is not installed.", hint=INSTALL_HINT
        ) from None


@contextmanager
def translated() -> Iterator[None]:
    """Turn the emulator's own ``EmulatorError`` into slotwise's (same message and hint, exit 9)."""
    errors = emulator_module("errors")
    try:
        yield
    except errors.EmulatorError as err:
        raise EmulatorError(err.message, hint=err.hint) from None
