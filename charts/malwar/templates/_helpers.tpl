{{/* Names, labels and the checks every template relies on. */}}

{{- define "malwar.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release "malwar" gives resources named "malwar", as the guide's kubectl commands expect. */}}
{{- define "malwar.fullname" -}}
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

{{- define "malwar.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "malwar.selectorLabels" -}}
app.kubernetes.io/name: {{ include "malwar.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "malwar.labels" -}}
helm.sh/chart: {{ include "malwar.chart" . }}
{{ include "malwar.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "malwar.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "malwar.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "malwar.secretName" -}}
{{- default (include "malwar.fullname" .) .Values.malwar.existingSecret }}
{{- end }}

{{- define "malwar.claimName" -}}
{{- default (include "malwar.fullname" .) .Values.persistence.existingClaim }}
{{- end }}

{{/* "true" when the database is SQLite: no URL in values nor in the existing Secret. */}}
{{- define "malwar.sqlite" -}}
{{- if not (or .Values.malwar.dbUrl (and .Values.malwar.existingSecret .Values.malwar.existingSecretHasDbUrl)) }}true{{ end }}
{{- end }}

{{/* The directory of dbPath: the data volume is mounted there (the root FS is read-only). */}}
{{- define "malwar.dataDir" -}}
{{- dir .Values.malwar.dbPath }}
{{- end }}

{{/*
Configurations that render but cannot work fail here, with the reason and the fix,
instead of producing pods that crash-loop or stay Pending.
*/}}
{{- define "malwar.validate" -}}
{{- $multi := or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1) }}
{{- if and $multi (include "malwar.sqlite" .) }}
{{- fail (printf "malwar: replicaCount=%d, autoscaling.enabled=%t with the SQLite backend: SQLite allows one writer and its ReadWriteOnce volume attaches to one node, so extra replicas would lose writes or never start. Keep replicaCount=1 and autoscaling.enabled=false, or set malwar.dbUrl (MALWAR_DB_URL, PostgreSQL) and persistence.enabled=false." (int .Values.replicaCount) .Values.autoscaling.enabled) }}
{{- end }}
{{- if and $multi .Values.persistence.enabled (has "ReadWriteOnce" .Values.persistence.accessModes) }}
{{- fail "malwar: several replicas cannot share a ReadWriteOnce volume. With PostgreSQL (malwar.dbUrl) the pods need no volume: set persistence.enabled=false." }}
{{- end }}
{{- if and .Values.autoscaling.enabled (lt (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas)) }}
{{- fail "malwar: autoscaling.maxReplicas must be at least autoscaling.minReplicas." }}
{{- end }}
{{- if and .Values.malwar.existingSecret (or .Values.malwar.apiKeys .Values.malwar.anthropicApiKey .Values.malwar.webhookSecret .Values.malwar.dbUrl) }}
{{- fail "malwar: malwar.existingSecret is set, so keep malwar.apiKeys, malwar.anthropicApiKey, malwar.webhookSecret and malwar.dbUrl empty and put them in that Secret (keys MALWAR_API_KEYS, MALWAR_ANTHROPIC_API_KEY, MALWAR_WEBHOOK_SECRET, MALWAR_DB_URL)." }}
{{- end }}
{{- if and .Values.malwar.webhookUrls (not .Values.malwar.webhookSecret) (not .Values.malwar.existingSecret) }}
{{- fail "malwar: malwar.webhookUrls needs malwar.webhookSecret (MALWAR_WEBHOOK_SECRET) to sign the events; the server refuses to start without it." }}
{{- end }}
{{- end }}
