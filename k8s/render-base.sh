#!/usr/bin/env bash
# Regenerates k8s/base from the Helm chart rendered with charts/crm/ci/default-values.yaml, so
# the kustomize manifests and the chart stay the same objects. scripts/validate-deploy.sh fails
# when k8s/base differs from a fresh rendering. Needs tools/bin/helm and tools/.venv (both set up
# by scripts/validate-deploy.sh).
#   k8s/render-base.sh            rewrite k8s/base
#   k8s/render-base.sh DIR        write the rendering to DIR instead (for comparison)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-k8s/base}"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
tools/bin/helm template crm charts/crm -f charts/crm/ci/default-values.yaml >"$tmp"
tools/.venv/bin/python tools/deploycheck.py render-base "$tmp" "$out"
