#!/usr/bin/env bash
# Third-party parsers the format tests validate against: prometheus_client (exposition format),
# junitparser and xmlschema (JUnit XML); ansible-core runs the fleet playbook (scripts/fleet).
# Into .test-env/venv-tools; idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.test-env/venv-tools
want="prometheus_client==0.21.1 junitparser==3.2.0 xmlschema==3.4.3 ansible-core==2.17.7"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.installed" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check $want
echo "$want" > "$venv/.installed"
