"""Loaded by every Python subprocess a test starts with clean_env(): the network guard."""

import os
import sys

if os.environ.get("OPWIRE_NETGUARD", "on") != "off":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import netguard

    netguard.install(log_to_file=True)
    del sys.path[0]
