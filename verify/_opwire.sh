# Sourced by verify/*.sh: find the repo, create the virtual environment on first use, and set
# OPWIRE to the installed command. Re-installs when pyproject.toml changes.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${OPERATOR_WIRING_VENV:-$here/.venv}"
stamp="$venv/.opwire-installed"
# Installed and current: by this script (.opwire-installed) or by `make` (.dev-installed, a
# superset), either one newer than pyproject.toml.
installed() {
  [[ -x "$venv/bin/opwire" ]] || return 1
  local s
  for s in "$stamp" "$venv/.dev-installed"; do
    [[ -f "$s" && ! "$here/pyproject.toml" -nt "$s" ]] && return 0
  done
  return 1
}
if ! installed; then
  python=""
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      python="$candidate"; break
    fi
  done
  if [[ -z "$python" ]]; then
    echo "opwire: error: Python 3.11 or newer is needed (python3 not found or too old)" >&2
    exit 2
  fi
  mkdir -p "$venv"
  # Two first uses at once must not install over each other: flock where it exists (Linux),
  # else an atomic mkdir (macOS, Git Bash), waited for up to five minutes.
  lockdir="$venv/.install.lock.d"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$venv/.install.lock"
    flock 9
  else
    for _ in $(seq 1 600); do mkdir "$lockdir" 2>/dev/null && break; sleep 0.5; done
  fi
  if ! installed; then
    echo "opwire: first use: creating $venv and installing opwire (about a minute)..." >&2
    { "$python" -m venv "$venv" &&
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$here"; } >&2 ||
      { rmdir "$lockdir" 2>/dev/null
        echo "opwire: error: installing opwire into $venv failed (see above)" >&2; exit 2; }
    touch "$stamp"
    echo "opwire: installed." >&2
  fi
  exec 9>&-
  rmdir "$lockdir" 2>/dev/null || true
fi
OPWIRE="$venv/bin/opwire"
# The repo's .env.local wherever the script is run from; /dev/null (no variables) until the
# operator creates it (a named env file must exist, so a missing one is not named).
if [[ -z "${OPERATOR_WIRING_ENV_FILE:-}" ]]; then
  if [[ -f "$here/.env.local" ]]; then
    export OPERATOR_WIRING_ENV_FILE="$here/.env.local"
  else
    export OPERATOR_WIRING_ENV_FILE=/dev/null
  fi
fi
export OPERATOR_WIRING_STATE_DIR="${OPERATOR_WIRING_STATE_DIR:-$here/state}"
