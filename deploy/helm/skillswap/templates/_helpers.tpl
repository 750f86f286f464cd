{{/* Name and labels. */}}
{{- define "skillswap.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "skillswap.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "skillswap.selectorLabels" -}}
app.kubernetes.io/name: {{ include "skillswap.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "skillswap.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "skillswap.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "skillswap.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{- define "skillswap.secretName" -}}
{{- .Values.secret.existingSecret | default (include "skillswap.fullname" .) -}}
{{- end -}}

{{- define "skillswap.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "skillswap.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* The settings the chart owns, merged over .Values.config (which must not repeat them). */}}
{{- define "skillswap.config" -}}
{{- $owned := dict
  "HTTP_ADDR" (printf ":%d" (int .Values.ports.http))
  "METRICS_ADDR" (printf ":%d" (int .Values.ports.metrics))
  "MIGRATE_ON_START" (ternary "false" "true" .Values.migrations.enabled)
  "SHUTDOWN_DRAIN_DELAY" (printf "%ds" (int .Values.shutdown.drainDelaySeconds))
  "SHUTDOWN_TIMEOUT" (printf "%ds" (int .Values.shutdown.shutdownTimeoutSeconds))
-}}
{{- range $k, $_ := $owned -}}
{{- if hasKey $.Values.config $k -}}
{{- fail (printf "config.%s is set by the chart (ports, migrations, shutdown values): remove it from config" $k) -}}
{{- end -}}
{{- end -}}
{{- range $k := concat .Values.secret.required .Values.secret.optional -}}
{{- if hasKey $.Values.config $k -}}
{{- fail (printf "config.%s is a secret: put it in the Secret (secret.existingSecret), not in config" $k) -}}
{{- end -}}
{{- end -}}
{{- toYaml (merge (deepCopy $owned) .Values.config) -}}
{{- end -}}

{{/* env entries reading the Secret, by variable name. */}}
{{- define "skillswap.secretEnv" -}}
{{- $name := include "skillswap.secretName" . -}}
{{- range .Values.secret.required }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ . }}
{{- end }}
{{- range .Values.secret.optional }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ . }}
      optional: true
{{- end }}
{{- end -}}

{{- define "skillswap.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "skillswap.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end -}}
