#!/usr/bin/env bash
# The README's architecture picture: scripts/architecture.yml renders it from inventories/demo (without
# reaching any host) and this puts it between the <!-- architecture:begin --> and
# <!-- architecture:end --> lines of README.md.
# Usage: scripts/architecture.sh            rewrite the block
#        scripts/architecture.sh --check    exit 1 and show the diff when the block is stale
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac

readme=README.md
begin='<!-- architecture:begin -->'
end='<!-- architecture:end -->'
if [ "$(grep -cxF "$begin" "$readme")" != 1 ] || [ "$(grep -cxF "$end" "$readme")" != 1 ]; then
  echo "architecture: $readme needs one '$begin' line and one '$end' line" >&2
  exit 2
fi

"$root/scripts/link-collection.sh"
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.cache/collections${ANSIBLE_COLLECTIONS_PATH:+:$ANSIBLE_COLLECTIONS_PATH}"
export ANSIBLE_NOCOLOR=1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if ! ansible-playbook -i inventories/demo scripts/architecture.yml \
    -e "{\"architecture_output\": \"$work/architecture.md\"}" >"$work/playbook.log" 2>&1; then
  cat "$work/playbook.log" >&2
  echo "architecture: scripts/architecture.yml failed" >&2
  exit 1
fi

# The README with the block replaced: the lines up to the begin marker, a note, the picture, then the
# end marker and everything after it.
{
  echo "<!-- Generated from inventories/demo by \`make architecture\` (scripts/architecture.sh): do not edit. -->"
  echo
  cat "$work/architecture.md"
} >"$work/block.md"
awk -v begin="$begin" -v end="$end" -v block="$work/block.md" '
  $0 == end { inside = 0 }
  !inside { print }
  $0 == begin { while ((getline line < block) > 0) print line; inside = 1 }
' "$readme" >"$work/README.md"

if cmp -s "$readme" "$work/README.md"; then
  echo "architecture: $readme is up to date"
  exit 0
fi
if $check; then
  diff -u --label "$readme" --label "$readme (regenerated)" "$readme" "$work/README.md" || true
  echo "architecture: the picture in $readme is stale; run make architecture" >&2
  exit 1
fi
# Rewritten in place (same file, same mode).
cat "$work/README.md" >"$readme"
echo "architecture: $readme updated"
