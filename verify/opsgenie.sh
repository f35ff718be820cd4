#!/usr/bin/env bash
# Per-integration probe (seed § 1 steps 13–18): verify opsgenie alone, e.g.
#   OPERATOR_WIRING_MODE=real_opsgenie ./verify/opsgenie.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_opwire.sh"
exec "$OPWIRE" verify opsgenie "$@"
