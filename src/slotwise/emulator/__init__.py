"""A local HTTPS emulator of the Azure endpoints slotwise calls.

Entra ID (tokens), ARM Microsoft.Web (sites, slots, settings, keys, swaps), Kudu (zip deploy), the
Azure Functions host and Azure DevOps (pipeline jobs' OIDC tokens), on loopback with a throwaway CA,
so the unmodified Azure SDKs work against it. Product code never imports this package: only the
``emulator``/``demo`` commands and the tests.

    state (backends/)  <-  routes/ (wire, no state)  <-  app.py (dispatch, auth, faults, log)
                                                          <-  server.py (HTTPS listeners)  <-  core.Emulator
"""

from slotwise.emulator.clock import ManualClock, Speed, SystemClock
from slotwise.emulator.core import Emulator, FunctionApp
from slotwise.emulator.pipeline import PipelineJob, ServiceConnectionInfo

__all__ = [
    "Emulator",
    "FunctionApp",
    "ManualClock",
    "PipelineJob",
    "ServiceConnectionInfo",
    "Speed",
    "SystemClock",
]
