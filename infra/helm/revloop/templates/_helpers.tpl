{{/* Names, labels and the pieces the worker and API pods share. */}}

{{- define "revloop.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name; the longest suffix added to it is "-worker-activities" (18), so it stays within 45. */}}
{{- define "revloop.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "revloop.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "revloop.selectorLabels" -}}
app.kubernetes.io/name: {{ include "revloop.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "revloop.labels" -}}
helm.sh/chart: {{ include "revloop.chart" . }}
{{ include "revloop.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: revloop
{{- end -}}

{{- define "revloop.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) -}}
{{- end -}}
{{- end -}}

{{- define "revloop.workerServiceAccountName" -}}
{{- .Values.serviceAccount.worker.name | default (printf "%s-worker" (include "revloop.fullname" .)) -}}
{{- end -}}

{{- define "revloop.apiServiceAccountName" -}}
{{- .Values.serviceAccount.api.name | default (printf "%s-api" (include "revloop.fullname" .)) -}}
{{- end -}}

{{/* The agent tools' ServiceAccount (for release `revloop`: `revloop-agent-tools`, the AWS stack's default). */}}
{{- define "revloop.agentToolsServiceAccountName" -}}
{{- .Values.serviceAccount.agentTools.name | default (printf "%s-agent-tools" (include "revloop.fullname" .)) -}}
{{- end -}}

{{/* "true" when the chart renders the agent tools' ServiceAccount. */}}
{{- define "revloop.agentToolsServiceAccount" -}}
{{- if and .Values.serviceAccount.agentTools.create (eq .Values.store.backend "aws") }}true{{ end -}}
{{- end -}}

{{- define "revloop.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "revloop.fullname" .) -}}
{{- end -}}

{{- define "revloop.claimName" -}}
{{- .Values.persistence.existingClaim | default (printf "%s-data" (include "revloop.fullname" .)) -}}
{{- end -}}

{{/* The longest heartbeat timeout of any revloop activity, in seconds (the Rust side's constant). */}}
{{- define "revloop.maxHeartbeatTimeoutSeconds" -}}20{{- end -}}

{{/* TEMPORAL_ADDRESS without its scheme: the host:port KEDA's temporal scaler dials. */}}
{{- define "revloop.temporalEndpoint" -}}
{{- regexReplaceAll "^[a-zA-Z][a-zA-Z0-9+.-]*://" .Values.temporal.address "" | trimSuffix "/" -}}
{{- end -}}

{{- define "revloop.temporalTls" -}}
{{- if .Values.temporal.tls.existingSecret }}true{{ end -}}
{{- end -}}

{{/*
The worker Deployments, as a YAML list: one combined worker, or one for workflows and one for
activities. `valuesKey` names the block under .Values.worker holding its replicas, resources,
autoscaling and pdb ("" = .Values.worker itself). `anchor` is the Deployment the other pods
join on its node with the sqlite store.
*/}}
{{- define "revloop.workers" -}}
{{- if .Values.worker.split }}
- component: worker-workflows
  mode: workflows
  queueTypes: workflow
  runsWorkflows: true
  valuesKey: workflows
  valuesPath: worker.workflows
  anchor: true
- component: worker-activities
  mode: activities
  queueTypes: activity
  runsWorkflows: false
  valuesKey: activities
  valuesPath: worker.activities
  anchor: false
{{- else }}
- component: worker
  mode: all
  queueTypes: workflow,activity
  runsWorkflows: true
  valuesKey: ""
  valuesPath: worker
  anchor: true
{{- end }}
{{- end -}}

{{/* Labels selecting the anchor worker's pods. */}}
{{- define "revloop.anchorSelectorLabels" -}}
{{ include "revloop.selectorLabels" . }}
app.kubernetes.io/component: worker
revloop/worker-mode: {{ ternary "workflows" "all" .Values.worker.split }}
{{- end -}}

{{- define "revloop.apiSelectorLabels" -}}
{{ include "revloop.selectorLabels" . }}
app.kubernetes.io/component: api
{{- end -}}

{{/* REVLOOP_MCP_ALLOWED_HOSTS: the API Service's names, the ingress hosts, then the values. */}}
{{- define "revloop.mcpAllowedHosts" -}}
{{- $svc := printf "%s-api" (include "revloop.fullname" .) -}}
{{- $port := .Values.api.ports.http | toString -}}
{{- $hosts := list $svc (printf "%s:%s" $svc $port) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc:%s" $svc .Release.Namespace $port) -}}
{{- if .Values.api.ingress.enabled -}}
{{- $hosts = concat $hosts .Values.api.ingress.hosts -}}
{{- end -}}
{{- $hosts = concat $hosts .Values.api.mcpAllowedHosts -}}
{{- $hosts | uniq | join "," -}}
{{- end -}}

{{- define "revloop.secureCookies" -}}
{{- $v := .Values.api.secureCookies | toString -}}
{{- if eq $v "auto" -}}
{{- and .Values.api.ingress.enabled (not (empty .Values.api.ingress.tls)) | toString -}}
{{- else if or (eq $v "true") (eq $v "false") -}}
{{- $v -}}
{{- else -}}
{{- fail (printf "api.secureCookies must be auto, true or false, not %q" $v) -}}
{{- end -}}
{{- end -}}

{{/* Annotations rolling the pods when their configuration changes. */}}
{{- define "revloop.configChecksum" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- end -}}

{{/*
The environment of a container (and its init container): the ConfigMaps, then the
per-container variables and the secrets. Call with (dict "root" $ "component" "worker"|"api" "mode" …).
*/}}
{{- define "revloop.envFrom" -}}
{{- $root := .root -}}
- configMapRef:
    name: {{ include "revloop.fullname" $root }}-config
- configMapRef:
    name: {{ include "revloop.fullname" $root }}-{{ .component }}-config
{{- end -}}

{{- define "revloop.env" -}}
{{- $root := .root -}}
{{- if eq .component "worker" }}
- name: REVLOOP_WORKER_MODE
  value: {{ .mode | quote }}
- name: OTEL_SERVICE_NAME
  value: revloop-worker
{{- else }}
- name: OTEL_SERVICE_NAME
  value: revloop-api
- name: REVLOOP_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "revloop.secretName" $root }}
      key: jwt-secret
{{- end }}
- name: REVLOOP_APPROVAL_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "revloop.secretName" $root }}
      key: approval-key
- name: REVLOOP_APPROVAL_KEYS_PREVIOUS
  valueFrom:
    secretKeyRef:
      name: {{ include "revloop.secretName" $root }}
      key: approval-keys-previous
      optional: true
{{- with $root.Values.temporal.apiKey.existingSecret }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: api-key
{{- end }}
{{- $extra := ternary $root.Values.worker.extraEnv $root.Values.api.extraEnv (eq .component "worker") }}
{{- with $extra }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "revloop.volumeMounts" -}}
{{- $root := .root -}}
- name: tmp
  mountPath: /tmp
{{- if eq $root.Values.store.backend "sqlite" }}
- name: data
  mountPath: /var/lib/revloop
{{- end }}
{{- if $root.Values.temporal.tls.existingSecret }}
- name: temporal-tls
  mountPath: /var/run/revloop/temporal-tls
  readOnly: true
{{- end }}
{{- range $i, $t := $root.Values.tenantSecrets }}
- name: tenant-secrets-{{ $i }}
  mountPath: /var/run/revloop/tenant-secrets/{{ $t.tenant }}
  readOnly: true
{{- end }}
{{- end -}}

{{- define "revloop.volumes" -}}
{{- $root := .root -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ $root.Values.tmpSizeLimit }}
{{- if eq $root.Values.store.backend "sqlite" }}
- name: data
  persistentVolumeClaim:
    claimName: {{ include "revloop.claimName" $root }}
{{- end }}
{{- with $root.Values.temporal.tls.existingSecret }}
- name: temporal-tls
  secret:
    secretName: {{ . }}
    defaultMode: 0440
{{- end }}
{{- range $i, $t := $root.Values.tenantSecrets }}
- name: tenant-secrets-{{ $i }}
  secret:
    secretName: {{ $t.existingSecret }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{/* The init container: `revloop config check --for <component>` with the same env and mounts. */}}
{{- define "revloop.initContainers" -}}
{{- $root := .root -}}
{{- if $root.Values.initContainer.enabled }}
- name: config-check
  image: {{ include "revloop.image" $root }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  command: ["/usr/local/bin/revloop", "config", "check", "--for", {{ .component | quote }}]
  envFrom:
    {{- include "revloop.envFrom" . | nindent 4 }}
  env:
    {{- include "revloop.env" . | trim | nindent 4 }}
  volumeMounts:
    {{- include "revloop.volumeMounts" . | nindent 4 }}
  securityContext:
    {{- toYaml $root.Values.containerSecurityContext | nindent 4 }}
  resources:
    {{- toYaml $root.Values.initContainer.resources | nindent 4 }}
{{- end }}
{{- end -}}

{{/*
Affinity of a pod. With the sqlite store every pod shares one SQLite file in WAL mode, whose
locking works between processes of one host only (and a ReadWriteOnce volume attaches to one
node): pods other than the anchor worker require the anchor's node, and the anchor prefers
the API's. Call with (dict "root" $ "affinity" <user affinity> "anchor" bool).
*/}}
{{- define "revloop.affinity" -}}
{{- $root := .root -}}
{{- $aff := deepCopy (.affinity | default dict) -}}
{{- if eq $root.Values.store.backend "sqlite" -}}
{{- $pa := deepCopy (get $aff "podAffinity" | default dict) -}}
{{- if .anchor -}}
{{- $pref := get $pa "preferredDuringSchedulingIgnoredDuringExecution" | default list -}}
{{- $term := dict "labelSelector" (dict "matchLabels" (include "revloop.apiSelectorLabels" $root | fromYaml)) "topologyKey" "kubernetes.io/hostname" -}}
{{- $pref = append $pref (dict "weight" 100 "podAffinityTerm" $term) -}}
{{- $_ := set $pa "preferredDuringSchedulingIgnoredDuringExecution" $pref -}}
{{- else -}}
{{- $req := get $pa "requiredDuringSchedulingIgnoredDuringExecution" | default list -}}
{{- $req = append $req (dict "labelSelector" (dict "matchLabels" (include "revloop.anchorSelectorLabels" $root | fromYaml)) "topologyKey" "kubernetes.io/hostname") -}}
{{- $_ := set $pa "requiredDuringSchedulingIgnoredDuringExecution" $req -}}
{{- end -}}
{{- $_ := set $aff "podAffinity" $pa -}}
{{- end -}}
{{- with $aff -}}
{{- toYaml . -}}
{{- end -}}
{{- end -}}

{{/* A PodDisruptionBudget's spec body from a pdb values block. */}}
{{- define "revloop.pdbSpec" -}}
{{- if and (not (kindIs "invalid" .minAvailable)) (ne (toString .minAvailable) "") -}}
minAvailable: {{ .minAvailable }}
{{- else -}}
maxUnavailable: {{ .maxUnavailable }}
{{- end -}}
{{- end -}}

{{/* The egress rules of a NetworkPolicy, when networkPolicy.egress.restrict. */}}
{{- define "revloop.networkPolicyEgress" -}}
{{- $np := .Values.networkPolicy -}}
{{- if $np.egress.restrict }}
egress:
  {{- if $np.egress.allowDNS }}
  - to:
      - namespaceSelector: {}
    ports:
      - port: 53
        protocol: UDP
      - port: 53
        protocol: TCP
  {{- end }}
  {{- with $np.egress.rules }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end }}

{{/* A number as an integer string (values files give float64, which prints 1000000 as 1e+06). */}}
{{- define "revloop.int" -}}
{{- if kindIs "float64" . -}}{{- int64 . -}}{{- else -}}{{- . -}}{{- end -}}
{{- end -}}
