"""Placeholder: `slotwise slot swap` commands are being written."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
