#!/usr/bin/env bash
# Exit 0 when MongoDB's apt repository answers; otherwise say in one line why the scenario cannot run.
url="${MONGODB_REPOSITORY_URL:-https://repo.mongodb.org/apt/debian}/dists/bookworm/mongodb-org/7.0/Release"
if error="$(curl -fsS --max-time 15 -o /dev/null "$url" 2>&1)"; then
  exit 0
fi
echo "MongoDB's apt repository is unreachable from this machine ($url: ${error#curl: }); MongoDB server" \
     "packages are not in Debian, PyPI or npm, so no real mongod can run here. Set MONGODB_REPOSITORY_URL to a mirror."
exit 1
