# shellcheck shell=bash
# Sourced by _bootstrap.sh and _az.sh: find_python prints the first Python >= 3.10 it finds
# ($PYTHON, then python3.13 down to python3.10, python3, python) or says what it tried. No shell
# options are changed, so it is safe to source into an interactive shell.
find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3.10 python3 python; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "slotwise needs Python 3.10 or newer; tried \$PYTHON, python3.13..python3.10, python3, python." >&2
    echo "Install one, or point PYTHON at it: PYTHON=/path/to/python3.12 $0" >&2
    return 1
}
