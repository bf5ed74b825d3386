"""slotwise: safe, repeatable deployment-slot releases for Azure Functions and App Service."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("slotwise")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
