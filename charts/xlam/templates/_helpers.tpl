{{/* The ONE image reference: repository:tag, or repository@digest when a digest is set. */}}
{{- define "xlam.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* Egress of the API and workers to PostgreSQL and Redis: in-cluster pods, or any address
     (managed services) when the in-cluster ones are disabled. */}}
{{- define "xlam.dataEgress" }}
{{- if .Values.postgres.enabled }}
    - to:
        - podSelector:
            matchLabels: {app.kubernetes.io/name: xlam-postgres}
      ports:
        - {protocol: TCP, port: 5432}
{{- end }}
{{- if .Values.redis.enabled }}
    - to:
        - podSelector:
            matchLabels: {app.kubernetes.io/name: xlam-redis}
      ports:
        - {protocol: TCP, port: 6379}
{{- end }}
{{- if not (and .Values.postgres.enabled .Values.redis.enabled) }}
    - ports:
        - {protocol: TCP, port: 5432}
        - {protocol: TCP, port: 6379}
        - {protocol: TCP, port: 6380}
{{- end }}
{{- end }}
