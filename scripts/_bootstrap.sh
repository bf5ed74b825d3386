# Sourced by the other scripts: finds Python >= 3.10, creates .venv once, and
# (re)installs slotwise with its test extra whenever pyproject.toml changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SLOTWISE_VENV:-$ROOT/.venv}"

find_python() {
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

if [ ! -x "$VENV/bin/python" ]; then
    PY="$(find_python)"
    echo "==> creating virtual environment $VENV with $PY" >&2
    "$PY" -m venv "$VENV"
fi

STAMP="$VENV/.slotwise-installed"
WANT="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
    echo "==> installing slotwise and its test tools into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[test]" >&2
    echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
