"""Placeholder: `slotwise slot smoke` commands are being written."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
