"""An emulator in a process of its own, for benchmarks that measure another process against it.

``python tests/benchmarks/emulator_child.py OUT`` starts an emulator with app ``func-bench`` (slot
``staging``) in resource group ``rg-bench``, writes ``{"env", "scm", "token", "ca"}`` to the JSON file
OUT, and serves until its stdin is closed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from azure.identity import ClientSecretCredential

from slotwise.emulator import Emulator, Speed

SCRIPT = Path(__file__)


def main(out: Path) -> None:
    with Emulator(speed=Speed.instant()) as emu:
        emu.create_function_app("rg-bench", "func-bench", slots=("staging",))
        sub = emu.subscription_id
        scm = emu.call(lambda b: b.web.slot(sub, "rg-bench", "func-bench", "staging").scm_host_name)
        credential = ClientSecretCredential(
            emu.tenant_id, emu.client_id, emu.client_secret, authority=emu.authority,
            connection_verify=str(emu.ca_path), disable_instance_discovery=True,
        )  # fmt: skip
        token = credential.get_token("https://management.azure.com/.default").token
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps({"env": emu.env(), "scm": scm, "token": token, "ca": str(emu.ca_path)}))
        tmp.replace(out)
        sys.stdin.read()  # serve until the parent closes stdin


if __name__ == "__main__":
    main(Path(sys.argv[1]))
