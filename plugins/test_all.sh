#!/usr/bin/env bash
# Install each first-party plugin (editable) into the given Python's environment and run its tests.
#   plugins/test_all.sh [PYTHON]      default: .venv/bin/python if it exists, else python3
# The environment must already have memcli installed (`pip install -e '.[test]'`).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
status=0
for dir in plugins/*/; do
    [ -f "$dir/pyproject.toml" ] || continue
    echo "+ $python -m pip install -q -e $dir && $python -m pytest -q $dir/tests"
    "$python" -m pip install -q -e "$dir"
    "$python" -m pytest -q -p no:cacheprovider --rootdir "$dir" "$dir/tests" || status=1
done
exit $status
