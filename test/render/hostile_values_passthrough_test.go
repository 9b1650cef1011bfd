package render_test

import (
	"strings"
)

// Kubernetes structures passed through from values (typed from the API's own definitions, see
// internal/k8sschema): each bad one is refused naming the value, with and without the schema, and
// each good one renders objects the API server accepts.
func passThroughCases() []hostile {
	tol := func(t map[string]any) string { return at("postgres.tolerations", []any{t}) }
	tsc := func(c map[string]any) string { return at("postgres.topologySpreadConstraints", []any{c}) }
	peer := func(p map[string]any) string { return at("postgres.networkPolicy.from", []any{p}) }
	vol := func(v map[string]any) string { return at("postgres.extraVolumes", []any{v}) }
	mount := func(path string) string {
		return at("postgres.extraVolumes", []any{map[string]any{"name": "x", "emptyDir": map[string]any{}}},
			"postgres.extraVolumeMounts", []any{map[string]any{"name": "x", "mountPath": path}})
	}
	sidecar := func(c map[string]any) string {
		base := map[string]any{"name": "shipper", "image": "docker.io/fluent/fluent-bit:3.2.4"}
		for k, v := range c {
			base[k] = v
		}
		return at("postgres.sidecars", []any{base})
	}
	env := func(e map[string]any) string { return at("redis.extraEnv", []any{e}) }
	anti := func(term map[string]any) string {
		return at("postgres.affinity", map[string]any{"podAntiAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": []any{term}}})
	}
	node := func(req map[string]any) string {
		return at("redis.affinity", map[string]any{"nodeAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{
			"nodeSelectorTerms": []any{map[string]any{"matchExpressions": []any{req}}}}}})
	}
	return []hostile{
		// tolerations
		{"a toleration with an unknown operator", tol(map[string]any{"key": "k", "operator": "Matches", "value": "v"}), "postgres.tolerations[0].operator", "", "", false},
		{"a toleration with the alpha operator Gt", tol(map[string]any{"key": "k", "operator": "Gt", "value": "5"}), "postgres.tolerations[0].operator", "", "", false},
		{"a toleration with Exists and a value", tol(map[string]any{"key": "k", "operator": "Exists", "value": "v"}), "postgres.tolerations[0]", "", "", false},
		{"a toleration without a key that is not Exists", tol(map[string]any{"operator": "Equal", "value": "v"}), "postgres.tolerations[0]", "", "", false},
		{"a toleration time without NoExecute", tol(map[string]any{"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 30}), "postgres.tolerations[0]", "", "", false},
		{"a toleration key with a space", tol(map[string]any{"key": "a b", "operator": "Exists"}), "postgres.tolerations[0].key", "", "", false},
		{"a toleration value of 64 characters", tol(map[string]any{"key": "k", "value": strings.Repeat("v", 64)}), "postgres.tolerations[0].value", "", "", false},
		{"a toleration with an unknown effect", tol(map[string]any{"key": "k", "operator": "Exists", "effect": "NoRun"}), "postgres.tolerations[0].effect", "", "", false},
		{"a toleration field misspelt", tol(map[string]any{"key": "k", "opertor": "Exists"}), "postgres.tolerations[0]", "", "", false},
		{"a toleration that is a string", at("postgres.tolerations", []any{"node-role"}), "postgres.tolerations[0]", "", "", false},
		{"a null toleration", at("postgres.tolerations", []any{nil}), "postgres.tolerations[0]", "", "", false},
		{"tolerations that are good", tol(map[string]any{"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoExecute", "tolerationSeconds": 60}), "", "", "", false},
		{"a toleration of every taint", tol(map[string]any{"operator": "Exists"}), "", "", "", false},
		// nodeSelector
		{"a node selector key with a space", `postgres: {nodeSelector: {"a b": c}}`, "postgres.nodeSelector.a b", "", "", false},
		{"a node selector value with a slash", at("postgres.nodeSelector.zone", "a/b"), "postgres.nodeSelector.zone", "", "", false},
		{"a node selector with a prefix", `postgres: {nodeSelector: {kubernetes.io/os: linux}}`, "", "", "", false},
		// topology spread
		{"a spread with a skew of zero", tsc(map[string]any{"maxSkew": 0, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}), "postgres.topologySpreadConstraints[0].maxSkew", "", "", false},
		{"a spread with an unknown policy", tsc(map[string]any{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "Sometimes"}), "postgres.topologySpreadConstraints[0].whenUnsatisfiable", "", "", false},
		{"a spread with minDomains and ScheduleAnyway", tsc(map[string]any{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway", "minDomains": 2}), "postgres.topologySpreadConstraints[0]", "", "", false},
		{"a spread topology key with a space", tsc(map[string]any{"maxSkew": 1, "topologyKey": "a zone", "whenUnsatisfiable": "DoNotSchedule"}), "postgres.topologySpreadConstraints[0].topologyKey", "", "", false},
		{"a spread match key the chart's selector has", tsc(map[string]any{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "matchLabelKeys": []any{"app.kubernetes.io/instance"}}), "postgres.topologySpreadConstraints[0]", "", "", false},
		{"a spread with match label keys", tsc(map[string]any{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "minDomains": 3, "matchLabelKeys": []any{"pod-template-hash"}}), "", "", "", false},
		// affinity
		{"an anti-affinity term without a topology key", anti(map[string]any{"labelSelector": map[string]any{"matchLabels": map[string]any{"a": "b"}}}), "postgres.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]", "", "", false},
		{"an anti-affinity term with an empty topology key", anti(map[string]any{"topologyKey": "", "labelSelector": map[string]any{"matchLabels": map[string]any{"a": "b"}}}), "postgres.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]", "", "", false},
		{"a selector requirement In without values", anti(map[string]any{"topologyKey": "zone", "labelSelector": map[string]any{"matchExpressions": []any{map[string]any{"key": "a", "operator": "In"}}}}), "postgres.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].values", "", "", false},
		{"a selector requirement Exists with values", anti(map[string]any{"topologyKey": "zone", "labelSelector": map[string]any{"matchExpressions": []any{map[string]any{"key": "a", "operator": "Exists", "values": []any{"x"}}}}}), "postgres.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].values", "", "", false},
		{"a selector label value with a space", anti(map[string]any{"topologyKey": "zone", "labelSelector": map[string]any{"matchLabels": map[string]any{"a": "b c"}}}), "postgres.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels.a", "", "", false},
		{"a preferred term of weight 101", at("postgres.affinity", map[string]any{"podAntiAffinity": map[string]any{"preferredDuringSchedulingIgnoredDuringExecution": []any{map[string]any{"weight": 101, "podAffinityTerm": map[string]any{"topologyKey": "zone"}}}}}), "postgres.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight", "", "", false},
		{"a node requirement Gt of a word", node(map[string]any{"key": "cores", "operator": "Gt", "values": []any{"many"}}), "redis.affinity", "", "", false},
		{"a node requirement with an unknown operator", node(map[string]any{"key": "cores", "operator": "Above", "values": []any{"4"}}), "redis.affinity", "", "", false},
		{"no node selector terms", at("redis.affinity", map[string]any{"nodeAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{"nodeSelectorTerms": []any{}}}}), "redis.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms", "", "", false},
		{"a node field selector on a label", at("redis.affinity", map[string]any{"nodeAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{
			"nodeSelectorTerms": []any{map[string]any{"matchFields": []any{map[string]any{"key": "metadata.labels", "operator": "In", "values": []any{"x"}}}}}}}}), "redis.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0]", "", "", false},
		{"an affinity that is good", anti(map[string]any{"topologyKey": "kubernetes.io/hostname", "labelSelector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": "postgres"}}}), "", "", "", false},
		{"a node affinity that is good", node(map[string]any{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": []any{"m6i.large"}}), "", "", "", false},
		// NetworkPolicy
		{"a peer that selects nothing", peer(map[string]any{}), "postgres.networkPolicy.from[0]", "", "", false},
		{"an IP block with a pod selector", peer(map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/8"}, "podSelector": map[string]any{}}), "postgres.networkPolicy.from[0]", "", "", false},
		{"an IP block that is an address", peer(map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.1"}}), "postgres.networkPolicy.from[0].ipBlock.cidr", "", "", false},
		{"an IP block with an octet of 300", peer(map[string]any{"ipBlock": map[string]any{"cidr": "10.300.0.0/16"}}), "postgres.networkPolicy.from[0].ipBlock.cidr", "", "", false},
		{"an IP block with a prefix of 33", peer(map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/33"}}), "postgres.networkPolicy.from[0].ipBlock.cidr", "", "", false},
		{"an IP block exception outside it", peer(map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/8", "except": []any{"11.0.0.0/16"}}}), "postgres.networkPolicy.from[0].ipBlock.except[0]", "", "", false},
		{"an IP block exception as large as it", peer(map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/8", "except": []any{"10.0.0.0/8"}}}), "postgres.networkPolicy.from[0].ipBlock.except[0]", "", "", false},
		{"an IPv6 block with an IPv4 exception", peer(map[string]any{"ipBlock": map[string]any{"cidr": "fd00::/8", "except": []any{"10.0.0.0/16"}}}), "postgres.networkPolicy.from[0].ipBlock.except[0]", "", "", false},
		{"an IPv6 address with two gaps", peer(map[string]any{"ipBlock": map[string]any{"cidr": "fd00::1::2/64"}}), "postgres.networkPolicy.from[0].ipBlock.cidr", "", "", false},
		{"IP blocks that are good", peer(map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/8", "except": []any{"10.1.0.0/16", "10.0.0.128/25"}}}), "", "", "", false},
		{"an IPv6 block that is good", peer(map[string]any{"ipBlock": map[string]any{"cidr": "fd00:10::/32", "except": []any{"fd00:10:0:1::/64"}}}), "", "", "", false},
		{"a namespace selector with a bad label", peer(map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"team/": "x"}}}), "postgres.networkPolicy.from[0].namespaceSelector.matchLabels", "", "", false},
		{"an ingress rule with an unknown protocol", at("postgres.networkPolicy.extraIngress", []any{map[string]any{"ports": []any{map[string]any{"port": 80, "protocol": "ICMP"}}}}), "postgres.networkPolicy.extraIngress[0].ports[0].protocol", "", "", false},
		{"an ingress rule to port 0", at("postgres.networkPolicy.extraIngress", []any{map[string]any{"ports": []any{map[string]any{"port": 0}}}}), "postgres.networkPolicy.extraIngress[0].ports[0].port", "", "", false},
		{"an egress range below its start", at("redis.networkPolicy.extraEgress", []any{map[string]any{"ports": []any{map[string]any{"port": 9000, "endPort": 8000}}}}), "redis.networkPolicy.extraEgress[0].ports[0]", "", "", false},
		{"an egress range from a named port", at("redis.networkPolicy.extraEgress", []any{map[string]any{"ports": []any{map[string]any{"port": "https", "endPort": 8000}}}}), "redis.networkPolicy.extraEgress[0].ports[0]", "", "", false},
		{"an egress port name with two hyphens", at("redis.networkPolicy.extraEgress", []any{map[string]any{"ports": []any{map[string]any{"port": "my--port"}}}}), "redis.networkPolicy.extraEgress[0].ports[0].port", "", "", false},
		{"a rule field misspelt", at("redis.networkPolicy.extraEgress", []any{map[string]any{"too": []any{}}}), "redis.networkPolicy.extraEgress[0]", "", "", false},
		{"egress rules that are good", at("redis.networkPolicy.extraEgress", []any{map[string]any{"to": []any{map[string]any{"ipBlock": map[string]any{"cidr": "0.0.0.0/0"}}}, "ports": []any{map[string]any{"port": 443, "protocol": "TCP"}, map[string]any{"port": 30000, "endPort": 32767}}}}), "", "", "", false},
		// extraEnv
		{"an env var with a value and a source", env(map[string]any{"name": "X", "value": "a", "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "metadata.name"}}}), "redis.extraEnv[0]", "", "", false},
		{"an env var from two sources", env(map[string]any{"name": "X", "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "metadata.name"}, "configMapKeyRef": map[string]any{"name": "c", "key": "k"}}}), "redis.extraEnv[0].valueFrom", "", "", false},
		{"an env var from an unknown field", env(map[string]any{"name": "X", "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "spec.containers"}}}), "redis.extraEnv[0].valueFrom.fieldRef.fieldPath", "", "", false},
		{"an env var from a Secret with a bad key", env(map[string]any{"name": "X", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "s", "key": "a/b"}}}), "redis.extraEnv[0].valueFrom.secretKeyRef.key", "", "", false},
		{"an env var from a Secret without a name", env(map[string]any{"name": "X", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"key": "k"}}}), "redis.extraEnv[0].valueFrom.secretKeyRef", "", "", false},
		{"env vars that are good", env(map[string]any{"name": "POD_NAME", "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "metadata.name"}}}), "", "", "", false},
		// extraVolumes and mounts
		{"a volume with two sources", vol(map[string]any{"name": "x", "emptyDir": map[string]any{}, "secret": map[string]any{"secretName": "s"}}), "postgres.extraVolumes[0]", "", "", false},
		{"a ConfigMap item that climbs out", vol(map[string]any{"name": "x", "configMap": map[string]any{"name": "c", "items": []any{map[string]any{"key": "k", "path": "../../etc/passwd"}}}}), "postgres.extraVolumes[0].configMap.items[0].path", "", "", false},
		{"a volume mode over 0777", vol(map[string]any{"name": "x", "secret": map[string]any{"secretName": "s", "defaultMode": 4095}}), "postgres.extraVolumes[0].secret.defaultMode", "", "", false},
		{"an emptyDir on hugepages", vol(map[string]any{"name": "x", "emptyDir": map[string]any{"medium": "HugePages"}}), "postgres.extraVolumes[0].emptyDir.medium", "", "", false},
		{"an emptyDir of minus one gigabyte", vol(map[string]any{"name": "x", "emptyDir": map[string]any{"sizeLimit": "-1Gi"}}), "postgres.extraVolumes[0].emptyDir.sizeLimit", "", "", false},
		{"a projected service-account token", vol(map[string]any{"name": "x", "projected": map[string]any{"sources": []any{map[string]any{"serviceAccountToken": map[string]any{"path": "token"}}}}}), "postgres.extraVolumes[0].projected.sources[0].serviceAccountToken", "", "", false},
		{"a projection with two sources in one", vol(map[string]any{"name": "x", "projected": map[string]any{"sources": []any{map[string]any{"secret": map[string]any{"name": "s"}, "configMap": map[string]any{"name": "c"}}}}}), "postgres.extraVolumes[0].projected.sources[0]", "", "", false},
		{"an ephemeral claim without a size", vol(map[string]any{"name": "x", "ephemeral": map[string]any{"volumeClaimTemplate": map[string]any{"spec": map[string]any{"accessModes": []any{"ReadWriteOnce"}, "resources": map[string]any{"requests": map[string]any{}}}}}}), "postgres.extraVolumes[0].ephemeral.volumeClaimTemplate.spec", "", "", false},
		{"a downward API file of a container without its name", vol(map[string]any{"name": "x", "downwardAPI": map[string]any{"items": []any{map[string]any{"path": "mem", "resourceFieldRef": map[string]any{"resource": "limits.memory"}}}}}), "postgres.extraVolumes[0].downwardAPI.items[0]", "", "", false},
		{"two volumes of one name", at("postgres.extraVolumes", []any{map[string]any{"name": "x", "emptyDir": map[string]any{}}, map[string]any{"name": "x", "emptyDir": map[string]any{}}}), "postgres.extraVolumes[1].name", "", "", false},
		{"volumes that are good", at("postgres.extraVolumes", []any{
			map[string]any{"name": "a", "configMap": map[string]any{"name": "c", "defaultMode": 0o440, "items": []any{map[string]any{"key": "k", "path": "sub/k.conf"}}}},
			map[string]any{"name": "b", "ephemeral": map[string]any{"volumeClaimTemplate": map[string]any{"spec": map[string]any{"accessModes": []any{"ReadWriteOnce"}, "resources": map[string]any{"requests": map[string]any{"storage": "1Gi"}}}}}},
			map[string]any{"name": "c", "downwardAPI": map[string]any{"items": []any{map[string]any{"path": "labels", "fieldRef": map[string]any{"fieldPath": "metadata.labels"}}}}},
			map[string]any{"name": "d", "projected": map[string]any{"sources": []any{map[string]any{"secret": map[string]any{"name": "s"}}, map[string]any{"configMap": map[string]any{"name": "c"}}}}},
		}), "", "", "", false},
		{"a mount over pg_hba.conf with double slashes", mount("//etc/postgresql//pg_hba.conf"), "postgres.extraVolumeMounts[0].mountPath", "", "", false},
		{"a mount over the configuration through a dot", mount("/etc/./postgresql"), "postgres.extraVolumeMounts[0].mountPath", "", "", false},
		{"a mount over the configuration through its parent", mount("/etc/postgresql/conf.d/../"), "postgres.extraVolumeMounts[0].mountPath", "", "", false},
		{"a mount over the credentials from below", mount("/run/secrets/x/../postgres"), "postgres.extraVolumeMounts[0].mountPath", "", "", false},
		{"a mount above the chart's paths", mount("/etc"), "postgres.extraVolumeMounts[0].mountPath", "", "", false},
		{"a mount at the root", mount("/"), "postgres.extraVolumeMounts[0].mountPath", "", "", false},
		{"a mount of redis.conf cleaned", at("redis.extraVolumes", []any{map[string]any{"name": "x", "emptyDir": map[string]any{}}},
			"redis.extraVolumeMounts", []any{map[string]any{"name": "x", "mountPath": "/etc//redis/./redis.conf"}}), "redis.extraVolumeMounts[0].mountPath", "", "", false},
		{"two mounts at one path", at("postgres.extraVolumes", []any{map[string]any{"name": "x", "emptyDir": map[string]any{}}},
			"postgres.extraVolumeMounts", []any{map[string]any{"name": "x", "mountPath": "/srv/a"}, map[string]any{"name": "x", "mountPath": "/srv//a"}}), "postgres.extraVolumeMounts[1].mountPath", "", "", false},
		{"a mount with subPath and subPathExpr", at("postgres.extraVolumes", []any{map[string]any{"name": "x", "emptyDir": map[string]any{}}},
			"postgres.extraVolumeMounts", []any{map[string]any{"name": "x", "mountPath": "/srv/a", "subPath": "a", "subPathExpr": "$(POD)"}}), "postgres.extraVolumeMounts[0]", "", "", false},
		{"a mount with bidirectional propagation", at("postgres.extraVolumes", []any{map[string]any{"name": "x", "emptyDir": map[string]any{}}},
			"postgres.extraVolumeMounts", []any{map[string]any{"name": "x", "mountPath": "/srv/a", "mountPropagation": "Bidirectional"}}), "postgres.extraVolumeMounts[0].mountPropagation", "", "", false},
		{"a mount that is good", mount("/srv/shared"), "", "", "", false},
		// sidecars
		{"a sidecar on the server's port", sidecar(map[string]any{"ports": []any{map[string]any{"containerPort": 5432}}}), "postgres.sidecars[0].ports[0].containerPort", "", "", false},
		{"a sidecar on the exporter's port", at("postgres.metrics.enabled", true, "postgres.sidecars", []any{map[string]any{"name": "s", "image": "busybox:1.36", "ports": []any{map[string]any{"containerPort": 9187}}}}), "postgres.sidecars[0].ports[0].containerPort", "", "", false},
		{"two sidecars of one name", at("postgres.sidecars", []any{map[string]any{"name": "s", "image": "busybox:1.36"}, map[string]any{"name": "s", "image": "busybox:1.36"}}), "postgres.sidecars[1].name", "", "", false},
		{"a sidecar named like the exporter", at("postgres.metrics.enabled", true, "postgres.sidecars", []any{map[string]any{"name": "metrics", "image": "busybox:1.36"}}), "postgres.sidecars[0].name", "", "", false},
		{"a sidecar with a literal password", sidecar(map[string]any{"env": []any{map[string]any{"name": "DB_PASSWORD", "value": "hunter2"}}}), "postgres.sidecars[0].env[0]", "", "", false},
		{"a sidecar with a URL holding a password", sidecar(map[string]any{"env": []any{map[string]any{"name": "TARGET", "value": "postgresql://app:hunter2@db:5432/app"}}}), "postgres.sidecars[0].env[0]", "", "", false},
		{"a sidecar that mounts the credentials", sidecar(map[string]any{"volumeMounts": []any{map[string]any{"name": "credentials", "mountPath": "/creds"}}}), "postgres.sidecars[0].volumeMounts[0].name", "", "", false},
		{"a sidecar that mounts the server's key", sidecar(map[string]any{"volumeMounts": []any{map[string]any{"name": "tls", "mountPath": "/tls"}}}), "postgres.sidecars[0].volumeMounts[0].name", "", "", false},
		{"a sidecar with two probe handlers", sidecar(map[string]any{"readinessProbe": map[string]any{"tcpSocket": map[string]any{"port": 2020}, "exec": map[string]any{"command": []any{"true"}}}}), "postgres.sidecars[0].readinessProbe", "", "", false},
		{"a sidecar liveness probe needing two successes", sidecar(map[string]any{"livenessProbe": map[string]any{"tcpSocket": map[string]any{"port": 2020}, "successThreshold": 2}}), "postgres.sidecars[0]", "", "", false},
		{"a sidecar asking above its limit", sidecar(map[string]any{"resources": map[string]any{"requests": map[string]any{"memory": "2Gi"}, "limits": map[string]any{"memory": "1Gi"}}}), "postgres.sidecars[0].resources", "", "", false},
		{"a sidecar with a TTY", sidecar(map[string]any{"tty": true}), "postgres.sidecars[0]", "", "", false},
		{"a sidecar port name of 16 characters", sidecar(map[string]any{"ports": []any{map[string]any{"name": strings.Repeat("p", 16), "containerPort": 2020}}}), "postgres.sidecars[0].ports[0].name", "", "", false},
		{"a sidecar working in a relative directory", sidecar(map[string]any{"workingDir": "tmp"}), "postgres.sidecars[0].workingDir", "", "", false},
		{"a sidecar that is good", sidecar(map[string]any{
			"ports":          []any{map[string]any{"name": "http", "containerPort": 2020}},
			"env":            []any{map[string]any{"name": "LOG_LEVEL", "value": "info"}, map[string]any{"name": "API_TOKEN", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "shipper", "key": "token"}}}},
			"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/api/v1/health", "port": "http"}, "periodSeconds": 10},
			"resources":      map[string]any{"requests": map[string]any{"cpu": "10m", "memory": "32Mi"}, "limits": map[string]any{"memory": "64Mi"}},
		}), "", "", "", false},
		// resources
		{"a request above its limit", at("postgres.instances.app.resources", map[string]any{"requests": map[string]any{"memory": "2Gi"}, "limits": map[string]any{"memory": "1Gi"}}), "postgres.instances.app.resources", "", "", false},
		{"a negative memory limit", at("redis.resources.limits.memory", "-1Gi"), "redis.resources.limits.memory", "", "", false},
		{"claims in resources", at("redis.resources.claims", []any{map[string]any{"name": "gpu"}}), "redis.resources", "", "", false},
		{"a request of a thousandth of a core in exponent form", at("redis.resources.requests.cpu", "1e-3"), "", "", "", false},
	}
}
