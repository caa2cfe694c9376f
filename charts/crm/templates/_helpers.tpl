{{/* Names ------------------------------------------------------------------------------ */}}
{{- define "crm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "crm.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "crm.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The image tag: image.tag or the chart's appVersion, never "latest". */}}
{{- define "crm.imageTag" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString }}
{{- if or (eq $tag "latest") (eq $tag "") }}
{{- fail "image.tag must name a release (\"latest\" and empty tags are refused)" }}
{{- end }}
{{- $tag }}
{{- end }}

{{- define "crm.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository (include "crm.imageTag" .) .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "crm.imageTag" .) }}
{{- end }}
{{- end }}

{{/* Labels: call with (dict "ctx" $ "component" "api"). */}}
{{- define "crm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "crm.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end }}

{{- define "crm.labels" -}}
helm.sh/chart: {{ include "crm.chart" .ctx }}
{{ include "crm.selectorLabels" . }}
app.kubernetes.io/version: {{ include "crm.imageTag" .ctx | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: crm
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "crm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "crm.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the connection URLs and the signing key. */}}
{{- define "crm.secretName" -}}
{{- if .Values.existingSecret }}
{{- .Values.existingSecret }}
{{- else }}
{{- include "crm.fullname" . }}
{{- end }}
{{- end }}

{{/* Refuses inconsistent values early, with a message naming the value. */}}
{{- define "crm.validate" -}}
{{- if not .Values.existingSecret }}
{{- range $key := list "databaseUrl" "migrateDatabaseUrl" "redisUrl" "jwtPrivateKey" "masterKeys" }}
{{- if not (index $.Values.secrets $key) }}
{{- fail (printf "secrets.%s is required unless existingSecret names a Secret holding it" $key) }}
{{- end }}
{{- end }}
{{- end }}
{{- $grace := int .Values.config.shutdownGraceSecs }}
{{- if gt (mul 2 (int .Values.config.shutdownDelaySecs)) $grace }}
{{- fail "config.shutdownDelaySecs must be at most half of config.shutdownGraceSecs (crm refuses to start otherwise)" }}
{{- end }}
{{- if le (int .Values.api.terminationGracePeriodSeconds) (add (int .Values.api.preStopSleepSeconds) $grace) }}
{{- fail (printf "api.terminationGracePeriodSeconds (%d) must exceed api.preStopSleepSeconds + config.shutdownGraceSecs (%d)" (int .Values.api.terminationGracePeriodSeconds) (add (int .Values.api.preStopSleepSeconds) $grace)) }}
{{- end }}
{{- if le (int .Values.worker.terminationGracePeriodSeconds) $grace }}
{{- fail "worker.terminationGracePeriodSeconds must exceed config.shutdownGraceSecs" }}
{{- end }}
{{- end }}

{{/* Environment shared by every crm container: secrets by key, the pod name as worker id. */}}
{{- define "crm.secretEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "crm.secretName" . }}
      key: {{ .Values.secretKeys.databaseUrl }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "crm.secretName" . }}
      key: {{ .Values.secretKeys.redisUrl }}
- name: CRM_JWT_PRIVATE_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "crm.secretName" . }}
      key: {{ .Values.secretKeys.jwtPrivateKey }}
- name: CRM_MASTER_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ include "crm.secretName" . }}
      key: {{ .Values.secretKeys.masterKeys }}
{{- end }}

{{/* checksum of the configuration, so pods roll when it changes */}}
{{- define "crm.configChecksum" -}}
{{- $cfg := include (print $.Template.BasePath "/configmap.yaml") . }}
{{- $sec := "" }}
{{- if not .Values.existingSecret }}
{{- $sec = include (print $.Template.BasePath "/secret.yaml") . }}
{{- end }}
{{- printf "%s%s" $cfg $sec | sha256sum }}
{{- end }}

{{- define "crm.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{/* NetworkPolicy egress: DNS and PostgreSQL (every component), Redis and extra rules. */}}
{{- define "crm.egressRules" -}}
{{- $np := .Values.networkPolicy }}
# DNS
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
  {{- with $np.egress.dns.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
# PostgreSQL
- ports:
    - port: {{ $np.egress.postgres.port }}
      protocol: TCP
  {{- with $np.egress.postgres.cidrs }}
  to:
    {{- range . }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  {{- end }}
{{- end }}
{{- define "crm.redisEgress" -}}
{{- $np := .Values.networkPolicy }}
# Redis
- ports:
    - port: {{ $np.egress.redis.port }}
      protocol: TCP
  {{- with $np.egress.redis.cidrs }}
  to:
    {{- range . }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  {{- end }}
{{- with $np.egress.extra }}
{{ toYaml . }}
{{- end }}
{{- end }}
