{{/*
Names, labels and the engine's app-config file. Paths inside the container
are fixed here and referenced by the docs and values.yaml.
*/}}

{{- define "central-config.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "central-config.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "central-config.selectorLabels" -}}
app.kubernetes.io/name: {{ include "central-config.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: engine
{{- end -}}

{{- define "central-config.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "central-config.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "central-config.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Where the container finds its files. */}}
{{- define "central-config.configDir" -}}/etc/central-config{{- end -}}
{{- define "central-config.dataDir" -}}/var/lib/central-config{{- end -}}
{{- define "central-config.githubAppDir" -}}/etc/central-config-github-app{{- end -}}
{{- define "central-config.githubAppKeyFile" -}}{{ include "central-config.githubAppDir" . }}/private-key.pem{{- end -}}

{{/*
The secret environment variables: a JSON list of {env, name, key, value},
where value is the config key the chart writes ${env} into ("" when the
user writes it).
*/}}
{{- define "central-config.secretEnv" -}}
{{- $s := .Values.secrets -}}
{{- $out := list -}}
{{- if eq .Values.database.client "pg" -}}
{{- $ref := required "secrets.databaseUrl.name: database.client pg needs the Secret that holds the PostgreSQL URL" $s.databaseUrl.name -}}
{{- $out = append $out (dict "env" "CENTRAL_CONFIG_DATABASE_URL" "name" $ref "key" (required "secrets.databaseUrl.key is empty" $s.databaseUrl.key) "value" "database.connection") -}}
{{- end -}}
{{- range $ref := list
      (list "serverToken" "CENTRAL_CONFIG_TOKEN" "server.token")
      (list "webhookSecret" "GITHUB_WEBHOOK_SECRET" "webhooks.github.secret")
      (list "notifyToken" "BACKSTAGE_NOTIFY_TOKEN" "notify.backstage.token")
      (list "githubToken" "GITHUB_TOKEN" "") -}}
{{- $secret := get $s (index $ref 0) -}}
{{- if $secret.name -}}
{{- $key := required (printf "secrets.%s.key is empty" (index $ref 0)) $secret.key -}}
{{- $out = append $out (dict "env" (index $ref 1) "name" $secret.name "key" $key "value" (index $ref 2)) -}}
{{- end -}}
{{- end -}}
{{- range $i, $e := $s.extraEnv -}}
{{- $where := printf "secrets.extraEnv[%d]" $i -}}
{{- if not (regexMatch "^[A-Za-z_][A-Za-z0-9_]*$" ($e.env | default "")) -}}
{{- fail (printf "%s.env: %q is not an environment variable name" $where ($e.env | default "")) -}}
{{- end -}}
{{- $out = append $out (dict "env" $e.env "name" (required (printf "%s.name is empty" $where) $e.name) "key" (required (printf "%s.key is empty" $where) $e.key) "value" "") -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
setOwned writes value at the dotted path of centralConfig (a dict),
refusing a value the user wrote there: the chart owns that key.
*/}}
{{- define "central-config.setOwned" -}}
{{- $keys := splitList "." .path -}}
{{- $node := .config -}}
{{- range $i, $k := $keys -}}
{{- if eq (add1 $i) (len $keys) -}}
{{- if hasKey $node $k -}}
{{- fail (printf "centralConfig.%s: the chart sets this key (%s); remove it from centralConfig" $.path $.why) -}}
{{- end -}}
{{- $_ := set $node $k $.value -}}
{{- else -}}
{{- if not (hasKey $node $k) -}}
{{- $_ := set $node $k dict -}}
{{- end -}}
{{- $node = get $node $k -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
noLiteralSecrets refuses a secret written into the values, which would land
in the ConfigMap: a string under a key named token, secret, password,
clientSecret, webhookSecret or privateKey anywhere in node, unless it is a
${VAR} reference (or empty); a {$env}/{$file} there is fine. It also
refuses a $file under the GitHub App key's mount (appDir) when
secrets.githubAppPrivateKey (appKey) is not set: nothing is mounted there.
path names node in the errors.
*/}}
{{- define "central-config.noLiteralSecrets" -}}
{{- $secretKeys := list "token" "secret" "password" "clientSecret" "webhookSecret" "privateKey" -}}
{{- if kindIs "map" .node -}}
{{- range $k, $val := .node -}}
{{- $at := printf "%s.%s" $.path $k -}}
{{- if and (has $k $secretKeys) (kindIs "string" $val) $val (not (regexMatch "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$" $val)) -}}
{{- fail (printf "%s: a secret written in the values would be stored in the ConfigMap; write ${VAR} and set VAR from a Secret (secrets.*, secrets.extraEnv), or use { $file: ... }" $at) -}}
{{- end -}}
{{- if and (eq $k "$file") (kindIs "string" $val) (hasPrefix (printf "%s/" $.appDir) $val) (not $.appKey) -}}
{{- fail (printf "%s: %s is the GitHub App key's mount, which secrets.githubAppPrivateKey.name is not set to fill" $at $val) -}}
{{- end -}}
{{- include "central-config.noLiteralSecrets" (dict "path" $at "node" $val "appDir" $.appDir "appKey" $.appKey) -}}
{{- end -}}
{{- else if kindIs "slice" .node -}}
{{- range $i, $val := .node -}}
{{- include "central-config.noLiteralSecrets" (dict "path" (printf "%s[%d]" $.path $i) "node" $val "appDir" $.appDir "appKey" $.appKey) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The engine's app-config.yaml: centralConfig from values plus the keys the
chart owns, and integrations. Every ${VAR} in it must be one of the secret
environment variables, and every secret must be used.
*/}}
{{- define "central-config.appConfig" -}}
{{- $v := .Values -}}
{{- $cc := deepCopy ($v.centralConfig | default dict) -}}
{{- $data := include "central-config.dataDir" . -}}
{{- if and $v.persistence.enabled (gt (int $v.replicaCount) 1) -}}
{{- fail (printf "persistence.enabled with replicaCount %d: replicas on different nodes cannot share one ReadWriteOnce claim, nor engines one cache directory; on PostgreSQL leave persistence.enabled false (the data path is only a cache of git clones), or set replicaCount 1" (int $v.replicaCount)) -}}
{{- end -}}
{{- $appKey := $v.secrets.githubAppPrivateKey.name -}}
{{- include "central-config.noLiteralSecrets" (dict "path" "centralConfig" "node" $v.centralConfig "appDir" (include "central-config.githubAppDir" .) "appKey" $appKey) -}}
{{- include "central-config.noLiteralSecrets" (dict "path" "integrations" "node" $v.integrations "appDir" (include "central-config.githubAppDir" .) "appKey" $appKey) -}}
{{- if eq $v.database.client "pg" -}}
{{- include "central-config.setOwned" (dict "config" $cc "path" "database" "value" (dict "client" "pg" "connection" "${CENTRAL_CONFIG_DATABASE_URL}") "why" "from database.client and secrets.databaseUrl") -}}
{{- else if eq $v.database.client "sqlite" -}}
{{- if ne (int $v.replicaCount) 1 -}}
{{- fail (printf "replicaCount %d: SQLite allows one replica (its sync locks are inside one process); use database.client pg for more" (int $v.replicaCount)) -}}
{{- end -}}
{{- include "central-config.setOwned" (dict "config" $cc "path" "database" "value" (dict "client" "sqlite" "connection" (printf "%s/central-config.db" $data)) "why" "from database.client, on the data volume") -}}
{{- else -}}
{{- fail (printf "database.client %q: pg or sqlite" $v.database.client) -}}
{{- end -}}
{{- include "central-config.setOwned" (dict "config" $cc "path" "cacheDir" "value" (printf "%s/cache" $data) "why" "on the data volume") -}}
{{- include "central-config.setOwned" (dict "config" $cc "path" "server.listen" "value" "0.0.0.0:7080" "why" "the container's port") -}}
{{- $env := include "central-config.secretEnv" . | fromJsonArray -}}
{{- range $e := $env -}}
{{- if and $e.value (ne $e.value "database.connection") -}}
{{- include "central-config.setOwned" (dict "config" $cc "path" $e.value "value" (printf "${%s}" $e.env) "why" (printf "from its Secret %s, key %s" $e.name $e.key)) -}}
{{- end -}}
{{- end -}}
{{- $doc := dict "centralConfig" $cc -}}
{{- with $v.integrations -}}
{{- $_ := set $doc "integrations" . -}}
{{- end -}}
{{- $text := toYaml $doc -}}
{{- $names := list -}}
{{- range $e := $env -}}
{{- $names = append $names $e.env -}}
{{- if not (contains (printf "${%s}" $e.env) $text) -}}
{{- fail (printf "the Secret %s (key %s) is set as ${%s}, which neither centralConfig nor integrations uses" $e.name $e.key $e.env) -}}
{{- end -}}
{{- end -}}
{{- range $ref := regexFindAll "\\$+\\{[A-Za-z_][A-Za-z0-9_]*\\}" $text -1 -}}
{{- if not (hasPrefix "$$" $ref) -}}
{{- $name := trimSuffix "}" (trimPrefix "${" $ref) -}}
{{- if not (has $name $names) -}}
{{- fail (printf "the config uses %s, which no secret sets: add it to secrets.extraEnv (or set secrets.githubToken for GITHUB_TOKEN)" $ref) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $v.secrets.githubAppPrivateKey.name -}}
{{- if not (contains (include "central-config.githubAppKeyFile" .) $text) -}}
{{- fail (printf "secrets.githubAppPrivateKey is mounted as %s, which neither centralConfig nor integrations references (privateKey: { $file: %s })" (include "central-config.githubAppKeyFile" .) (include "central-config.githubAppKeyFile" .)) -}}
{{- end -}}
{{- end -}}
{{- $text -}}
{{- end -}}
