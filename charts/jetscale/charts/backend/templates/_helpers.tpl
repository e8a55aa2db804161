{{/* Names and labels. The release "jetscale" gives the stable name "jetscale-backend". */}}
{{- define "backend.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "backend.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "backend.labels" -}}
{{ include "backend.selectorLabels" . }}
app.kubernetes.io/component: backend
app.kubernetes.io/part-of: jetscale
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
The Secret the backend reads with envFrom: the ExternalSecret's target when externalSecrets.enabled,
else the local Secret when secret.create, else an existing Secret named by secret.name (or none).
*/}}
{{- define "backend.secretName" -}}
{{- if .Values.externalSecrets.enabled -}}
{{- .Values.externalSecrets.targetSecretName | default (include "backend.fullname" .) -}}
{{- else if .Values.secret.create -}}
{{- .Values.secret.name | default (include "backend.fullname" .) -}}
{{- else -}}
{{- .Values.secret.name -}}
{{- end -}}
{{- end -}}

{{/* True (non-empty) when the chart renders the plain local Secret. */}}
{{- define "backend.localSecret" -}}
{{- if and .Values.secret.create (not .Values.externalSecrets.enabled) -}}true{{- end -}}
{{- end -}}

{{/* Extra environment: a map of NAME: value (sorted by name) or a list of EnvVar objects. */}}
{{- define "backend.extraEnv" -}}
{{- if kindIs "map" .Values.env -}}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end -}}
{{- else if .Values.env -}}
{{ toYaml .Values.env }}
{{- end -}}
{{- end -}}

{{- define "backend.probe" -}}
httpGet:
  path: {{ .path }}
  port: http
initialDelaySeconds: {{ .initialDelaySeconds }}
periodSeconds: {{ .periodSeconds }}
timeoutSeconds: {{ .timeoutSeconds }}
failureThreshold: {{ .failureThreshold }}
{{- end -}}
