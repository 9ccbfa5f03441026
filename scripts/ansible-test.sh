#!/usr/bin/env bash
# Run ansible-test (sanity, units ...) on a copy of this checkout placed where ansible-test wants a
# collection: .../ansible_collections/scalable/webstack, outside this git checkout (inside it,
# ansible-test would ask git which files exist and find them ignored). Each test gets its own venv
# with the requirements ansible-test pins.  Usage: scripts/ansible-test.sh sanity [options]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${ANSIBLE_TEST_TREE:-${XDG_CACHE_HOME:-$HOME/.cache}/scalable-webstack}/ansible_collections/scalable/webstack"

rm -rf "$dest"
mkdir -p "$dest"
cd "$root"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' path; do [ -e "$path" ] && printf '%s\0' "$path"; done \
  | tar --null -T - -cf - | tar -C "$dest" -xf -

# ansible-test bootstraps pip in its venvs with a get-pip script it downloads from a host this
# network may not reach. A cached script at the path it checks first is used instead: ours installs
# the pinned pip from the package index with ensurepip + pip, trusting the system CA bundle
# (ansible-test does not read pip.conf).
pip_version="$(python - <<'PY'
import pathlib, re, ansible_test
source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", source.read_text()).group(1))
PY
)"
stand_in="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -f "$stand_in" ]; then
  mkdir -p "$(dirname "$stand_in")"
  cat >"$stand_in" <<PY
"""Stand-in for get-pip.py $pip_version, written by scalable.webstack's scripts/ansible-test.sh."""
import os
import subprocess
import sys

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
cert = ["--cert", CA_BUNDLE] if os.path.exists(CA_BUNDLE) else []
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", *cert, *args])
PY
fi

# The shellcheck sanity test is skipped silently without the program.
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "ansible-test.sh: installing Debian's shellcheck"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; }
fi

python_version="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
cd "$dest"
command="$1"
shift
exec ansible-test "$command" --venv --requirements --python "$python_version" --color no "$@"
