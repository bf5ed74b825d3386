"""Tests of the emulated Azure Pipelines agent (slotwise_emulator.agent)."""
