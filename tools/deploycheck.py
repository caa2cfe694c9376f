#!/usr/bin/env python3
"""Checks of the deployment files that need no cluster and no Docker engine.

Used by scripts/validate-deploy.sh (run with tools/.venv/bin/python, which has PyYAML):

  deploycheck.py rules FILE...            our rules on rendered manifests (probes, limits, non-root,
                                          read-only root, tags, labels, references, shutdown timing)
  deploycheck.py split-crds IN OUT        copy IN without the prometheus-operator objects (which
                                          kubernetes-validate has no schema for) and check those here
  deploycheck.py dockerfile               static checks of Dockerfile and .dockerignore
  deploycheck.py image-binary             the Dockerfile's cargo build run here, and its binary checked
  deploycheck.py dashboard-rules OUT      every dashboard query as a recording rule, for promtool
  deploycheck.py render-base IN OUTDIR    k8s/base from `helm template` output (k8s/render-base.sh)
  deploycheck.py render-components IN OUTDIR
                                          k8s/components/* (ServiceMonitor, PrometheusRule, dashboards)
                                          from `helm template` output with them enabled
  deploycheck.py equivalent ENV NAMESPACE HELM KUSTOMIZE
                                          the overlay's rendering holds the same objects as the chart's
                                          with ci/ENV-values.yaml, field for field (allowlist below)
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_LABELS = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
]
CRD_GROUPS = ("monitoring.coreos.com/",)
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}


def load_docs(path: str) -> list[dict]:
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


class Report:
    def __init__(self, source: str):
        self.source = source
        self.errors: list[str] = []

    def err(self, doc: dict | None, msg: str) -> None:
        where = ""
        if doc is not None:
            where = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}: "
        self.errors.append(f"{self.source}: {where}{msg}")


# --------------------------------------------------------------------------- manifests rules


def pod_spec(doc: dict) -> tuple[dict, dict] | None:
    """(pod template metadata, pod spec) of a workload."""
    spec = doc.get("spec", {})
    if doc["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    tpl = spec.get("template")
    if tpl is None:
        return None
    return tpl.get("metadata", {}), tpl.get("spec", {})


def image_ok(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return f"image {image!r} has no tag"
    tag = name.rsplit(":", 1)[1]
    if tag == "latest" or not tag:
        return f"image {image!r} uses the tag {tag!r}"
    return None


def env_value(container: dict, configmaps: dict[str, dict], name: str) -> str | None:
    for e in container.get("env", []) or []:
        if e.get("name") == name and "value" in e:
            return str(e["value"])
    for src in container.get("envFrom", []) or []:
        ref = (src.get("configMapRef") or {}).get("name")
        if ref in configmaps and name in (configmaps[ref].get("data") or {}):
            return str(configmaps[ref]["data"][name])
    return None


def selector_matches(selector: dict, labels: dict) -> bool:
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        val = labels.get(expr["key"])
        op = expr["operator"]
        if op == "In" and val not in expr.get("values", []):
            return False
        if op == "NotIn" and val in expr.get("values", []):
            return False
        if op == "Exists" and val is None:
            return False
        if op == "DoesNotExist" and val is not None:
            return False
    return True


def required_settings() -> set[str]:
    """Settings crm refuses to start without, read from crates/crm/src/settings.rs."""
    src = (ROOT / "crates/crm/src/settings.rs").read_text()
    return set(re.findall(r'name:\s*"([A-Z_]+)",\s*reason:\s*"is required', src))


def env_names(container: dict, configmaps: dict[str, dict]) -> set[str]:
    names = {e.get("name") for e in container.get("env", []) or []}
    for src in container.get("envFrom", []) or []:
        ref = (src.get("configMapRef") or {}).get("name")
        names |= set((configmaps.get(ref) or {}).get("data") or {})
    return names


BODY_SIZE = "nginx.ingress.kubernetes.io/proxy-body-size"


def import_max_bytes() -> int:
    """The largest CSV import the api accepts: MAX_FILE_BYTES of crates/services/src/import/file.rs."""
    src = (ROOT / "crates/services/src/import/file.rs").read_text()
    m = re.search(r"MAX_FILE_BYTES:\s*\w+\s*=\s*([0-9_* ]+);", src)
    if not m:
        raise SystemExit("crates/services/src/import/file.rs: MAX_FILE_BYTES not found (deploycheck reads it)")
    size = 1
    for factor in m.group(1).replace("_", "").split("*"):
        size *= int(factor)
    return size


def nginx_size(value: str) -> int | None:
    """Bytes of an nginx size ("64m", "512k", "1g", "0" = unlimited), None when malformed."""
    m = re.fullmatch(r"([0-9]+)([kKmMgG]?)", value.strip())
    if not m:
        return None
    return int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


def body_limit_problem(ing: dict) -> str | None:
    """The ingress must let CSV imports through: ingress-nginx refuses larger bodies with 413
    before the api sees them, and its own default (when the annotation is absent) is 1m."""
    need = import_max_bytes()
    value = ((ing.get("metadata") or {}).get("annotations") or {}).get(BODY_SIZE)
    if value is None:
        if (ing.get("spec") or {}).get("ingressClassName") == "nginx":
            return f"{BODY_SIZE} unset: ingress-nginx then refuses bodies over 1m, imports take up to {need >> 20}m"
        return None
    size = nginx_size(str(value))
    if size is None:
        return f"{BODY_SIZE} {value!r} is not an nginx size"
    if size != 0 and size < need:
        return f"{BODY_SIZE} {value} is below the {need >> 20}m CSV imports may take (POST /api/v1/clients/import)"
    return None


def check_container(rep: Report, doc: dict, pod: dict, c: dict, needs_probes: bool) -> None:
    name = c.get("name")
    problem = image_ok(c.get("image", ""))
    if problem:
        rep.err(doc, f"container {name}: {problem}")
    res = c.get("resources") or {}
    for kind in ("requests", "limits"):
        for r in ("cpu", "memory"):
            if not (res.get(kind) or {}).get(r):
                rep.err(doc, f"container {name}: resources.{kind}.{r} missing")
    sc = c.get("securityContext") or {}
    psc = pod.get("securityContext") or {}
    if not (sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True):
        rep.err(doc, f"container {name}: runAsNonRoot is not true")
    if sc.get("runAsUser", psc.get("runAsUser")) == 0:
        rep.err(doc, f"container {name}: runs as uid 0")
    if sc.get("readOnlyRootFilesystem") is not True:
        rep.err(doc, f"container {name}: readOnlyRootFilesystem is not true")
    if sc.get("allowPrivilegeEscalation") is not False:
        rep.err(doc, f"container {name}: allowPrivilegeEscalation is not false")
    if sc.get("privileged"):
        rep.err(doc, f"container {name}: privileged")
    if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
        rep.err(doc, f"container {name}: capabilities.drop lacks ALL")
    seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
    if seccomp not in ("RuntimeDefault", "Localhost"):
        rep.err(doc, f"container {name}: no RuntimeDefault seccomp profile")
    if needs_probes:
        for probe in ("readinessProbe", "livenessProbe"):
            if not c.get(probe):
                rep.err(doc, f"container {name}: {probe} missing")
        ports = {p.get("name") for p in c.get("ports", []) or []} | {
            p.get("containerPort") for p in c.get("ports", []) or []
        }
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            port = ((c.get(probe) or {}).get("httpGet") or {}).get("port")
            if port is not None and port not in ports:
                rep.err(doc, f"container {name}: {probe} uses port {port!r}, not declared")


REQUIRED: set[str] = set()


def check_manifests(path: str) -> list[str]:
    rep = Report(path)
    docs = load_docs(path)
    if not docs:
        rep.err(None, "no objects rendered")
        return rep.errors
    by_kind: dict[str, dict[str, dict]] = {}
    for d in docs:
        by_kind.setdefault(d.get("kind"), {})[d.get("metadata", {}).get("name")] = d
    configmaps = by_kind.get("ConfigMap", {})
    pods: list[tuple[dict, dict, dict]] = []  # (workload, template labels, pod spec)

    for d in docs:
        meta = d.get("metadata") or {}
        labels = meta.get("labels") or {}
        for label in REQUIRED_LABELS:
            if not labels.get(label):
                rep.err(d, f"label {label} missing")
        if d.get("kind") not in WORKLOADS:
            continue
        tpl_meta, spec = pod_spec(d) or ({}, {})
        tpl_labels = tpl_meta.get("labels") or {}
        for label in ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component"):
            if not tpl_labels.get(label):
                rep.err(d, f"pod template label {label} missing")
        pods.append((d, tpl_labels, spec))
        needs_probes = d["kind"] not in ("Job", "CronJob")
        if not spec.get("containers"):
            rep.err(d, "no containers")
        for c in spec.get("containers", []) or []:
            check_container(rep, d, spec, c, needs_probes)
        for c in spec.get("initContainers", []) or []:
            check_container(rep, d, spec, c, False)
        if spec.get("automountServiceAccountToken") is not False:
            rep.err(d, "automountServiceAccountToken is not false (crm does not use the Kubernetes API)")
        mounts = {m.get("mountPath") for c in spec.get("containers", []) or [] for m in c.get("volumeMounts", []) or []}
        if "/tmp" not in mounts:
            rep.err(d, "no writable /tmp (emptyDir) with a read-only root filesystem")
        if d["kind"] == "Deployment":
            sel = (d.get("spec", {}).get("selector") or {})
            if not selector_matches(sel, tpl_labels):
                rep.err(d, "selector does not match the pod template labels")
        # Shutdown timing: grace must cover preStop + CRM_SHUTDOWN_GRACE (crm's own deadline).
        for c in spec.get("containers", []) or []:
            args = c.get("args") or c.get("command") or []
            have = env_names(c, configmaps)
            need = set(REQUIRED)
            if "migrate" in args:
                need.add("CRM_MIGRATE_DATABASE_URL")
            for setting in sorted(need):
                if setting not in have and f"{setting}_FILE" not in have:
                    rep.err(d, f"container {c.get('name')}: {setting} is not set (crm refuses to start without it)")
            grace_setting = env_value(c, configmaps, "CRM_SHUTDOWN_GRACE")
            delay_setting = env_value(c, configmaps, "CRM_SHUTDOWN_DELAY")
            if "serve" in args:
                pre = ((c.get("lifecycle") or {}).get("preStop") or {})
                sleep = int((pre.get("sleep") or {}).get("seconds", 0))
                if not pre:
                    rep.err(d, f"container {c.get('name')}: no preStop drain")
                tgps = int(spec.get("terminationGracePeriodSeconds", 30))
                grace = int(grace_setting or 20)
                if tgps <= sleep + grace:
                    rep.err(d, f"terminationGracePeriodSeconds {tgps} must exceed preStop {sleep}s + CRM_SHUTDOWN_GRACE {grace}s")
                if delay_setting is not None and 2 * int(delay_setting) > grace:
                    rep.err(d, f"CRM_SHUTDOWN_DELAY {delay_setting} exceeds half of CRM_SHUTDOWN_GRACE {grace}")
            if "worker" in args:
                tgps = int(spec.get("terminationGracePeriodSeconds", 30))
                if tgps <= int(grace_setting or 20):
                    rep.err(d, f"terminationGracePeriodSeconds {tgps} must exceed CRM_SHUTDOWN_GRACE {grace_setting or 20}s")
            for src in c.get("envFrom", []) or []:
                ref = (src.get("configMapRef") or {}).get("name")
                if ref and ref not in configmaps:
                    rep.err(d, f"envFrom ConfigMap {ref} is not part of the rendering")

    def pods_matching(selector: dict) -> list[tuple[dict, dict, dict]]:
        return [p for p in pods if selector and selector_matches(selector, p[1])]

    for svc in by_kind.get("Service", {}).values():
        sel = svc.get("spec", {}).get("selector") or {}
        matched = pods_matching({"matchLabels": sel})
        if not matched:
            rep.err(svc, "selector matches no pod template")
        for port in svc.get("spec", {}).get("ports", []) or []:
            target = port.get("targetPort", port.get("port"))
            declared = {
                p.get("name") if isinstance(target, str) else p.get("containerPort")
                for _, _, spec in matched
                for c in spec.get("containers", []) or []
                for p in c.get("ports", []) or []
            }
            if matched and target not in declared:
                rep.err(svc, f"targetPort {target!r} is not a container port of the selected pods")
    for ing in by_kind.get("Ingress", {}).values():
        for rule in ing.get("spec", {}).get("rules", []) or []:
            for p in (rule.get("http") or {}).get("paths", []) or []:
                backend = (p.get("backend") or {}).get("service") or {}
                svc = by_kind.get("Service", {}).get(backend.get("name"))
                if svc is None:
                    rep.err(ing, f"backend Service {backend.get('name')} is not part of the rendering")
                    continue
                want = backend.get("port", {})
                names = {sp.get("name") for sp in svc["spec"].get("ports", [])}
                numbers = {sp.get("port") for sp in svc["spec"].get("ports", [])}
                if want.get("name") not in names and want.get("number") not in numbers:
                    rep.err(ing, f"backend port {want} is not a port of Service {svc['metadata']['name']}")
        for tls in ing.get("spec", {}).get("tls", []) or []:
            if not tls.get("secretName"):
                rep.err(ing, "tls entry without secretName")
        problem = body_limit_problem(ing)
        if problem:
            rep.err(ing, problem)
    for hpa in by_kind.get("HorizontalPodAutoscaler", {}).values():
        ref = hpa["spec"]["scaleTargetRef"]
        target = by_kind.get(ref["kind"], {}).get(ref["name"])
        if target is None:
            rep.err(hpa, f"scaleTargetRef {ref['kind']}/{ref['name']} is not part of the rendering")
        elif "replicas" in target.get("spec", {}):
            rep.err(target, "sets spec.replicas while an HPA scales it (every apply would reset the count)")
        if hpa["spec"].get("minReplicas", 1) > hpa["spec"]["maxReplicas"]:
            rep.err(hpa, "minReplicas > maxReplicas")
        for m in hpa["spec"].get("metrics", []) or []:
            res = (m.get("resource") or {}).get("name")
            if target and res:
                for c in pod_spec(target)[1].get("containers", []):
                    if not ((c.get("resources") or {}).get("requests") or {}).get(res):
                        rep.err(hpa, f"scales on {res} but container {c['name']} requests none")
    for pdb in by_kind.get("PodDisruptionBudget", {}).values():
        if not pods_matching(pdb["spec"].get("selector") or {}):
            rep.err(pdb, "selector matches no pod template")
    for np_ in by_kind.get("NetworkPolicy", {}).values():
        if not pods_matching(np_["spec"].get("podSelector") or {}):
            rep.err(np_, "podSelector matches no pod template")
    for sa_user in pods:
        sa = sa_user[2].get("serviceAccountName")
        hook = (sa_user[0]["metadata"].get("annotations") or {}).get("helm.sh/hook")
        if sa and sa != "default" and not hook and sa not in by_kind.get("ServiceAccount", {}):
            rep.err(sa_user[0], f"ServiceAccount {sa} is not part of the rendering")
    numeric = re.compile(r"_(SECS|GRACE|DELAY|CONNECTIONS|CONCURRENCY|BYTES)$|_LIMIT_")
    for cm in configmaps.values():
        for k, v in (cm.get("data") or {}).items():
            if k.startswith("CRM_") and numeric.search(k) and not re.fullmatch(r"[0-9]+", str(v)):
                rep.err(cm, f"{k}={v!r} is not a whole number (crm would refuse to start)")
    for d in docs:
        if d.get("apiVersion", "").startswith(CRD_GROUPS):
            check_crd(rep, d, by_kind)
    return rep.errors


def check_crd(rep: Report, d: dict, by_kind: dict) -> None:
    """Structural checks of the prometheus-operator objects (no schema for them offline)."""
    spec = d.get("spec") or {}
    if d["kind"] == "ServiceMonitor":
        eps = spec.get("endpoints") or []
        if not eps:
            rep.err(d, "no endpoints")
        services = [
            s for s in by_kind.get("Service", {}).values()
            if selector_matches(spec.get("selector") or {}, s["metadata"].get("labels") or {})
        ]
        if not services:
            rep.err(d, "selector matches no Service")
        for ep in eps:
            for s in services:
                if ep.get("port") not in {p.get("name") for p in s["spec"].get("ports", [])}:
                    rep.err(d, f"endpoint port {ep.get('port')!r} is not a port of Service {s['metadata']['name']}")
    elif d["kind"] == "PrometheusRule":
        groups = spec.get("groups") or []
        if not groups:
            rep.err(d, "no rule groups")
        for g in groups:
            if not g.get("name") or not g.get("rules"):
                rep.err(d, f"group {g.get('name')!r} without name or rules")
            for r in g.get("rules", []):
                if not r.get("expr") or bool(r.get("alert")) == bool(r.get("record")):
                    rep.err(d, f"rule {r} needs expr and exactly one of alert/record")
    else:
        rep.err(d, "unknown custom resource kind")


def cmd_rules(paths: list[str]) -> int:
    errors: list[str] = []
    REQUIRED.update(required_settings())
    if not {"DATABASE_URL", "CRM_JWT_PRIVATE_KEY"} <= REQUIRED:
        errors.append(f"crates/crm/src/settings.rs: could not read the required settings (found {sorted(REQUIRED)})")
    for p in paths:
        errors += check_manifests(p)
    for e in errors:
        print(f"  FAIL {e}")
    print(f"  our rules: {len(paths)} rendering(s), settings crm requires: {', '.join(sorted(REQUIRED))}; {len(errors)} problem(s)")
    return 1 if errors else 0


def cmd_split_crds(src: str, dst: str) -> int:
    docs = load_docs(src)
    core = [d for d in docs if not d.get("apiVersion", "").startswith(CRD_GROUPS)]
    skipped = [f"{d['kind']}/{d['metadata']['name']}" for d in docs if d not in core]
    with open(dst, "w") as f:
        yaml.safe_dump_all(core, f, sort_keys=False)
    if skipped:
        print(f"  (kubernetes-validate has no schema for prometheus-operator CRDs; checked structurally instead: {', '.join(skipped)})")
    return 0


# --------------------------------------------------------------------------- Dockerfile


def dockerfile_instructions(text: str) -> list[tuple[int, str, str]]:
    out, buf, start = [], "", 0
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if not buf:
            start = n
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        word, _, rest = buf.partition(" ")
        out.append((start, word.upper(), rest.strip()))
        buf = ""
    return out


def dockerignore_patterns() -> list[tuple[bool, str]]:
    path = ROOT / ".dockerignore"
    pats = []
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            neg = line.startswith("!")
            pats.append((neg, line.lstrip("!").strip("/")))
    return pats


def ignored(rel: str, pats: list[tuple[bool, str]]) -> bool:
    parts = rel.strip("/").split("/")
    result = False
    for neg, pat in pats:
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            candidates = [pat]
            if pat.startswith("**/"):
                candidates.append(pat[3:])
            hit = any(fnmatch.fnmatchcase(prefix, c) or fnmatch.fnmatchcase(prefix, c.replace("**/", "*/")) for c in candidates)
            if pat.startswith("**/"):
                hit = hit or any(fnmatch.fnmatchcase(p, pat[3:]) for p in parts[:i])
            if hit:
                result = not neg
                break
    return result


def subcommands() -> set[str]:
    """Subcommands of the crm binary, from the clap enum in crates/crm/src/main.rs."""
    src = (ROOT / "crates/crm/src/main.rs").read_text()
    m = re.search(r"enum Command \{(.*?)\n\}", src, re.S)
    names = set()
    if m:
        for v in re.findall(r"^\s{4}([A-Z][A-Za-z]*)", m.group(1), re.M):
            names.add(re.sub(r"(?<!^)([A-Z])", r"-\1", v).lower())
    return names


def bin_names() -> set[str]:
    cargo = (ROOT / "crates/crm/Cargo.toml").read_text()
    return set(re.findall(r'\[\[bin\]\]\s*\nname\s*=\s*"([^"]+)"', cargo))


def roles_used(ins: list[tuple[int, str, str]]) -> set[str]:
    """The subcommands the image runs: its CMD (the runtime stage is the last) and the chart's
    containers, which choose the role by args."""
    used = set()
    cmd = [r for _, w, r in ins if w == "CMD"]
    if cmd:
        used.add(json.loads(cmd[-1])[0])
    for tpl in (ROOT / "charts/crm/templates").glob("*.yaml"):
        for m in re.finditer(r'args: \["([a-z-]+)"', tpl.read_text()):
            used.add(m.group(1))
    return used


def cmd_dockerfile() -> int:
    errors: list[str] = []
    text = (ROOT / "Dockerfile").read_text()
    ins = dockerfile_instructions(text)
    pats = dockerignore_patterns()
    stages: list[str] = []
    global_args = {}
    stage_of_line: dict[int, int] = {}
    for line, word, rest in ins:
        if word == "ARG" and not stages:
            k, _, v = rest.partition("=")
            global_args[k] = v
        if word == "FROM":
            toks = rest.split()
            toks = [t for t in toks if not t.startswith("--platform")]
            image = re.sub(r"\$\{(\w+)\}", lambda m: global_args.get(m.group(1), m.group(0)), toks[0])
            if ":" not in image.rsplit("/", 1)[-1] and "@" not in image:
                errors.append(f"Dockerfile:{line}: base image {image} has no tag")
            if image.endswith(":latest"):
                errors.append(f"Dockerfile:{line}: base image {image} uses latest")
            stages.append(toks[2] if len(toks) >= 3 and toks[1].upper() == "AS" else str(len(stages)))
        stage_of_line[line] = len(stages) - 1
    if len(stages) < 3:
        errors.append(f"Dockerfile: expected a multi-stage build (assets, builder, runtime), found {len(stages)} stage(s)")

    copies = 0
    for line, word, rest in ins:
        if word not in ("COPY", "ADD"):
            continue
        toks = shlex.split(rest)
        flags = [t for t in toks if t.startswith("--")]
        args = [t for t in toks if not t.startswith("--")]
        frm = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
        if frm is not None:
            if frm not in stages[: stage_of_line[line]]:
                errors.append(f"Dockerfile:{line}: COPY --from={frm} names no earlier stage")
            continue
        for src in args[:-1]:
            copies += 1
            if not (ROOT / src).exists():
                errors.append(f"Dockerfile:{line}: COPY source {src} does not exist in the repository")
            elif ignored(src, pats):
                errors.append(f"Dockerfile:{line}: COPY source {src} is excluded by .dockerignore")
    # Everything the workspace build reads must be in the context and copied.
    copied = " ".join(rest for _, w, rest in ins if w == "COPY")
    members = re.search(r"members\s*=\s*\[(.*?)\]", (ROOT / "Cargo.toml").read_text(), re.S)
    needed = {"Cargo.toml", "Cargo.lock", ".sqlx", "migrations", ".cargo"}
    for m in re.findall(r'"([^"]+)"', members.group(1) if members else ""):
        needed.add(m.split("/")[0])
    for n in sorted(needed):
        if not re.search(rf"(^|\s){re.escape(n)}(/|\s)", copied + " "):
            errors.append(f"Dockerfile: the build needs {n} but no COPY brings it")
        if ignored(n, pats):
            errors.append(f".dockerignore excludes {n}, which the build needs")
    for must in ("target", "node_modules", ".git"):
        if not ignored(must, pats) and not ignored(f"x/{must}", pats):
            errors.append(f".dockerignore should exclude {must}")

    final = [(l, w, r) for l, w, r in ins if stage_of_line[l] == len(stages) - 1]
    users = [r for _, w, r in final if w == "USER"]
    if not users:
        errors.append("Dockerfile: the runtime stage sets no USER (would run as root)")
    else:
        uid = users[-1].split(":")[0]
        if not uid.isdigit() or int(uid) == 0:
            errors.append(f"Dockerfile: runtime USER {users[-1]} must be a numeric non-root uid (runAsNonRoot needs it)")
    entry = [r for _, w, r in final if w == "ENTRYPOINT"]
    bins = bin_names()
    if not entry:
        errors.append("Dockerfile: no ENTRYPOINT in the runtime stage")
    else:
        try:
            ep = json.loads(entry[-1])
        except json.JSONDecodeError:
            ep = []
            errors.append("Dockerfile: ENTRYPOINT must use the exec (JSON) form")
        if ep and os.path.basename(ep[0]) not in bins:
            errors.append(f"Dockerfile: ENTRYPOINT {ep[0]} is not the [[bin]] of crates/crm ({bins})")
        if ep and not any(w == "COPY" and r.split()[-1] == ep[0] for _, w, r in final):
            errors.append(f"Dockerfile: nothing copies the binary to {ep[0]}")
    builds = [r for _, w, r in ins if w == "RUN" and "cargo build" in r]
    if not builds:
        errors.append("Dockerfile: no cargo build")
    for b in builds:
        if "--release" not in b or "-p crm" not in b:
            errors.append("Dockerfile: cargo build must be --release -p crm")
        for name in bins:
            if f"target/release/{name}" not in b:
                errors.append(f"Dockerfile: the build does not take target/release/{name}")
    envs = " ".join(r for _, w, r in ins if w == "ENV")
    if "SQLX_OFFLINE=true" not in envs:
        errors.append("Dockerfile: SQLX_OFFLINE=true is not set for the build")
    for needed_env in ("CRM_VERSION=", "CRM_GIT_REVISION="):
        if needed_env not in envs:
            errors.append(f"Dockerfile: ENV {needed_env[:-1]} missing")
    labels = " ".join(r for _, w, r in final if w == "LABEL")
    for lab in ("org.opencontainers.image.version=\"${VERSION}\"", "org.opencontainers.image.revision=\"${GIT_REVISION}\""):
        if lab not in labels:
            errors.append(f"Dockerfile: LABEL {lab} missing")
    for arg in ("VERSION", "GIT_REVISION"):
        if not any(w == "ARG" and r.split("=")[0] == arg for _, w, r in final):
            errors.append(f"Dockerfile: ARG {arg} missing in the runtime stage")
    exposed = " ".join(r for _, w, r in final if w == "EXPOSE").split()
    for port in ("8080", "9090"):
        if port not in exposed:
            errors.append(f"Dockerfile: EXPOSE {port} missing")
    subs = subcommands()
    used = roles_used(ins)
    for u in sorted(used):
        if u not in subs:
            errors.append(f"'{u}' is not a subcommand of crm ({sorted(subs)})")
    if "CRM_ASSETS_DIR=/app/assets/dist" not in envs or not any(
        w == "COPY" and r.endswith("/app/assets/dist") for _, w, r in final
    ):
        errors.append("Dockerfile: assets/dist must be copied to /app/assets/dist and CRM_ASSETS_DIR point there")
    for e in errors:
        print(f"  FAIL {e}")
    print(
        f"  Dockerfile: {len(stages)} stages, {copies} COPY sources in the repository, entrypoint "
        f"{entry[-1] if entry else '?'} with subcommands {sorted(used)}; {len(errors)} problem(s)"
    )
    return 1 if errors else 0


IMAGE_VERSION = "0.0.0-image-check"
IMAGE_REVISION = "image-check"


def cmd_image_binary() -> int:
    """Runs the Dockerfile's own `cargo build` (no Docker engine here) with the environment its
    builder stage sets, into target/image, then checks the binary it makes: it runs, reports the
    version and revision it was given, and answers for every subcommand the image and the
    chart start it with."""
    import subprocess
    import time

    ins = dockerfile_instructions((ROOT / "Dockerfile").read_text())
    run = next((r for _, w, r in ins if w == "RUN" and "cargo build" in r), None)
    if run is None:
        print("  FAIL Dockerfile: no cargo build")
        return 1
    argv = shlex.split(run[run.index("cargo build"):].split("&&")[0])
    # Fixed stand-ins for the build arguments: a new commit alone then rebuilds nothing.
    revision = IMAGE_REVISION
    target = ROOT / "target/image"
    env = dict(os.environ)
    # As the builder stage: offline query data, and the build arguments the binary bakes in.
    env.update(
        SQLX_OFFLINE="true",
        CARGO_TERM_COLOR="never",
        CRM_VERSION=IMAGE_VERSION,
        CRM_GIT_REVISION=revision,
        CARGO_TARGET_DIR=str(target),
    )
    started = time.monotonic()
    built = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    took = time.monotonic() - started
    if built.returncode != 0:
        print("\n".join(built.stderr.splitlines()[-30:]))
        print(f"  FAIL {' '.join(argv)} exited with {built.returncode}")
        return 1
    binary = target / "release" / "crm"
    errors = []
    version = subprocess.run([binary, "--version"], capture_output=True, text=True)
    expected = f"crm {IMAGE_VERSION} (git {revision})"
    if version.returncode != 0 or version.stdout.strip() != expected:
        errors.append(f"`crm --version` said {version.stdout.strip()!r}, expected {expected!r}")
    roles = sorted(roles_used(ins))
    for role in roles:
        helped = subprocess.run([binary, role, "--help"], capture_output=True, text=True)
        if helped.returncode != 0 or f"Usage: crm {role}" not in helped.stdout:
            errors.append(f"`crm {role} --help` failed: {helped.stderr.strip()[:200]}")
    for e in errors:
        print(f"  FAIL {e}")
    print(
        f"  {' '.join(argv)} built target/image/release/crm in {took:.0f} s; it says "
        f"{version.stdout.strip()!r} and answers for {roles}; {len(errors)} problem(s)"
    )
    return 1 if errors else 0


# --------------------------------------------------------------------------- dashboards → promtool


GRAFANA_VARS = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
}


def dashboard_queries() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "charts/crm/dashboards").glob("*.json")):
        dash = json.loads(path.read_text())

        def walk(node, where):
            if isinstance(node, dict):
                if isinstance(node.get("expr"), str):
                    out.append((f"{path.name}:{where}", node["expr"]))
                for k, v in node.items():
                    walk(v, node.get("title", where) if k == "targets" else where)
            elif isinstance(node, list):
                for v in node:
                    walk(v, where)

        walk(dash.get("panels", []), "panel")
        # Template variables: `label_values(selector, label)` lists a label's values over a
        # series selector; as PromQL that is `group by (label) (selector)`.
        for var in (dash.get("templating") or {}).get("list", []):
            if var.get("type") != "query":
                continue
            q = var.get("query")
            q = q.get("query", "") if isinstance(q, dict) else (q or "")
            m = re.fullmatch(r"\s*label_values\((.+),\s*(\w+)\s*\)\s*", q, re.S)
            where = f"{path.name}:variable {var.get('name', '?')}"
            if m:
                out.append((where, f"group by ({m.group(2)}) ({m.group(1)})"))
            elif re.fullmatch(r"\s*query_result\((.+)\)\s*", q, re.S):
                out.append((where, re.fullmatch(r"\s*query_result\((.+)\)\s*", q, re.S).group(1)))
            else:
                raise SystemExit(f"{where}: a variable query deploycheck cannot turn into PromQL: {q!r}")
    return out


def cmd_dashboard_rules(dst: str) -> int:
    rules = []
    for n, (where, expr) in enumerate(dashboard_queries()):
        e = expr
        for k, v in GRAFANA_VARS.items():
            e = e.replace(k, v)
        e = re.sub(r"\$\{?(\w+)\}?", "x", e)
        rules.append({"record": f"dashboard:query_{n}", "expr": e, "labels": {"source": where[:60]}})
    with open(dst, "w") as f:
        yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}, f, sort_keys=False)
    print(f"  dashboards: {len(rules)} queries written for promtool")
    return 0 if rules else 1


# --------------------------------------------------------------------------- k8s/ from the chart


class GeneratedDumper(yaml.SafeDumper):
    """Multi-line strings (alert expressions, dashboards) as literal blocks, so they stay readable."""


GeneratedDumper.add_representer(
    str,
    lambda dumper, s: dumper.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None),
)

MANAGED_BY = "app.kubernetes.io/managed-by"


def label_maps(d: dict) -> list[dict]:
    """The label maps of an object that carry managed-by: its own and its pod template's."""
    maps = [(d.get("metadata") or {}).get("labels")]
    if d.get("kind") in WORKLOADS:
        maps.append((pod_spec(d) or ({}, {}))[0].get("labels"))
    return [m for m in maps if m]


def drop_helm_annotations(d: dict) -> None:
    """Removes what only Helm uses: hook annotations (kustomize has no hooks: the migration Job is
    applied with the rest) and the pods' checksum/config (a kustomize ConfigMap generator's hash
    suffix rolls the pods instead)."""
    meta = d["metadata"]
    ann = meta.get("annotations") or {}
    for k in [k for k in ann if k.startswith("helm.sh/hook")]:
        del ann[k]
    if "annotations" in meta and not ann:
        del meta["annotations"]
    ps = pod_spec(d) if d.get("kind") in WORKLOADS else None
    if ps:
        tpl = ps[0]
        (tpl.get("annotations") or {}).pop("checksum/config", None)
        if tpl.get("annotations") == {}:
            del tpl["annotations"]


def as_kustomize(d: dict) -> dict:
    """A chart object as the kustomize manifests hold it."""
    drop_helm_annotations(d)
    for labels in label_maps(d):
        if MANAGED_BY in labels:
            labels[MANAGED_BY] = "kustomize"
    return d


def write_generated(outdir: Path, docs: list[dict], kust: dict, source: str) -> list[str]:
    """Writes one file per object plus kustomization.yaml (replacing what was there)."""
    outdir.mkdir(parents=True, exist_ok=True)
    for old in outdir.glob("*.yaml"):
        old.unlink()
    header = (
        f"# Generated by k8s/render-base.sh from charts/crm ({source}). Do not edit:\n"
        "# change the chart or that values file and run k8s/render-base.sh again.\n"
    )
    names = []
    for d in docs:
        fname = f"{d['kind'].lower()}-{d['metadata']['name']}.yaml"
        with open(outdir / fname, "w") as f:
            f.write(header)
            yaml.dump(d, f, Dumper=GeneratedDumper, sort_keys=False, width=120, allow_unicode=True)
        names.append(fname)
    kust["resources"] = sorted(names)
    with open(outdir / "kustomization.yaml", "w") as f:
        f.write(header)
        yaml.dump(kust, f, Dumper=GeneratedDumper, sort_keys=False, width=120)
    return names


def cmd_render_base(src: str, outdir: str) -> int:
    """k8s/base from `helm template` output: the objects as kustomize holds them, and the ConfigMap
    as a configMapGenerator so that a change of a setting (an overlay's merge) rolls the pods."""
    docs, generator = [], None
    for d in load_docs(src):
        d = as_kustomize(d)
        if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "crm":
            generator = {
                "name": d["metadata"]["name"],
                "literals": [f"{k}={v}" for k, v in d["data"].items()],
                "options": {"labels": d["metadata"]["labels"]},
            }
            continue
        docs.append(d)
    kust = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": []}
    if generator:
        kust["configMapGenerator"] = [generator]
    write_generated(Path(outdir), docs, kust, "ci/default-values.yaml")
    print(f"  k8s/base: {len(docs)} objects + the ConfigMap generator written to {outdir}")
    return 0


# The chart's optional objects, one kustomize Component each, named after the chart's switch
# (serviceMonitor, prometheusRule, dashboards), so an overlay takes exactly the ones it enables.
COMPONENTS = {
    "ServiceMonitor": "service-monitor",
    "PrometheusRule": "prometheus-rule",
    "ConfigMap": "dashboards",
}


def cmd_render_components(src: str, outdir: str) -> int:
    """k8s/components/* from `helm template` output with those switches on: the objects labelled
    component "monitoring" (ServiceMonitor, PrometheusRule, the dashboards ConfigMap)."""
    written = []
    for d in load_docs(src):
        labels = d["metadata"].get("labels") or {}
        name = COMPONENTS.get(d["kind"])
        if name is None or labels.get("app.kubernetes.io/component") != "monitoring":
            continue
        kust = {"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component", "resources": []}
        write_generated(Path(outdir) / name, [as_kustomize(d)], kust, "ci/production-values.yaml")
        written.append(name)
    if sorted(written) != sorted(COMPONENTS.values()):
        print(f"  FAIL components: the rendering held {sorted(written)}, expected {sorted(COMPONENTS.values())}")
        return 1
    print(f"  k8s/components: {', '.join(written)} written to {outdir}")
    return 0


# --------------------------------------------------------------------------- helm ≡ kustomize

# The differences inherent to the two tools, and only these, are normalised away before the
# objects are compared field by field (everything else must be equal):
#   - managed-by: "Helm" from helm, "kustomize" from kustomize (object and pod template labels);
#   - Helm-only annotations: helm.sh/hook* (Helm runs the migration Job as a hook, kustomize
#     applies it with the rest) and the pods' checksum/config (kustomize rolls pods through the
#     generated ConfigMap's new name instead);
#   - the hash suffix kustomize gives generated ConfigMaps/Secrets, cut from their names and from
#     the references to them;
#   - metadata.namespace: `helm template` leaves it to `helm install -n`, kustomize writes it.
TOOL_MANAGED_BY = {"helm": "Helm", "kustomize": "kustomize"}
# kustomize's suffix: 10 characters of the content hash, in its vowel-free alphabet.
GENERATED_SUFFIX = re.compile(r"^(.+)-[2456789bcdfghkmt]{10}$")
REFERENCE_KEYS = {"configMapRef": "name", "configMapKeyRef": "name", "configMap": "name",
                  "secretRef": "name", "secretKeyRef": "name", "secret": "secretName"}


def rename_references(node, renamed: dict[str, str]) -> None:
    """Replaces generated names in ConfigMap/Secret references (envFrom, env, volumes)."""
    if isinstance(node, dict):
        for k, v in node.items():
            field = REFERENCE_KEYS.get(k)
            if field and isinstance(v, dict) and v.get(field) in renamed:
                v[field] = renamed[v[field]]
            rename_references(v, renamed)
    elif isinstance(node, list):
        for v in node:
            rename_references(v, renamed)


def normalised(docs: list[dict], tool: str, namespace: str) -> dict[tuple[str, str, str], dict]:
    by_key = {}
    for d in docs:
        if tool == "helm":
            d["metadata"].setdefault("namespace", namespace)
            drop_helm_annotations(d)
        for labels in label_maps(d):
            if labels.get(MANAGED_BY) == TOOL_MANAGED_BY[tool]:
                labels[MANAGED_BY] = "<the tool>"
        key = (d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])
        if key in by_key:
            raise SystemExit(f"{'/'.join(key)} is rendered twice by {tool}")
        by_key[key] = d
    return by_key


def cut_generated_suffixes(kust: list[dict], helm_names: set[tuple[str, str]]) -> None:
    renamed = {}
    for d in kust:
        m = GENERATED_SUFFIX.match(d["metadata"]["name"])
        generated = m and (d["kind"], d["metadata"]["name"]) not in helm_names
        if d["kind"] in ("ConfigMap", "Secret") and generated and (d["kind"], m.group(1)) in helm_names:
            renamed[d["metadata"]["name"]] = m.group(1)
            d["metadata"]["name"] = m.group(1)
    for d in kust:
        rename_references(d, renamed)


def field_path(path: str, key) -> str:
    return f"{path}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(key)) else f'{path}["{key}"]'


def brief(v) -> str:
    s = json.dumps(v, sort_keys=True)
    return s if len(s) <= 80 else s[:77] + "..."


def first_difference(a, b, path: str) -> str | None:
    """The path of the first field where a (helm) and b (kustomize) differ, with both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            p = field_path(path, k)
            if k not in b:
                return f"{p}: helm {brief(a[k])}, kustomize has none"
            if k not in a:
                return f"{p}: kustomize {brief(b[k])}, helm has none"
            found = first_difference(a[k], b[k], p)
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        if len(a) != len(b):
            return f"{path}: helm has {len(a)} items, kustomize {len(b)}"
        return None
    if type(a) is not type(b) or a != b:
        return f"{path}: helm {brief(a)}, kustomize {brief(b)}"
    return None


def cmd_equivalent(env: str, namespace: str, helm_path: str, kustomize_path: str) -> int:
    """The overlay renders the chart's objects for the environment, field for field."""
    helm_docs, kust_docs = load_docs(helm_path), load_docs(kustomize_path)
    cut_generated_suffixes(kust_docs, {(d["kind"], d["metadata"]["name"]) for d in helm_docs})
    helm, kust = normalised(helm_docs, "helm", namespace), normalised(kust_docs, "kustomize", namespace)
    errors = []
    for key in sorted(set(helm) | set(kust)):
        name = "/".join(key)
        if key not in kust:
            errors.append(f"{name}: rendered by helm only")
        elif key not in helm:
            errors.append(f"{name}: rendered by kustomize only")
        else:
            diff = first_difference(helm[key], kust[key], "")
            if diff:
                errors.append(f"{name}: {diff.lstrip('.')}")
    for e in errors:
        print(f"  FAIL {env}: {e}")
    total = len(set(helm) | set(kust))
    print(f"  {env}: {total - len(errors)} of {total} objects equal (helm with ci/{env}-values.yaml, kustomize k8s/overlays/{env})")
    return 1 if errors else 0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "rules":
        return cmd_rules(args)
    if cmd == "split-crds":
        return cmd_split_crds(*args)
    if cmd == "dockerfile":
        return cmd_dockerfile()
    if cmd == "image-binary":
        return cmd_image_binary()
    if cmd == "dashboard-rules":
        return cmd_dashboard_rules(*args)
    if cmd == "render-base":
        return cmd_render_base(*args)
    if cmd == "render-components":
        return cmd_render_components(*args)
    if cmd == "equivalent":
        return cmd_equivalent(*args)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
