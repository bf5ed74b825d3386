# shellcheck shell=bash
# Sourced by the other scripts: finds Python >= 3.10, creates .venv once, and
# (re)installs slotwise and its emulator (emulator/, a distribution of its own) with their test
# extras whenever either pyproject.toml changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SLOTWISE_VENV:-$ROOT/.venv}"
# shellcheck source=scripts/_python.sh
source "$ROOT/scripts/_python.sh"

if [ ! -x "$VENV/bin/python" ]; then
    PY="$(find_python)"
    echo "==> creating virtual environment $VENV with $PY" >&2
    "$PY" -m venv "$VENV"
fi

STAMP="$VENV/.slotwise-installed"
WANT="$(cat "$ROOT/pyproject.toml" "$ROOT/emulator/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
    echo "==> installing slotwise, its emulator and their test tools into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -e "${ROOT}/emulator[test]" -e "${ROOT}[test,emulator]" >&2
    echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
