# shellcheck shell=bash
# Sourced by the other scripts: finds Python >= 3.10, creates .venv once, and
# (re)installs slotwise and its emulator (emulator/, a distribution of its own) with their test
# extras whenever either pyproject.toml or the tasks' lock changed. The tasks' dependencies are
# installed at the versions of tasks/_runtime/requirements.lock (a constraint), so the tests run
# with what the pipeline agents get.
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
RUNTIME_LOCK="$ROOT/tasks/_runtime/requirements.lock"
WANT="$(cat "$ROOT/pyproject.toml" "$ROOT/emulator/pyproject.toml" "$RUNTIME_LOCK" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
    echo "==> installing slotwise, its emulator and their test tools into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    # the lock without its hashes: a hashed constraint would put pip in --require-hashes mode
    # for everything it installs
    CONSTRAINTS="$(mktemp)"
    sed -e '/^ *--hash=/d' -e 's/ *\\$//' "$RUNTIME_LOCK" > "$CONSTRAINTS"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c "$CONSTRAINTS" \
        -e "${ROOT}/emulator[test]" -e "${ROOT}[test,emulator]" >&2
    rm -f "$CONSTRAINTS"
    echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
