"""A local HTTPS emulator of the Azure endpoints a deployment-slot release calls.

Entra ID (tokens), ARM Microsoft.Web (sites, slots, settings, keys, swaps), Kudu (zip deploy), the
Azure Functions host and Azure DevOps (pipeline jobs' OIDC tokens), on loopback with a throwaway CA,
so the unmodified Azure SDKs, az CLI and other clients work against it. It is a distribution of its
own (``slotwise-emulator``) and imports nothing of slotwise: slotwise reaches it through its
``emulator`` extra, for its ``emulator`` and ``demo`` commands and its tests; anyone testing other
Azure tooling can run it alone (``slotwise-emulator`` or ``python -m slotwise_emulator``).

    state (backends/)  <-  routes/ (wire, no state)  <-  app.py (dispatch, auth, faults, log)
                                                          <-  server.py (HTTPS listeners)  <-  core.Emulator
"""

from slotwise_emulator.clock import ManualClock, Speed, SystemClock
from slotwise_emulator.core import Emulator, FunctionApp
from slotwise_emulator.errors import EmulatorError
from slotwise_emulator.pipeline import PipelineJob, ServiceConnectionInfo

__all__ = [
    "Emulator",
    "EmulatorError",
    "FunctionApp",
    "ManualClock",
    "PipelineJob",
    "ServiceConnectionInfo",
    "Speed",
    "SystemClock",
]
