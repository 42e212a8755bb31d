"""What the rendered chart must guarantee, read from the manifests helm renders (no cluster)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from conftest import CHART, NAMESPACE, REPO, VALUE_SETS, render_error, render_set

PRODUCTION = "production"
MAX_HEARTBEAT_TIMEOUT_SECS = 20
SECRET_ENV = {
    "REVLOOP_JWT_SECRET": "jwt-secret",
    "REVLOOP_APPROVAL_KEY": "approval-key",
    "REVLOOP_APPROVAL_KEYS_PREVIOUS": "approval-keys-previous",
}
SECRETISH = re.compile(r"SECRET|PASSWORD|TOKEN|CREDENTIAL|PRIVATE|API_KEY|APPROVAL_KEY|_KEY$", re.I)
NOT_SECRET = {"REVLOOP_KMS_KEY_ID", "REVLOOP_TENANT_SECRETS_DIR", "TEMPORAL_TLS_CLIENT_KEY_PATH"}


# ---- reading the rendered manifests -------------------------------------------------------

def of_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def named(docs, kind, name):
    found = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def pod_spec(deployment):
    return deployment["spec"]["template"]["spec"]


def containers(deployment, init=True):
    spec = pod_spec(deployment)
    return list(spec["containers"]) + (list(spec.get("initContainers", [])) if init else [])


def effective_env(docs, container) -> dict[str, object]:
    """NAME -> value (a string, or the valueFrom dict), as the kubelet would build it."""
    env: dict[str, object] = {}
    for source in container.get("envFrom", []):
        ref = source["configMapRef"]["name"]
        env.update(named(docs, "ConfigMap", ref)["data"])
    for var in container.get("env", []):
        env[var["name"]] = var["value"] if "value" in var else var["valueFrom"]
    return env


def port_of(addr: str) -> int:
    return int(addr.rsplit(":", 1)[1])


def container_port(container, port) -> int:
    """A probe's port (a name or a number) resolved against the container's ports."""
    if isinstance(port, int):
        assert any(p["containerPort"] == port for p in container["ports"]), port
        return port
    matches = [p["containerPort"] for p in container["ports"] if p.get("name") == port]
    assert matches, f"container {container['name']} has no port named {port}"
    return matches[0]


def workers(docs):
    return [d for d in of_kind(docs, "Deployment")
            if d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") == "worker"]


def api(docs):
    return named(docs, "Deployment", "revloop-api")


def main_container(deployment):
    return pod_spec(deployment)["containers"][0]


def worker_mode(docs, deployment) -> str:
    return effective_env(docs, main_container(deployment))["REVLOOP_WORKER_MODE"]


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


# ---- KEDA watches exactly the queue the workers poll ----------------------------------------

def test_production_scales_each_split_worker_with_keda():
    docs = render_set(PRODUCTION)
    scaled = {so["spec"]["scaleTargetRef"]["name"] for so in of_kind(docs, "ScaledObject")}
    assert scaled == {"revloop-worker-workflows", "revloop-worker-activities"}
    for w in workers(docs):
        assert "replicas" not in w["spec"], "KEDA owns the replica count of a scaled Deployment"


def test_keda_trigger_watches_the_queue_the_workers_poll(value_set):
    docs = render_set(value_set)
    expected_types = {"all": {"workflow", "activity"}, "workflows": {"workflow"}, "activities": {"activity"}}
    for so in of_kind(docs, "ScaledObject"):
        target = named(docs, "Deployment", so["spec"]["scaleTargetRef"]["name"])
        assert so["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        (trigger,) = so["spec"]["triggers"]
        assert trigger["type"] == "temporal"
        meta = trigger["metadata"]
        for c in containers(target):
            env = effective_env(docs, c)
            assert meta["taskQueue"] == env["REVLOOP_TASK_QUEUE"], c["name"]
            assert meta["namespace"] == env["TEMPORAL_NAMESPACE"], c["name"]
            assert meta["endpoint"] == urlsplit(env["TEMPORAL_ADDRESS"]).netloc, c["name"]
        mode = worker_mode(docs, target)
        assert set(meta["queueTypes"].split(",")) == expected_types[mode]
        assert int(meta["targetQueueSize"]) >= 1
        assert int(meta["activationTargetQueueSize"]) >= 0


def test_keda_trigger_metadata_uses_the_temporal_scalers_keys(value_set):
    # The keys of KEDA 2.17's temporal scaler (pkg/scalers/temporal.go); no schema checks them.
    known = {"endpoint", "namespace", "taskQueue", "queueTypes", "targetQueueSize",
             "activationTargetQueueSize", "buildId", "selectAllActive", "selectUnversioned",
             "minConnectTimeout", "unsafeSsl"}
    for so in of_kind(render_set(value_set), "ScaledObject"):
        for trigger in so["spec"]["triggers"]:
            assert set(trigger["metadata"]) <= known
            assert {"endpoint", "namespace", "taskQueue"} <= set(trigger["metadata"])
            assert all(isinstance(v, str) for v in trigger["metadata"].values())


def test_keda_authenticates_with_the_workers_temporal_credentials(value_set):
    docs = render_set(value_set)
    auths = {a["metadata"]["name"]: a for a in of_kind(docs, "TriggerAuthentication")}
    for so in of_kind(docs, "ScaledObject"):
        target = named(docs, "Deployment", so["spec"]["scaleTargetRef"]["name"])
        env = effective_env(docs, main_container(target))
        volumes = {v["name"]: v for v in pod_spec(target)["volumes"]}
        (trigger,) = so["spec"]["triggers"]
        ref = trigger.get("authenticationRef")
        if "temporal-tls" in volumes:
            secret = volumes["temporal-tls"]["secret"]["secretName"]
            params = {r["parameter"]: (r["name"], r["key"]) for r in auths[ref["name"]]["spec"]["secretTargetRef"]}
            assert params["cert"] == (secret, "tls.crt")
            assert params["key"] == (secret, "tls.key")
            assert ("ca" in params) == ("TEMPORAL_TLS_SERVER_CA_CERT_PATH" in env)
        elif "TEMPORAL_API_KEY" in env:
            key_ref = env["TEMPORAL_API_KEY"]["secretKeyRef"]
            params = {r["parameter"]: (r["name"], r["key"]) for r in auths[ref["name"]]["spec"]["secretTargetRef"]}
            assert params == {"apiKey": (key_ref["name"], key_ref["key"])}
        else:
            assert ref is None


def test_workflow_workers_keep_at_least_one_replica(value_set):
    docs = render_set(value_set)
    for so in of_kind(docs, "ScaledObject"):
        target = named(docs, "Deployment", so["spec"]["scaleTargetRef"]["name"])
        if worker_mode(docs, target) in ("all", "workflows"):
            assert so["spec"]["minReplicaCount"] >= 1
        assert so["spec"]["maxReplicaCount"] >= max(1, so["spec"]["minReplicaCount"])
    scaled = {so["spec"]["scaleTargetRef"]["name"] for so in of_kind(docs, "ScaledObject")}
    for w in workers(docs):
        if w["metadata"]["name"] not in scaled and worker_mode(docs, w) in ("all", "workflows"):
            assert w["spec"]["replicas"] >= 1


# ---- probes point at real endpoints -------------------------------------------------------

def test_worker_probes_hit_the_health_listener(value_set):
    docs = render_set(value_set)
    for w in workers(docs):
        c = main_container(w)
        health_port = port_of(effective_env(docs, c)["REVLOOP_WORKER_HEALTH_ADDR"])
        for probe, path in (("readinessProbe", "/healthz"), ("startupProbe", "/healthz"),
                            ("livenessProbe", "/livez")):
            get = c[probe]["httpGet"]
            assert get["path"] == path, (w["metadata"]["name"], probe)
            assert container_port(c, get["port"]) == health_port, (w["metadata"]["name"], probe)


def test_api_probes_use_grpc_health_on_the_grpc_listener(value_set):
    docs = render_set(value_set)
    c = main_container(api(docs))
    grpc_port = port_of(effective_env(docs, c)["REVLOOP_API_LISTEN"])
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert set(c[probe]) & {"httpGet", "tcpSocket", "exec"} == set()
        assert container_port(c, c[probe]["grpc"]["port"]) == grpc_port, probe
        assert c[probe]["grpc"].get("service", "") == ""


def test_listeners_match_container_and_service_ports(value_set):
    docs = render_set(value_set)
    for w in workers(docs):
        env = effective_env(docs, main_container(w))
        ports = {p["containerPort"] for p in main_container(w)["ports"]}
        for var in ("REVLOOP_WORKER_HEALTH_ADDR", "REVLOOP_WORKER_METRICS_ADDR", "REVLOOP_TEMPORAL_METRICS_ADDR"):
            assert env[var].startswith("0.0.0.0:") and port_of(env[var]) in ports, var
    a = main_container(api(docs))
    env = effective_env(docs, a)
    ports = {p["containerPort"] for p in a["ports"]}
    for var in ("REVLOOP_API_LISTEN", "REVLOOP_HTTP_LISTEN", "REVLOOP_API_METRICS_ADDR"):
        assert env[var].startswith("0.0.0.0:") and port_of(env[var]) in ports, var
    # Every Service port reaches a container port of the pods the Service selects.
    for svc in of_kind(docs, "Service"):
        pods = [d for d in of_kind(docs, "Deployment")
                if selects(svc["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])]
        assert pods, f"Service {svc['metadata']['name']} selects no pods"
        for d in pods:
            c = main_container(d)
            for p in svc["spec"]["ports"]:
                container_port(c, p["targetPort"])


def test_api_service_ports():
    svc = named(render_set("default"), "Service", "revloop-api")
    assert {p["name"]: p["port"] for p in svc["spec"]["ports"]} == {"grpc": 50051, "http": 8080, "metrics": 9466}
    wsvc = named(render_set("default"), "Service", "revloop-worker-metrics")
    assert {p["name"]: p["port"] for p in wsvc["spec"]["ports"]} == {"metrics": 9464, "temporal-metrics": 9465}


def test_service_monitors_scrape_every_metrics_port():
    docs = render_set(PRODUCTION)
    scraped = set()
    for sm in of_kind(docs, "ServiceMonitor"):
        svcs = [s for s in of_kind(docs, "Service") if selects(sm["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])]
        assert len(svcs) == 1, sm["metadata"]["name"]
        names = {p["name"] for p in svcs[0]["spec"]["ports"]}
        for ep in sm["spec"]["endpoints"]:
            assert ep["port"] in names and ep["path"] == "/metrics"
            scraped.add((svcs[0]["metadata"]["name"], ep["port"]))
        assert sm["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert scraped == {("revloop-worker-metrics", "metrics"), ("revloop-worker-metrics", "temporal-metrics"),
                       ("revloop-api", "metrics")}


# ---- nothing runs as root, nothing writes the image ---------------------------------------

def test_no_container_can_run_as_root(value_set):
    docs = render_set(value_set)
    deployments = of_kind(docs, "Deployment")
    assert deployments
    for d in deployments:
        pod_sc = pod_spec(d).get("securityContext", {})
        assert pod_sc.get("seccompProfile", {}).get("type") == "RuntimeDefault"
        assert pod_spec(d).get("hostNetwork") is not True and pod_spec(d).get("hostPID") is not True
        for c in containers(d):
            sc = c.get("securityContext", {})
            where = f"{d['metadata']['name']}/{c['name']}"
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, where
            uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
            assert uid is not None and uid != 0, where
            gid = sc.get("runAsGroup", pod_sc.get("runAsGroup"))
            assert gid is not None and gid != 0, where
            assert sc.get("readOnlyRootFilesystem") is True, where
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert sc.get("privileged", False) is False, where
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], where
            assert not sc.get("capabilities", {}).get("add"), where
            mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
            assert "/tmp" in mounts, where


# ---- shutdown ----------------------------------------------------------------------------

def test_worker_grace_period_outlasts_shutdown_and_heartbeats(value_set):
    docs = render_set(value_set)
    for w in workers(docs):
        shutdown = int(effective_env(docs, main_container(w))["REVLOOP_GRACEFUL_SHUTDOWN_SECS"])
        grace = pod_spec(w)["terminationGracePeriodSeconds"]
        assert grace > shutdown and grace > MAX_HEARTBEAT_TIMEOUT_SECS, w["metadata"]["name"]
    a = api(docs)
    assert pod_spec(a)["terminationGracePeriodSeconds"] == 30
    assert pod_spec(a)["terminationGracePeriodSeconds"] > int(effective_env(docs, main_container(a))["REVLOOP_API_DRAIN_SECS"])


def test_split_workers_poll_one_kind_of_task_each():
    docs = render_set(PRODUCTION)
    modes = {w["metadata"]["name"]: worker_mode(docs, w) for w in workers(docs)}
    assert modes == {"revloop-worker-workflows": "workflows", "revloop-worker-activities": "activities"}
    assert {worker_mode(docs, w) for w in workers(render_set("default"))} == {"all"}


# ---- the init container ------------------------------------------------------------------

def test_init_container_checks_the_config_with_the_same_env_and_mounts(value_set):
    docs = render_set(value_set)
    for d in of_kind(docs, "Deployment"):
        main = main_container(d)
        component = "api" if d is api(docs) else "worker"
        (init,) = pod_spec(d)["initContainers"]
        cmd = init["command"] + init.get("args", [])
        assert cmd[0].endswith("/revloop") and cmd[1:] == ["config", "check", "--for", component]
        assert init["image"] == main["image"]
        assert init["envFrom"] == main["envFrom"]
        assert init["env"] == main["env"]
        assert init["volumeMounts"] == main["volumeMounts"]
        assert main["command"] == [f"/usr/local/bin/revloop-{component}"]


# ---- secrets -----------------------------------------------------------------------------

def test_no_secret_in_any_configmap(value_set):
    docs = render_set(value_set)
    for cm in of_kind(docs, "ConfigMap"):
        for key, value in cm["data"].items():
            assert not (SECRETISH.search(key) and key not in NOT_SECRET), (cm["metadata"]["name"], key)
            assert "-----BEGIN" not in value and "PRIVATE KEY" not in value, (cm["metadata"]["name"], key)
    assert not of_kind(docs, "Secret"), "the chart never creates Secrets from values"


def test_secrets_come_from_existing_secrets(value_set):
    docs = render_set(value_set)
    for d in of_kind(docs, "Deployment"):
        for c in containers(d):
            env = effective_env(docs, c)
            for var, key in SECRET_ENV.items():
                if var == "REVLOOP_JWT_SECRET" and d is not api(docs):
                    assert var not in env, "the worker does not need the JWT secret"
                    continue
                assert env[var]["secretKeyRef"]["key"] == key, (d["metadata"]["name"], var)
            assert env["REVLOOP_APPROVAL_KEYS_PREVIOUS"]["secretKeyRef"].get("optional") is True
            for name, value in env.items():
                if SECRETISH.search(name) and name not in NOT_SECRET:
                    assert isinstance(value, dict) and "secretKeyRef" in value, (d["metadata"]["name"], name)


def test_temporal_tls_paths_are_in_the_mounted_secret():
    docs = render_set(PRODUCTION)
    for d in of_kind(docs, "Deployment"):
        for c in containers(d):
            env = effective_env(docs, c)
            mounts = {m["name"]: m for m in c["volumeMounts"]}
            tls = mounts["temporal-tls"]
            assert tls["readOnly"] is True and tls["mountPath"] == "/var/run/revloop/temporal-tls"
            for var in ("TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH"):
                assert env[var].startswith(tls["mountPath"] + "/")
            assert env["TEMPORAL_ADDRESS"] == "https://revloop-prod.a1b2c.tmprl.cloud:7233"
            assert env["TEMPORAL_NAMESPACE"] == "revloop-prod.a1b2c"


def test_tenant_secrets_are_mounted_per_tenant():
    docs = render_set("sqlite-split")
    for d in of_kind(docs, "Deployment"):
        c = main_container(d)
        base = effective_env(docs, c)["REVLOOP_TENANT_SECRETS_DIR"]
        volumes = {v["name"]: v for v in pod_spec(d)["volumes"]}
        mounted = {m["mountPath"]: volumes[m["name"]]["secret"]["secretName"]
                   for m in c["volumeMounts"] if m["mountPath"].startswith(base + "/")}
        assert mounted == {f"{base}/acme": "acme-connectors", f"{base}/globex": "globex-connectors"}


# ---- the store ---------------------------------------------------------------------------

def test_production_uses_the_aws_stack():
    docs = render_set(PRODUCTION)
    for d in of_kind(docs, "Deployment"):
        env = effective_env(docs, main_container(d))
        assert env["REVLOOP_STORE"] == "aws"
        assert env["REVLOOP_AWS_TABLE_PREFIX"] == "revloop-prod"
        assert env["REVLOOP_S3_CONTENT_BUCKET"] == "revloop-prod-content"
        assert env["REVLOOP_S3_LEDGER_BUCKET"] == "revloop-prod-ledger"
        assert env["REVLOOP_S3_SCHEMA_BUCKET"] == "revloop-prod-schemas"
        assert env["AWS_REGION"] == "eu-west-1"
        assert env["REVLOOP_KMS_KEY_ID"] == "alias/revloop-prod/deployment", "the AWS stack's deployment key alias"
        assert env["REVLOOP_MEMORY_BACKEND"] == "titan"
        assert env["REVLOOP_LOG_FORMAT"] == "json"
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"]
        assert "data" not in {v["name"] for v in pod_spec(d)["volumes"]}
    assert not of_kind(docs, "PersistentVolumeClaim")
    accounts = {sa["metadata"]["name"]: sa for sa in of_kind(docs, "ServiceAccount")}
    for d in of_kind(docs, "Deployment"):
        sa = accounts[pod_spec(d)["serviceAccountName"]]
        assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    roles = {sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] for sa in accounts.values()}
    assert len(roles) == len(accounts) == 3, "the worker, the API and the agent tools have roles of their own"


# ---- the agent tools' ServiceAccount -----------------------------------------------------

AGENT_TOOLS = "agent-tools"
AWS_CONFIG_TS = REPO / "infra" / "aws" / "lib" / "config.ts"


def agent_tools_accounts(docs):
    return [sa for sa in of_kind(docs, "ServiceAccount")
            if sa["metadata"]["labels"].get("app.kubernetes.io/component") == AGENT_TOOLS]


def is_aws(docs):
    return {effective_env(docs, main_container(d))["REVLOOP_STORE"] for d in of_kind(docs, "Deployment")} == {"aws"}


def test_agent_tools_service_account_exists_with_the_aws_store_only(value_set):
    docs = render_set(value_set)
    accounts = agent_tools_accounts(docs)
    if not is_aws(docs):
        assert accounts == [], "no agent tools ServiceAccount with sqlite (its role is the AWS stack's)"
        return
    assert len(accounts) == 1
    sa = accounts[0]
    assert sa["metadata"]["name"] == "revloop-agent-tools"
    assert sa["automountServiceAccountToken"] is False


def test_no_pod_uses_the_agent_tools_service_account_yet(value_set):
    # The decision agent's tool calls still run in the worker, with the worker's role: nothing
    # assumes the agent tools' role until the worker does (README.md says so).
    docs = render_set(value_set)
    tools = {sa["metadata"]["name"] for sa in agent_tools_accounts(docs)}
    for d in of_kind(docs, "Deployment"):
        assert pod_spec(d)["serviceAccountName"] not in tools, d["metadata"]["name"]


def test_production_agent_tools_service_account_has_its_irsa_role():
    sa = agent_tools_accounts(render_set(PRODUCTION))[0]
    assert sa["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/revloop-prod-agent-tools"}


def test_agent_tools_service_account_values():
    named_ = render_set("aws-apikey", ("serviceAccount.agentTools.name=tools",
                                       "serviceAccount.agentTools.annotations.a=b"))
    assert [(sa["metadata"]["name"], sa["metadata"]["annotations"]) for sa in agent_tools_accounts(named_)] == [
        ("tools", {"a": "b"})]
    assert "annotations" not in agent_tools_accounts(render_set("aws-apikey"))[0]["metadata"]
    assert agent_tools_accounts(render_set("aws-apikey", ("fullnameOverride=rl",)))[0]["metadata"]["name"] == "rl-agent-tools"
    assert agent_tools_accounts(render_set("aws-apikey", ("serviceAccount.agentTools.create=false",))) == []
    # Its own switch: the chart may leave the worker's and the API's accounts to you and still create this one.
    only = render_set("aws-apikey", ("serviceAccount.create=false",))
    assert [sa["metadata"]["name"] for sa in of_kind(only, "ServiceAccount")] == ["revloop-agent-tools"]


def aws_stack_default_service_accounts() -> dict[str, str]:
    """DEFAULT_SERVICE_ACCOUNTS of infra/aws/lib/config.ts: the names the stack's roles trust by default."""
    text = AWS_CONFIG_TS.read_text()
    block = re.search(r"DEFAULT_SERVICE_ACCOUNTS = \{(.*?)\}", text, re.S)
    assert block, "DEFAULT_SERVICE_ACCOUNTS not found in infra/aws/lib/config.ts"
    return dict(re.findall(r"(\w+): '([^']+)'", block.group(1)))


def test_service_account_names_are_the_ones_the_aws_stack_trusts():
    # For release `revloop` the chart's default names are the stack's defaults, so the roles'
    # IRSA trust (system:serviceaccount:<namespace>:<name>) matches without setting either side.
    docs = render_set(PRODUCTION)
    stack = aws_stack_default_service_accounts()
    assert set(stack) == {"worker", "api", "agentTools"}
    worker_accounts = {pod_spec(d)["serviceAccountName"] for d in workers(docs)}
    assert worker_accounts == {stack["worker"]}
    assert pod_spec(api(docs))["serviceAccountName"] == stack["api"]
    assert [sa["metadata"]["name"] for sa in agent_tools_accounts(docs)] == [stack["agentTools"]]
    # …and each annotation names the stack's role for that account ({prefix}-worker, -api, -agent-tools).
    prefix = effective_env(docs, main_container(api(docs)))["REVLOOP_AWS_TABLE_PREFIX"]
    accounts = {sa["metadata"]["name"]: sa for sa in of_kind(docs, "ServiceAccount")}
    for component, role in (("worker", "worker"), ("api", "api"), ("agentTools", "agent-tools")):
        arn = accounts[stack[component]]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
        assert arn.endswith(f":role/{prefix}-{role}"), arn


@pytest.mark.parametrize("name", ["default", "sqlite-split"])
def test_sqlite_pods_share_one_volume_on_one_node(name):
    docs = render_set(name)
    deployments = of_kind(docs, "Deployment")
    claims = {pod_spec(d)["volumes"][[v["name"] for v in pod_spec(d)["volumes"]].index("data")]
              ["persistentVolumeClaim"]["claimName"] for d in deployments}
    assert len(claims) == 1
    anchors = [w for w in workers(docs) if worker_mode(docs, w) in ("all", "workflows")]
    assert len(anchors) == 1
    anchor_labels = anchors[0]["spec"]["template"]["metadata"]["labels"]
    for d in deployments:
        c = main_container(d)
        env = effective_env(docs, c)
        mount = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}["data"]
        assert env["REVLOOP_STORE"].startswith(mount + "/")
        assert d["spec"].get("replicas") == 1
        if d is anchors[0]:
            assert d["spec"]["strategy"]["type"] == "Recreate"
            continue
        terms = pod_spec(d)["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert any(t["topologyKey"] == "kubernetes.io/hostname"
                   and selects(t["labelSelector"]["matchLabels"], anchor_labels) for t in terms), d["metadata"]["name"]
    assert not of_kind(docs, "ScaledObject") and not of_kind(docs, "HorizontalPodAutoscaler")


# ---- the API's settings ------------------------------------------------------------------

def test_mcp_allows_the_service_names_and_ingress_hosts():
    docs = render_set(PRODUCTION)
    env = effective_env(docs, main_container(api(docs)))
    hosts = env["REVLOOP_MCP_ALLOWED_HOSTS"].split(",")
    for h in ("revloop-api", "revloop-api:8080", f"revloop-api.{NAMESPACE}.svc",
              f"revloop-api.{NAMESPACE}.svc:8080", "revloop.example.com"):
        assert h in hosts
    assert env["REVLOOP_WEB_SECURE_COOKIES"] == "true"
    assert effective_env(render_set("default"), main_container(api(render_set("default"))))[
        "REVLOOP_WEB_SECURE_COOKIES"] == "false"


def test_disruption_budgets_select_one_deployment_each(value_set):
    docs = render_set(value_set)
    for pdb in of_kind(docs, "PodDisruptionBudget"):
        sel = pdb["spec"]["selector"]["matchLabels"]
        matched = [d["metadata"]["name"] for d in of_kind(docs, "Deployment")
                   if selects(sel, d["spec"]["template"]["metadata"]["labels"])]
        assert matched == [pdb["metadata"]["name"]]
    assert len(of_kind(docs, "PodDisruptionBudget")) == len(of_kind(docs, "Deployment"))


def test_network_policies_cover_every_pod(value_set):
    docs = render_set(value_set)
    policies = of_kind(docs, "NetworkPolicy")
    for d in of_kind(docs, "Deployment"):
        labels = d["spec"]["template"]["metadata"]["labels"]
        assert any(selects(p["spec"]["podSelector"]["matchLabels"], labels) for p in policies)


def test_image_defaults_to_the_app_version():
    chart_version = re.search(r'^appVersion: "([^"]+)"', (CHART / "Chart.yaml").read_text(), re.M).group(1)
    for d in of_kind(render_set("default"), "Deployment"):
        for c in containers(d):
            assert c["image"] == f"revloop:{chart_version}" and c["imagePullPolicy"] == "IfNotPresent"


# ---- values the chart must refuse --------------------------------------------------------

REFUSED = [
    pytest.param(PRODUCTION, ["worker.workflows.autoscaling.minReplicaCount=0"],
                 ["worker.workflows.autoscaling.minReplicaCount is 0", "at least 1 replica"],
                 id="workflow-worker-min-replicas-0"),
    pytest.param("aws-apikey", ["worker.autoscaling.minReplicaCount=0"],
                 ["worker.autoscaling.minReplicaCount is 0", "at least 1 replica"],
                 id="combined-worker-min-replicas-0"),
    pytest.param("default", ["worker.terminationGracePeriodSeconds=10"],
                 ["worker.terminationGracePeriodSeconds (10) must be greater than worker.gracefulShutdownSeconds (30)",
                  "heartbeat timeout (20 s)"],
                 id="grace-period-10"),
    pytest.param("default", ["worker.terminationGracePeriodSeconds=30"],
                 ["worker.terminationGracePeriodSeconds (30) must be greater"], id="grace-equals-shutdown"),
    pytest.param("default", ["worker.gracefulShutdownSeconds=5", "worker.terminationGracePeriodSeconds=20"],
                 ["worker.terminationGracePeriodSeconds (20) must be greater", "heartbeat timeout (20 s)"],
                 id="grace-not-above-heartbeat"),
    pytest.param(PRODUCTION, ["store.aws.tablePrefix="],
                 ["store.backend is aws but store.aws.tablePrefix (REVLOOP_AWS_TABLE_PREFIX) is empty"],
                 id="aws-without-table-prefix"),
    pytest.param(PRODUCTION, ["store.aws.kmsKeyId="],
                 ["store.aws.kmsKeyId (REVLOOP_KMS_KEY_ID) is empty"], id="aws-without-kms-key"),
    pytest.param(PRODUCTION, ["store.aws.memoryBackend=bm25"],
                 ["store.aws.memoryBackend is \"bm25\"", "shared by every replica"],
                 id="aws-with-node-local-memory"),
    pytest.param("default", ["worker.replicas=2"],
                 ["worker.replicas is 2 with store.backend=sqlite", "Use store.backend=aws"],
                 id="sqlite-worker-2-replicas"),
    pytest.param("default", ["api.replicas=2"],
                 ["api.replicas is 2 with store.backend=sqlite", "Use store.backend=aws"],
                 id="sqlite-api-2-replicas"),
    pytest.param("sqlite-split", ["worker.activities.replicas=2"],
                 ["worker.activities.replicas is 2 with store.backend=sqlite", "Use store.backend=aws"],
                 id="sqlite-split-2-replicas"),
    pytest.param("default", ["worker.autoscaling.enabled=true"],
                 ["worker.autoscaling.enabled is true with store.backend=sqlite", "Use store.backend=aws"],
                 id="sqlite-autoscaling"),
    pytest.param("default", ["api.autoscaling.enabled=true"],
                 ["api.autoscaling.enabled is true with store.backend=sqlite", "Use store.backend=aws"],
                 id="sqlite-api-autoscaling"),
    pytest.param("default", ["persistence.accessMode=ReadWriteOncePod"],
                 ["persistence.accessMode must be ReadWriteOnce or ReadWriteMany"], id="sqlite-rwop"),
    pytest.param(PRODUCTION, ["store.aws.schemaBucket=revloop-prod-ledger"],
                 ["must be three different buckets"], id="aws-shared-bucket"),
    pytest.param("default", ["api.drainSeconds=30"],
                 ["api.terminationGracePeriodSeconds (30) must be greater than api.drainSeconds (30)"],
                 id="api-grace-not-above-drain"),
    pytest.param("default", ["store.backend=dynamo"], ["store.backend must be sqlite or aws"], id="unknown-backend"),
    pytest.param(PRODUCTION, ["temporal.apiKey.existingSecret=key"],
                 ["not both"], id="tls-and-api-key"),
    pytest.param("default", ["temporal.tls.existingSecret=tls"],
                 ["need an https:// temporal.address"], id="tls-over-http"),
    pytest.param(PRODUCTION, ["temporal.tls.existingSecret="],
                 ["KEDA's temporal scaler uses TLS only with a client certificate or an API key"],
                 id="keda-https-without-credentials"),
    pytest.param("default", ["temporal.address=temporal:7233"],
                 ["temporal.address must be http://host:port or https://host:port"], id="address-without-scheme"),
    pytest.param("default", ["extraConfig.REVLOOP_JWT_SECRET=hunter2hunter2hunter2"],
                 ["extraConfig.REVLOOP_JWT_SECRET looks like a secret"], id="secret-in-configmap"),
    pytest.param("default", ["tenantSecrets[0].tenant=../etc", "tenantSecrets[0].existingSecret=x"],
                 ["is not a tenant id"], id="tenant-path-traversal"),
    pytest.param(PRODUCTION, ["worker.activities.autoscaling.targetQueueSize=0"],
                 ["targetQueueSize must be at least 1"], id="target-queue-size-0"),
    pytest.param(PRODUCTION, ["serviceAccount.agentTools.name=revloop-worker"],
                 ['serviceAccount.agentTools.name "revloop-worker" is also the worker\'s or the API\'s ServiceAccount'],
                 id="agent-tools-shares-the-worker-account"),
    pytest.param("aws-apikey", ["serviceAccount.api.name=tools", "serviceAccount.agentTools.name=tools"],
                 ["the agent tools need one of their own"], id="agent-tools-shares-the-api-account"),
]


@pytest.mark.parametrize("base, sets, messages", REFUSED)
def test_chart_refuses(base, sets, messages):
    err = render_error(VALUE_SETS[base], tuple(sets))
    for m in messages:
        assert m in err, f"expected {m!r} in:\n{err}"


def test_activity_workers_may_scale_to_zero():
    docs = render_set(PRODUCTION, ("worker.activities.autoscaling.minReplicaCount=0",))
    so = named(docs, "ScaledObject", "revloop-worker-activities")
    assert so["spec"]["minReplicaCount"] == 0
