"""The ``slotwise`` command line: click commands that parse, build through the factory, call, render."""
