"""values.yaml against the Kubernetes guide, the schema, the package version and its docs page."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import malwar
from tests.chart.conftest import CHART, ROOT, HelmError

# The guide's configuration tables (shared/seed/kubernetes-deployment-guide.md), key -> default.
GUIDE_DEFAULTS: dict[str, Any] = {
    "image.repository": "ghcr.io/ap6pack/malwar",
    "image.tag": "latest",
    "image.pullPolicy": "IfNotPresent",
    "imagePullSecrets": [],
    "replicaCount": 1,
    "autoscaling.enabled": False,
    "autoscaling.minReplicas": 1,
    "autoscaling.maxReplicas": 5,
    "autoscaling.targetCPUUtilizationPercentage": 80,
    "autoscaling.targetMemoryUtilizationPercentage": 80,
    "service.type": "ClusterIP",
    "service.port": 8000,
    "ingress.enabled": False,
    "ingress.className": "nginx",
    "ingress.annotations": {},
    "ingress.tls": [],
    "resources.requests.cpu": "100m",
    "resources.requests.memory": "256Mi",
    "resources.limits.cpu": "500m",
    "resources.limits.memory": "512Mi",
    "persistence.enabled": True,
    "persistence.storageClass": "",
    "persistence.accessModes": ["ReadWriteOnce"],
    "persistence.size": "1Gi",
    "malwar.apiKeys": [],
    "malwar.logLevel": "INFO",
    "malwar.autoMigrate": True,
    "malwar.anthropicApiKey": "",
    "malwar.webhookUrls": [],
    "malwar.webhookSecret": "",
    "malwar.dbPath": "/data/malwar.db",
    "serviceAccount.create": True,
    "serviceAccount.annotations": {},
    "serviceAccount.name": "",
    "podSecurityContext.fsGroup": 1000,
    "securityContext.runAsNonRoot": True,
    "securityContext.runAsUser": 1000,
    "securityContext.readOnlyRootFilesystem": True,
    "securityContext.allowPrivilegeEscalation": False,
}


def values() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text())


def lookup(tree: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        tree = tree[part]
    return tree


@pytest.mark.parametrize("key", sorted(GUIDE_DEFAULTS))
def test_every_guide_value_exists_with_its_default(key: str) -> None:
    assert lookup(values(), key) == GUIDE_DEFAULTS[key]
    assert type(lookup(values(), key)) is type(GUIDE_DEFAULTS[key])


def test_default_ingress_host_rule_has_a_path() -> None:
    [rule] = values()["ingress"]["hosts"]
    assert rule["paths"] == [{"path": "/", "pathType": "Prefix"}]


def test_app_version_is_the_package_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == malwar.__version__
    static = re.search(r'^version\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    if static:  # pyproject may also carry it literally
        assert chart["appVersion"] == static[1]


@pytest.mark.parametrize(("override", "complaint"), [
    ({"replicaCount": "two"}, "want integer"),
    ({"imgae": {"tag": "x"}}, "'imgae' not allowed"),
    ({"malwar": {"logLevel": "info"}}, "value must be one of"),
    ({"malwar": {"apiKyes": ["k"]}}, "'apiKyes' not allowed"),
    ({"persistence": {"enabled": "yes"}}, "want boolean"),
    ({"service": {"port": 70000}}, "maximum"),
    ({"malwar": {"dbPath": "relative.db"}}, "does not match pattern"),
    ({"malwar": {"webhookUrls": ["ftp://x"]}}, "does not match pattern"),
    ({"securityContext": {"runAsUsr": 1000}}, "'runAsUsr' not allowed"),
])
def test_schema_rejects_wrong_types_and_unknown_keys(render, override, complaint) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HelmError) as err:
        render(override)
    assert complaint in str(err.value)


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("values_reference", CHART / "values_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_value_is_documented() -> None:
    gen = _generator()
    text = (CHART / "values.yaml").read_text()
    assert gen.undocumented(text, gen.parse(text)) == []


def test_values_reference_in_the_docs_is_fresh() -> None:
    gen = _generator()
    page = gen.PAGE.read_text()
    assert gen.render_page(page, (CHART / "values.yaml").read_text()) == page, (
        "docs/deployment/kubernetes.md is stale: run python charts/malwar/values_reference.py --write")


def test_docs_show_every_scenario_file() -> None:
    page = (ROOT / "docs" / "deployment" / "kubernetes.md").read_text()
    for path in sorted((CHART / "ci").glob("*.yaml")):
        assert f"<!-- example: {path.relative_to(ROOT)} -->" in page


def test_reference_rows_parse_list_defaults_whole(tmp_path: Path) -> None:
    gen = _generator()
    text = "# @section S\na:\n  # -- list\n  l:\n    - x: 1\n      y: 2\n  # -- after\n  b: 2\n"
    rows = gen.parse(text)
    assert [(r.path, r.default) for r in rows] == [("a.l", '`[{"x": 1, "y": 2}]`'), ("a.b", "`2`")]
