#!/usr/bin/env bash
# Per-integration probe (seed § 1 steps 13–18): verify splunk alone, e.g.
#   OPERATOR_WIRING_MODE=real_splunk ./verify/splunk.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_opwire.sh"
exec "$OPWIRE" verify splunk "$@"
