{{/* The chart's name, shortened for object names. */}}
{{- define "legato.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full name: the release name when it contains the chart's name (`helm install legato`), else release-chart. */}}
{{- define "legato.fullname" -}}
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

{{- define "legato.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "legato.commonLabels" -}}
helm.sh/chart: {{ include "legato.chart" . }}
app.kubernetes.io/name: {{ include "legato.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels of the operator's objects. */}}
{{- define "legato.labels" -}}
{{ include "legato.commonLabels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{/* Labels that select the operator pods. */}}
{{- define "legato.selectorLabels" -}}
app.kubernetes.io/name: {{ include "legato.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "legato.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "legato.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "legato.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret holding the Postgres URL: the user's, else <fullname>-database (the chart's, or one the user creates). */}}
{{- define "legato.databaseSecret" -}}
{{- if and .Values.database.existingSecret (not .Values.postgresql.enabled) }}
{{- .Values.database.existingSecret }}
{{- else }}
{{- printf "%s-database" (include "legato.fullname" .) }}
{{- end }}
{{- end }}

{{- define "legato.databaseSecretKey" -}}
{{- if and .Values.database.existingSecret (not .Values.postgresql.enabled) }}
{{- .Values.database.existingSecretKey }}
{{- else }}
{{- print "url" }}
{{- end }}
{{- end }}

{{/* Whether the chart writes <fullname>-database itself. */}}
{{- define "legato.createsDatabaseSecret" -}}
{{- if or .Values.postgresql.enabled (and .Values.database.url (not .Values.database.existingSecret)) }}true{{ end }}
{{- end }}

{{- define "legato.postgresqlName" -}}
{{- printf "%s-postgresql" (include "legato.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "legato.postgresqlSelectorLabels" -}}
app.kubernetes.io/name: {{ include "legato.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: postgresql
{{- end }}

{{/* The quickstart password: the value, else the one already stored, else a new random one. */}}
{{- define "legato.postgresqlPassword" -}}
{{- if .Values.postgresql.auth.password }}
{{- .Values.postgresql.auth.password }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (printf "%s-database" (include "legato.fullname" .)) }}
{{- if and $existing $existing.data (hasKey $existing.data "password") }}
{{- index $existing.data "password" | b64dec }}
{{- else }}
{{- randAlphaNum 32 }}
{{- end }}
{{- end }}
{{- end }}
