"""The rendered chart: what reaches the cluster for the defaults and each documented scenario."""

from __future__ import annotations

import dataclasses
import json
import tarfile
from pathlib import Path

import pytest

from malwar.api.settings import ServerSettings, env_name, load_settings
from tests.chart.conftest import (
    CHART,
    SCENARIOS,
    HelmError,
    container,
    kinds,
    one,
    pod_env,
    run_helm,
)

POSTGRES = {"malwar": {"dbUrl": "postgresql://u:p@db:5432/malwar"}, "persistence": {"enabled": False}}
SERVER_VARIABLES = {env_name(f.name) for f in dataclasses.fields(ServerSettings)}


def test_lint_strict(helm: str) -> None:
    out = run_helm(helm, "lint", "--strict", str(CHART))
    assert "0 chart(s) failed" in out


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_lint_strict_scenario(helm: str, scenario: str) -> None:
    assert "0 chart(s) failed" in run_helm(helm, "lint", "--strict", "-f", str(SCENARIOS[scenario]), str(CHART))


def test_default_objects(render) -> None:  # type: ignore[no-untyped-def]
    assert kinds(render()) == ["ConfigMap", "Deployment", "PersistentVolumeClaim", "Secret", "Service",
                               "ServiceAccount"]


def test_image_follows_the_guide(render) -> None:  # type: ignore[no-untyped-def]
    c = container(render())
    assert c["image"] == "ghcr.io/ap6pack/malwar:latest"
    assert c["imagePullPolicy"] == "IfNotPresent"
    assert container(render({"image": {"tag": "0.1.0"}}))["image"] == "ghcr.io/ap6pack/malwar:0.1.0"


def test_probes_exactly_as_the_guide(render) -> None:  # type: ignore[no-untyped-def]
    c = container(render())
    assert c["livenessProbe"] == {"httpGet": {"path": "/api/v1/health", "port": "http"}, "initialDelaySeconds": 10,
                                  "periodSeconds": 30, "timeoutSeconds": 5, "failureThreshold": 3}
    assert c["readinessProbe"] == {"httpGet": {"path": "/api/v1/ready", "port": "http"}, "initialDelaySeconds": 5,
                                   "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3}
    assert c["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert c["args"] == ["serve", "--host", "0.0.0.0", "--port", "8000"]


def test_security_context(render) -> None:  # type: ignore[no-untyped-def]
    manifests = render()
    pod = one(manifests, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["fsGroup"] == 1000
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False  # else MALWAR_PORT=tcp://... breaks the port setting
    sc = container(manifests)["securityContext"]
    assert sc["runAsNonRoot"] is True
    assert sc["runAsUser"] == 1000
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}


@pytest.mark.parametrize(("values", "claim"), [({}, {"claimName": "malwar"}),
                                               ({"persistence": {"existingClaim": "restored"}},
                                                {"claimName": "restored"}),
                                               ({"persistence": {"enabled": False}}, None)])
def test_writable_paths_are_mounted(render, values, claim) -> None:  # type: ignore[no-untyped-def]
    manifests = render(values)
    pod = one(manifests, "Deployment")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in container(manifests)["volumeMounts"]}
    assert mounts == {"data": "/data", "tmp": "/tmp"}
    assert volumes["tmp"]["emptyDir"] == {}
    if claim is None:
        assert volumes["data"] == {"name": "data", "emptyDir": {}}
    else:
        assert volumes["data"]["persistentVolumeClaim"] == claim


def test_data_volume_follows_db_path(render) -> None:  # type: ignore[no-untyped-def]
    manifests = render({"malwar": {"dbPath": "/var/lib/malwar/scans.db"}})
    assert {m["name"]: m["mountPath"] for m in container(manifests)["volumeMounts"]}["data"] == "/var/lib/malwar"
    assert pod_env(manifests)["MALWAR_DB_PATH"] == "/var/lib/malwar/scans.db"


def test_pvc_is_kept_on_uninstall(render) -> None:  # type: ignore[no-untyped-def]
    pvc = one(render(), "PersistentVolumeClaim")
    assert pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert "storageClassName" not in pvc["spec"]  # empty = the cluster's default class
    assert one(render({"persistence": {"storageClass": "fast"}}), "PersistentVolumeClaim")["spec"][
        "storageClassName"] == "fast"
    assert "PersistentVolumeClaim" not in kinds(render({"persistence": {"existingClaim": "restored"}}))


@pytest.mark.parametrize("scenario", ["default", *sorted(SCENARIOS)])
def test_every_variable_the_chart_sets_is_one_the_server_reads(render, scenario) -> None:  # type: ignore[no-untyped-def]
    manifests = render() if scenario == "default" else render(SCENARIOS[scenario])
    env = pod_env(manifests)
    malwar_vars = {k for k in env if k.startswith("MALWAR_")}
    assert malwar_vars <= SERVER_VARIABLES, malwar_vars - SERVER_VARIABLES
    for source in (one(manifests, "ConfigMap")["data"],):
        assert set(source) <= SERVER_VARIABLES


def test_values_reach_the_server_settings(render) -> None:  # type: ignore[no-untyped-def]
    """The strings the chart renders parse into the settings the values asked for."""
    manifests = render({"malwar": {
        "apiKeys": ["k-one", {"key": "k-two", "role": "scanner"}], "logLevel": "DEBUG", "logFormat": "console",
        "autoMigrate": False, "workers": 2, "allowOpen": True, "webhookUrls": ["https://a.example/h", "https://b.example/h"],
        "webhookSecret": "s3cret", "anthropicApiKey": "sk-ant-x", "maxUploadBytes": 2097152}})
    settings = load_settings(pod_env(manifests))
    assert [(k.key, k.role) for k in settings.api_keys] == [("k-one", "admin"), ("k-two", "scanner")]
    assert (settings.log_level, settings.log_format, settings.auto_migrate, settings.workers) == (
        "DEBUG", "console", False, 2)
    assert settings.webhook_urls == ("https://a.example/h", "https://b.example/h")
    assert settings.webhook_secret == "s3cret"
    assert settings.anthropic_api_key == "sk-ant-x"
    assert settings.max_upload_bytes == 2097152
    assert settings.allow_open is True
    assert settings.db_path == "/data/malwar.db"


def test_default_settings_parse(render) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(pod_env(render()))
    assert settings.auto_migrate is True
    assert settings.log_format == "json"
    assert settings.api_keys == ()
    assert settings.allow_open is False


def test_secrets_live_in_the_secret_not_the_configmap(render) -> None:  # type: ignore[no-untyped-def]
    manifests = render({"malwar": {"apiKeys": ["k"], "anthropicApiKey": "a", "webhookSecret": "w",
                                   "webhookUrls": ["https://h.example/"]}})
    config = one(manifests, "ConfigMap")["data"]
    secret = one(manifests, "Secret")["data"]
    assert set(secret) == {"MALWAR_API_KEYS", "MALWAR_ANTHROPIC_API_KEY", "MALWAR_WEBHOOK_SECRET"}
    assert not set(secret) & set(config)
    assert "k" not in json.dumps(config.get("MALWAR_API_KEYS", ""))


def test_config_and_secret_changes_roll_the_pods(render) -> None:  # type: ignore[no-untyped-def]
    def annotations(values):  # type: ignore[no-untyped-def]
        return one(render(values), "Deployment")["spec"]["template"]["metadata"]["annotations"]

    base = annotations({})
    assert annotations({"malwar": {"logLevel": "DEBUG"}})["checksum/config"] != base["checksum/config"]
    assert annotations({"malwar": {"apiKeys": ["k"]}})["checksum/secret"] != base["checksum/secret"]
    assert annotations({"resources": {"limits": {"cpu": "1"}}}) == base


@pytest.mark.parametrize("values", [{"replicaCount": 2}, {"autoscaling": {"enabled": True}},
                                    {"replicaCount": 3, "persistence": {"enabled": False}}])
def test_sqlite_refuses_more_than_one_replica(render, values) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HelmError) as err:
        render(values)
    message = str(err.value)
    assert "SQLite" in message and "one writer" in message
    assert "malwar.dbUrl" in message and "MALWAR_DB_URL" in message


def test_several_replicas_cannot_share_a_readwriteonce_volume(render) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HelmError, match=r"persistence\.enabled=false"):
        render({"replicaCount": 2, "malwar": {"dbUrl": "postgresql://db/malwar"}})


def test_sqlite_uses_recreate(render) -> None:  # type: ignore[no-untyped-def]
    assert one(render(), "Deployment")["spec"]["strategy"] == {"type": "Recreate"}


def test_postgresql_rolls_with_the_configured_bounds(render) -> None:  # type: ignore[no-untyped-def]
    manifests = render(POSTGRES, {"replicaCount": 3, "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 2}})
    deployment = one(manifests, "Deployment")
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["strategy"] == {"type": "RollingUpdate",
                                              "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 2}}
    assert pod_env(manifests)["MALWAR_DB_URL"] == "postgresql://u:p@db:5432/malwar"
    assert "PersistentVolumeClaim" not in kinds(manifests)


def test_autoscaling_with_postgresql(render) -> None:  # type: ignore[no-untyped-def]
    manifests = render(SCENARIOS["autoscaling-postgresql"])
    hpa = one(manifests, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "malwar"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    targets = {m["resource"]["name"]: m["resource"]["target"] for m in hpa["spec"]["metrics"]}
    assert targets == {"cpu": {"type": "Utilization", "averageUtilization": 70},
                       "memory": {"type": "Utilization", "averageUtilization": 80}}
    assert "replicas" not in one(manifests, "Deployment")["spec"]  # the HPA owns the count
    assert one(manifests, "Deployment")["spec"]["strategy"]["type"] == "RollingUpdate"


def test_existing_secret_postgresql_flag_lifts_the_guard(render) -> None:  # type: ignore[no-untyped-def]
    manifests = render({"malwar": {"existingSecret": "mine", "existingSecretHasDbUrl": True},
                        "persistence": {"enabled": False}, "replicaCount": 2})
    assert one(manifests, "Deployment")["spec"]["replicas"] == 2


def test_existing_secret(render) -> None:  # type: ignore[no-untyped-def]
    manifests = render(SCENARIOS["existing-secret"])
    assert "Secret" not in kinds(manifests)
    assert {"secretRef": {"name": "malwar-secrets"}} in container(manifests)["envFrom"]
    with pytest.raises(HelmError, match="existingSecret is set"):
        render(SCENARIOS["existing-secret"], {"malwar": {"apiKeys": ["k"]}})


def test_webhook_urls_need_a_secret(render) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HelmError, match=r"malwar\.webhookSecret"):
        render({"malwar": {"webhookUrls": ["https://h.example/"]}})


def test_ingress_with_tls(render) -> None:  # type: ignore[no-untyped-def]
    ingress = one(render(SCENARIOS["ingress-tls"]), "Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"
    assert ingress["spec"]["tls"] == [{"hosts": ["malwar.example.com"], "secretName": "malwar-tls"}]
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == "malwar.example.com"
    assert rule["http"]["paths"] == [{"path": "/", "pathType": "Prefix",
                                      "backend": {"service": {"name": "malwar", "port": {"number": 8000}}}}]


def test_service(render) -> None:  # type: ignore[no-untyped-def]
    service = one(render({"service": {"type": "NodePort", "port": 9000}}), "Service")
    assert service["spec"]["type"] == "NodePort"
    assert service["spec"]["ports"] == [{"name": "http", "port": 9000, "targetPort": "http", "protocol": "TCP"}]
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": "malwar", "app.kubernetes.io/instance": "malwar"}


def test_service_account(render) -> None:  # type: ignore[no-untyped-def]
    manifests = render({"serviceAccount": {"name": "scanner", "annotations": {"a": "b"}}})
    sa = one(manifests, "ServiceAccount")
    assert sa["metadata"] == {**sa["metadata"], "name": "scanner", "annotations": {"a": "b"}}
    assert one(manifests, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == "scanner"
    assert "ServiceAccount" not in kinds(render({"serviceAccount": {"create": False}}))


def test_extras_reach_the_pod(render) -> None:  # type: ignore[no-untyped-def]
    manifests = render({
        "podAnnotations": {"prometheus.io/scrape": "true"}, "podLabels": {"team": "sec"},
        "nodeSelector": {"disk": "ssd"}, "tolerations": [{"key": "k", "operator": "Exists"}],
        "affinity": {"nodeAffinity": {}}, "imagePullSecrets": [{"name": "regcred"}],
        "extraEnv": [{"name": "MALWAR_METRICS_PUBLIC", "value": "true"}],
        "extraVolumes": [{"name": "intel", "configMap": {"name": "intel"}}],
        "extraVolumeMounts": [{"name": "intel", "mountPath": "/intel", "readOnly": True}]})
    template = one(manifests, "Deployment")["spec"]["template"]
    pod = template["spec"]
    assert template["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert template["metadata"]["labels"]["team"] == "sec"
    assert pod["nodeSelector"] == {"disk": "ssd"}
    assert pod["tolerations"] == [{"key": "k", "operator": "Exists"}]
    assert pod["affinity"] == {"nodeAffinity": {}}
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert {"name": "intel", "configMap": {"name": "intel"}} in pod["volumes"]
    assert {"name": "intel", "mountPath": "/intel", "readOnly": True} in container(manifests)["volumeMounts"]
    assert pod_env(manifests)["MALWAR_METRICS_PUBLIC"] == "true"


def test_helm_test_pod_checks_health(render) -> None:  # type: ignore[no-untyped-def]
    pod = one(render(), "Pod", test=True)
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    [c] = pod["spec"]["containers"]
    assert "http://malwar:8000/api/v1/health" in c["command"][-1]
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["spec"]["restartPolicy"] == "Never"


@pytest.mark.parametrize("scenario", ["default", *sorted(SCENARIOS)])
def test_notes_render(helm: str, scenario: str) -> None:
    args = ["install", "malwar", str(CHART), "--dry-run=client", "--namespace", "malwar"]
    if scenario != "default":
        args += ["-f", str(SCENARIOS[scenario])]
    notes = run_helm(helm, *args).split("NOTES:", 1)[1]
    assert "helm test malwar" in notes
    if scenario in ("default", "ingress-tls"):
        assert "malwar db backup /data/backup.db" in notes
    if scenario == "persistence-off":
        assert "lost with the pod" in notes


def test_scenario_files_are_the_documented_ones() -> None:
    assert set(SCENARIOS) == {"ingress-tls", "autoscaling-postgresql", "existing-secret", "persistence-off"}


def test_chart_packages_without_dev_files(helm: str, tmp_path: Path) -> None:
    run_helm(helm, "package", str(CHART), "--destination", str(tmp_path))
    [tgz] = tmp_path.glob("malwar-*.tgz")
    with tarfile.open(tgz) as archive:
        names = archive.getnames()
    assert "malwar/values.schema.json" in names
    assert not [n for n in names if n.endswith(".py") or "/ci/" in n]
