"""Every rendered object against the Kubernetes API schemas, strict (unknown fields fail).

kubernetes-validate ships the OpenAPI-derived JSON schemas of each release, so this
runs offline. 1.26 is the oldest release the chart supports (Chart.yaml kubeVersion).
"""

from __future__ import annotations

import kubernetes_validate
import pytest

from tests.chart.conftest import SCENARIOS

KUBERNETES_VERSIONS = ["1.26", "1.28", "1.30", "1.32", "1.34", "1.35", kubernetes_validate.latest_version()]
POSTGRES_REPLICAS = {"replicaCount": 3, "persistence": {"enabled": False},
                     "malwar": {"dbUrl": "postgresql://u:p@db:5432/malwar"}}
EVERYTHING = {
    "podAnnotations": {"a": "b"}, "podLabels": {"c": "d"}, "nodeSelector": {"disk": "ssd"},
    "tolerations": [{"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule"}],
    "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 1, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                          "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "malwar"}}}}]}},
    "imagePullSecrets": [{"name": "regcred"}],
    "extraEnv": [{"name": "MALWAR_METRICS_PUBLIC", "value": "true"}],
    "extraVolumes": [{"name": "intel", "configMap": {"name": "intel"}}],
    "extraVolumeMounts": [{"name": "intel", "mountPath": "/intel", "readOnly": True}],
    "persistence": {"storageClass": "fast"},
    "malwar": {"apiKeys": ["k", {"key": "k2", "role": "scanner"}], "webhookUrls": ["https://h.example/"],
               "webhookSecret": "w", "anthropicApiKey": "a", "maxUploadBytes": 4096},
}
CASES = {"default": [], "postgresql-replicas": [POSTGRES_REPLICAS], "every-value": [EVERYTHING],
         **{name: [path] for name, path in SCENARIOS.items()}}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_rendered_objects_validate_strictly(render, case: str, version: str) -> None:  # type: ignore[no-untyped-def]
    manifests = render(*CASES[case])
    assert manifests
    for manifest in manifests:
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{manifest['kind']}/{manifest['metadata']['name']} on Kubernetes {version}: "
                        f"{exc.message} at {'.'.join(map(str, exc.path))}", pytrace=False)


def test_strict_validation_really_rejects_unknown_fields() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
               "spec": {"ports": [{"port": 80, "targetPrt": 8000}]}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(service, "1.26", strict=True)
