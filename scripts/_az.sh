# shellcheck shell=bash
# Sourced by scripts/bench, or by hand (`source scripts/_az.sh`): provides the Azure CLI, unmodified, in
# its OWN virtual environment .venv-az (about 730 MB; never the project's .venv), installed once with
# the version pinned below (about a minute). Exports
#   AZ                 path of the az executable
#   AZURE_CONFIG_DIR   a fresh private temp dir, so a user's own `az login` and clouds are never touched
#   AZURE_CORE_*       no telemetry, no survey, no extension auto-install, no MSAL instance discovery;
#                      with the seeded version check (scripts/_az_quiet_config.py) az talks to
#                      nothing but the endpoints it is pointed at.
# It does not register the emulator as a cloud: docs/az-cli.md has that recipe.
# Settings: SLOTWISE_AZ_VENV (where the venv lives), SLOTWISE_AZ_NO_INSTALL=1 (fail instead of installing).
# It changes no shell options, so sourcing it into an interactive shell is safe.

# The constraints az is installed with, one pin a line; change a pin and the venv is brought in line.
_AZ_CONSTRAINTS='azure-cli==2.91.0'

_AZ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AZ_VENV="${SLOTWISE_AZ_VENV:-$_AZ_ROOT/.venv-az}"
# shellcheck source=scripts/_python.sh
source "$_AZ_ROOT/scripts/_python.sh"

_az_install() {
    local stamp="$AZ_VENV/.slotwise-az-installed" want started py constraints
    want="$(printf '%s\n' "$_AZ_CONSTRAINTS" | sha256sum | cut -d' ' -f1)"
    if [ -x "$AZ_VENV/bin/az" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    if [ "${SLOTWISE_AZ_NO_INSTALL:-}" = 1 ]; then
        echo "the Azure CLI is not installed in $AZ_VENV (and SLOTWISE_AZ_NO_INSTALL=1)" >&2
        return 1
    fi
    started=$SECONDS
    echo "==> installing the Azure CLI ($_AZ_CONSTRAINTS) into $AZ_VENV (once; ~1 min, ~730 MB)" >&2
    if [ ! -x "$AZ_VENV/bin/python" ]; then
        py="$(find_python)" || return 1
        "$py" -m venv "$AZ_VENV" || return 1
    fi
    constraints="$(mktemp)" || return 1
    printf '%s\n' "$_AZ_CONSTRAINTS" >"$constraints"
    "$AZ_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2 &&
        "$AZ_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            -c "$constraints" azure-cli >&2
    local status=$?
    rm -f "$constraints"
    if [ "$status" -ne 0 ]; then
        echo "installing the Azure CLI into $AZ_VENV failed (pip exited $status)" >&2
        return "$status"
    fi
    echo "$want" >"$stamp"
    echo "==> Azure CLI installed in $((SECONDS - started)) s; $AZ_VENV is $(du -sh "$AZ_VENV" | cut -f1)" >&2
}

if _az_install; then
    export AZ="$AZ_VENV/bin/az"
    # A private configuration directory for this use: clouds, logins and token caches land here only.
    AZURE_CONFIG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/slotwise-az.XXXXXX")"
    export AZURE_CONFIG_DIR
    # Without this, az's first run in a fresh config dir looks up its latest release at Microsoft.
    "$AZ_VENV/bin/python" "$_AZ_ROOT/scripts/_az_quiet_config.py" "$AZURE_CONFIG_DIR"
    export AZURE_CORE_COLLECT_TELEMETRY=false
    export AZURE_CORE_SURVEY_MESSAGE=false
    export AZURE_EXTENSION_USE_DYNAMIC_INSTALL=no
    export AZURE_CORE_NO_COLOR=true
    # The emulator's Entra ID is no real authority: MSAL must not ask login.microsoftonline.com about it.
    export AZURE_CORE_INSTANCE_DISCOVERY=false
    unset -f _az_install
else
    unset -f _az_install
    # shellcheck disable=SC2317  # `exit` is reached only when this file is executed, not sourced
    return 1 2>/dev/null || exit 1
fi
