# Sourced by verify/*.sh: find the repo, create the virtual environment on first use, and set
# OPWIRE to the installed command. Re-installs when pyproject.toml changes.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${OPERATOR_WIRING_VENV:-$here/.venv}"
stamp="$venv/.opwire-installed"
if [[ ! -x "$venv/bin/opwire" || ! -f "$stamp" || "$here/pyproject.toml" -nt "$stamp" ]]; then
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
  exec 9>"$venv/.install.lock"
  flock 9
  if [[ ! -x "$venv/bin/opwire" || ! -f "$stamp" || "$here/pyproject.toml" -nt "$stamp" ]]; then
    echo "opwire: first use: creating $venv and installing opwire (about a minute)..." >&2
    { "$python" -m venv "$venv" &&
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$here"; } >&2 ||
      { echo "opwire: error: installing opwire into $venv failed (see above)" >&2; exit 2; }
    touch "$stamp"
    echo "opwire: installed." >&2
  fi
  exec 9>&-
fi
OPWIRE="$venv/bin/opwire"
export OPERATOR_WIRING_ENV_FILE="${OPERATOR_WIRING_ENV_FILE:-$here/.env.local}"
export OPERATOR_WIRING_STATE_DIR="${OPERATOR_WIRING_STATE_DIR:-$here/state}"
