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

{{/* Names of cluster-scoped objects: the release's namespace and full name, so that two
releases of one name in two namespaces do not collide. */}}
{{- define "legato.clusterScopedName" -}}
{{- printf "%s-%s" .Release.Namespace (include "legato.fullname" .) }}
{{- end }}

{{/* The Lease that elects the reconciling replica, one per release. */}}
{{- define "legato.leaseName" -}}
{{- printf "%s-operator" (include "legato.fullname" .) | trunc 63 | trimSuffix "-" }}
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

{{/* The operator's rights on namespaced objects: cluster-wide, or in each watched namespace. */}}
{{- define "legato.namespacedRules" -}}
# The resources it reconciles: kopf watches them and patches finalizers and annotations.
- apiGroups: ["legato.dev"]
  resources: ["workflows", "taskqueues", "schedules"]
  verbs: ["get", "list", "watch", "patch", "update"]
# Finished Workflows past their ttlAfterFinished are deleted.
- apiGroups: ["legato.dev"]
  resources: ["workflows"]
  verbs: ["delete"]
# Status written back from the engine.
- apiGroups: ["legato.dev"]
  resources: ["workflows/status", "taskqueues/status", "schedules/status"]
  verbs: ["patch", "update"]
# Owner references with blockOwnerDeletion on the worker Deployments a TaskQueue owns.
- apiGroups: ["legato.dev"]
  resources: ["workflows/finalizers", "taskqueues/finalizers", "schedules/finalizers"]
  verbs: ["patch", "update"]
# The worker Deployment of each TaskQueue: applied, scaled, and deleted with it.
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
# The ServiceAccount of a TaskQueue that names none (<queue>-worker), applied with its
# Deployment and owned by the TaskQueue.
- apiGroups: [""]
  resources: ["serviceaccounts"]
  verbs: ["get", "create", "patch"]
# Kubernetes Events on Workflows, TaskQueues and Schedules (start, close, failure).
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/* Labels of the `helm test` pods; the NetworkPolicy lets them reach the API. */}}
{{- define "legato.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "legato.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
{{- end }}
