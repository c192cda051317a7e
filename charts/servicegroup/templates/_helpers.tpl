{{/* The hook server's namespace: namespace.name, else the release namespace. */}}
{{- define "servicegroup.namespace" -}}
{{- .Values.namespace.name | default .Release.Namespace -}}
{{- end -}}

{{/* Labels Helm adds to every object of the release (the kustomize install has none of these). */}}
{{- define "servicegroup.labels" -}}
app.kubernetes.io/part-of: servicegroup
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Base URL of the hooks, as Metacontroller calls them. */}}
{{- define "servicegroup.hookURL" -}}
http://servicegroup-hooks.{{ include "servicegroup.namespace" . }}
{{- end -}}

{{- define "servicegroup.image" -}}
{{- $repository := required "set image.repository to the hook server image you built and pushed (README: Install)" .Values.image.repository -}}
{{- printf "%s:%s" $repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
