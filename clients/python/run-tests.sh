#!/usr/bin/env bash
# Tests of the Python client against real learnerstate servers: the one entry
# point CI calls, from the repository root, after `npm ci`.
#
#   bash clients/python/run-tests.sh [extra unittest arguments]
#
# Installs Debian's protoc, grpc_python_plugin, the well-known .proto files
# (libprotobuf-dev), python3-grpcio, python3-protobuf, venv, setuptools and
# wheel, and what the Open edX packages in ../shared/openedx-python need, when
# missing (those packages go on PYTHONPATH for the drop-in backend's tests).
# Checks that the committed stubs match proto/, installs the package with pip
# into a fresh venv made from Debian's /usr/bin/python3 (with its site
# packages), and runs the suite with the venv's python, so the tests use the
# installed package, not the source tree. The servers use TEST_DATABASE_URL's PostgreSQL, else the
# one at 127.0.0.1:5432 if it answers, else the embedded database.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
python=/usr/bin/python3
packages=(protobuf-compiler protobuf-compiler-grpc libprotobuf-dev python3-grpcio python3-protobuf python3-venv python3-setuptools python3-wheel)
# What the unmodified Open edX packages in ../shared/openedx-python import
# (see its README), for the drop-in backend's tests.
openedx_packages=(python3-stevedore python3-setuptools python3-tz python3-fs python3-lxml python3-mako python3-markupsafe
  python3-dateutil python3-yaml python3-simplejson python3-webob python3-pymongo python3-typing-extensions)
openedx_python="$(cd "$repo/.." && pwd)/shared/openedx-python"
[ -d "$openedx_python" ] || { echo "run-tests.sh: $openedx_python is missing: the drop-in backend's tests need the shared Open edX packages beside the checkout" >&2; exit 1; }

have_everything() {
  command -v protoc >/dev/null 2>&1 &&
    [ -x /usr/bin/grpc_python_plugin ] &&
    [ -f /usr/include/google/protobuf/timestamp.proto ] &&
    "$python" -c 'import grpc, google.protobuf, ensurepip, setuptools, wheel' >/dev/null 2>&1 &&
    PYTHONPATH="$openedx_python" "$python" -c 'import edx_user_state_client.interface, opaque_keys.edx.keys, xblock.fields' >/dev/null 2>&1
}

if ! have_everything; then
  bash "$repo/.ci/install-debian-packages.sh" "${packages[@]}" "${openedx_packages[@]}"
  have_everything || { echo "run-tests.sh: the packages installed, but protoc or grpc for $python are still missing" >&2; exit 1; }
fi

[ -d node_modules/esbuild ] || { echo "run-tests.sh: run 'npm ci' first: the tests start the server that npm start runs" >&2; exit 1; }
echo "== python client: build the server (npm run build)"
npm run --silent build

echo "== python client: the committed stubs match proto/ (generate.sh)"
bash "$here/generate.sh"
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
  [ -n "$(git -C "$repo" status --porcelain -- clients/python/learnerstate_client/_generated)" ]; then
  git -C "$repo" status --porcelain -- clients/python/learnerstate_client/_generated
  echo "run-tests.sh: the Python stubs differ from what generate.sh produces: commit them" >&2
  exit 1
fi

echo "== python client: pip install into a fresh venv"
# The venv sees Debian's grpcio and protobuf (--system-site-packages), as
# PyPI is not reachable here; pip builds the package with Debian's setuptools
# and wheel instead of fetching them (--no-build-isolation), and needs no index.
venv="$(mktemp -d "${TMPDIR:-/tmp}/learnerstate-client-venv.XXXXXX")"
build="$(mktemp -d "${TMPDIR:-/tmp}/learnerstate-client-build.XXXXXX")"
trap 'rm -rf "$venv" "$build"' EXIT
"$python" -m venv --system-site-packages "$venv"
# A copy, so the build's egg-info and build/ stay out of the checkout.
cp -r "$here/." "$build/"
"$venv/bin/python" -m pip install --quiet --no-index --no-build-isolation "$build"
installed="$(cd / && "$venv/bin/python" -c 'import learnerstate_client; print(learnerstate_client.__file__)')"
case "$installed" in
  "$venv"/*) echo "installed: $installed" ;;
  *) echo "run-tests.sh: learnerstate_client was imported from $installed, not from the venv" >&2; exit 1 ;;
esac

echo "== python client: tests, with the installed package"
# Bytecode caches stay out of the checkout.
export PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH="$openedx_python${PYTHONPATH:+:$PYTHONPATH}"
timeout --kill-after=10 600 "$venv/bin/python" -m unittest discover -s "$here/tests" -t "$here/tests" -v "$@"
