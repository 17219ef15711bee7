#!/usr/bin/env bash
# Fails when the contract under proto/ breaks clients generated from the
# previous commit of main (`buf breaking`, FILE rules from buf.yaml).
#
#   bash .ci/check-contract-compatibility.sh [against-ref]   (default HEAD~1)
#
# A breaking change is allowed only as a new version of the contract: each
# version directory (proto/learnerstate/vN) is compared with itself in the
# previous commit, and a version may be removed only when a newer one exists.
set -euo pipefail
cd "$(dirname "$0")/.."

against="${1:-HEAD~1}"
if ! git rev-parse --verify --quiet "$against^{commit}" >/dev/null; then
  echo "contract: no commit $against to compare with (first commit or shallow clone); nothing to check"
  exit 0
fi

version_numbers() { sed -n 's#^proto/learnerstate/v\([0-9]*\)/*$#\1#p' | sort -n; }
mapfile -t before < <(git ls-tree -d --name-only "$against" proto/learnerstate/ | version_numbers)
mapfile -t now < <(compgen -G 'proto/learnerstate/v*/' | version_numbers || true)
newest=0
[ "${#now[@]}" -gt 0 ] && newest="${now[-1]}"

paths=()
for version in "${before[@]}"; do
  directory="proto/learnerstate/v$version"
  if [ -d "$directory" ]; then
    paths+=(--path "$directory")
  elif [ "$version" -ge "$newest" ]; then
    echo "contract: $directory was removed and no newer version replaces it" >&2
    exit 1
  else
    echo "contract: $directory retired in favour of v$newest"
  fi
done

if [ "${#paths[@]}" -gt 0 ]; then
  npx buf breaking --against ".git#ref=$against" "${paths[@]}"
fi
# The standard gRPC services (health, reflection) never change version.
npx buf breaking third_party/proto --against ".git#ref=$against,subdir=third_party/proto"
echo "contract: compatible with $(git rev-parse --short "$against")"
