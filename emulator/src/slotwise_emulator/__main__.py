"""``python -m slotwise_emulator``: the emulator in the foreground (see ``cli``)."""

import sys

from slotwise_emulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
