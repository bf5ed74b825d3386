"""The emulator's version, from its installed distribution's metadata (versioned with slotwise)."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("slotwise-emulator")
except PackageNotFoundError:  # run from a source tree that was never installed
    VERSION = "0.0.0+unknown"
