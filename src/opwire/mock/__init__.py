"""What every vendor mock shares: control routes, fault rules, request log, serving."""
