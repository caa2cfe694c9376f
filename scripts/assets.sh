#!/usr/bin/env bash
# Installs the browser libraries from the npm registry (pinned by assets/package-lock.json)
# and copies the files the server serves into assets/dist/.
set -euo pipefail
cd "$(dirname "$0")/../assets"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
rm -rf dist && mkdir -p dist/docs
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css dist/docs/
echo "assets ready in assets/dist"
