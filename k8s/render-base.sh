#!/usr/bin/env bash
# Regenerates the parts of k8s/ that come from the Helm chart, so the kustomize manifests and the
# chart stay the same objects:
#   k8s/base         the chart rendered with charts/crm/ci/default-values.yaml;
#   k8s/components/  one kustomize Component per optional object (service-monitor,
#                    prometheus-rule, dashboards), rendered with ci/production-values.yaml, the
#                    values of the environment that enables them.
# scripts/validate-deploy.sh fails when they differ from a fresh rendering, and checks that each
# overlay renders what the chart renders with ci/<overlay>-values.yaml. Needs tools/bin/helm and
# tools/.venv (both set up by scripts/validate-deploy.sh).
#   k8s/render-base.sh            rewrite k8s/base and k8s/components
#   k8s/render-base.sh DIR        write DIR/base and DIR/components instead (for comparison)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-k8s}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tools/bin/helm template crm charts/crm -f charts/crm/ci/default-values.yaml >"$tmp/base.yaml"
tools/bin/helm template crm charts/crm -f charts/crm/ci/production-values.yaml >"$tmp/production.yaml"
tools/.venv/bin/python tools/deploycheck.py render-base "$tmp/base.yaml" "$out/base"
tools/.venv/bin/python tools/deploycheck.py render-components "$tmp/production.yaml" "$out/components"
