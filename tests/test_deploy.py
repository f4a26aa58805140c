"""Deployment files under deploy/: Kubernetes, Compose, systemd and the Dockerfile.

The Kubernetes tree is rendered here without kustomize (resources, generators, labels,
namespace, images) and every object is validated against the Kubernetes JSON schemas in strict
mode (kubernetes-validate); when kubectl is installed its built-in kustomize must render the
same objects. Every `drift` command line in the files is parsed by drift's own CLI, and every
config file passes `drift config check` with its container paths mapped to the repository.
"""

from __future__ import annotations

import base64
import re
import shlex
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml

from drift.cli import cli
from drift.edges.config import check_config

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes"
BASE, OVERLAY = K8S / "base", K8S / "overlays" / "example"
COMPOSE = DEPLOY / "compose"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
EXAMPLE_CONTRACT = ROOT / "config" / "examples" / "orders" / "openapi.yaml"
MIN_KUBERNETES = "1.29"
DRIFT_UID = 10001

# Anything that looks like a credential: Slack tokens and webhooks, private keys, a URL with a
# password, a JSON web token.
SECRET_PATTERNS = [
    re.compile(r"xox[abposr]-[A-Za-z0-9-]{6,}"),
    re.compile(r"hooks\.slack\.com/services/[A-Za-z0-9/]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"://[^/\s:@]+:(?!PASSWORD@)[^/\s@]+@"),
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\."),
]


def _secrets_in(text: str) -> list[str]:
    return [m.group(0) for p in SECRET_PATTERNS for m in p.finditer(text)]


def _subcommand(args: list[str]) -> str | None:
    """The drift subcommand of an argument list (after `--log-level LEVEL`), if it is one."""
    rest = args[2:] if args[:1] == ["--log-level"] else args
    return rest[0] if rest and rest[0] in cli.commands else None


def _drift_args(args: list[str]) -> tuple[str, dict[str, Any]]:
    """Parse `drift [--log-level L] SUBCOMMAND …` with drift's own CLI: unknown options fail."""
    subcommand = _subcommand(args)
    assert subcommand is not None, f"not a drift command line: {args}"
    if subcommand == "run":  # a line per job (review, digest, retention) and its outcome
        assert ["--log-level", "info"] == args[:2], f"the daemon logs at info: {args}"
    else:  # at info, mitmproxy logs every client connection: keep the default (warning)
        assert subcommand == args[0], f"the sidecar logs at the default level: {args}"
    try:
        with cli.commands[subcommand].make_context(
            subcommand, args[args.index(subcommand) + 1 :]
        ) as ctx:
            return subcommand, dict(ctx.params)
    except click.ClickException as exc:  # pragma: no cover - the failure message
        pytest.fail(f"`drift {' '.join(args)}` does not parse: {exc.format_message()}")


def _port(address: str) -> int:
    return int(address.rpartition(":")[2])


# -- Kubernetes: a small kustomize ------------------------------------------------------------

KUSTOMIZE_KEYS = {
    "apiVersion",
    "kind",
    "namespace",
    "labels",
    "resources",
    "images",
    "configMapGenerator",
    "secretGenerator",
}


def _kustomization(directory: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((directory / "kustomization.yaml").read_text())
    return loaded


def _env_file(path: Path) -> dict[str, str]:
    """kustomize's env files: KEY=VALUE lines; blank lines and # comments are skipped."""
    out = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assert "=" in line, f"{path}:{n}: KEY=VALUE expected (a bare KEY reads the environment)"
        key, _, value = line.partition("=")
        out[key.strip()] = value
    return out


def _generated(directory: Path, entry: dict[str, Any], kind: str) -> dict[str, str]:
    assert set(entry) <= {"name", "behavior", "files", "envs", "literals", "type"}, entry
    data: dict[str, str] = {}
    for spec in entry.get("files", []):
        key, _, file = spec.rpartition("=") if "=" in spec else ("", "", spec)
        data[key or Path(file).name] = (directory / file).read_text()
    for env in entry.get("envs", []):
        data.update(_env_file(directory / env))
    for literal in entry.get("literals", []):
        key, _, value = literal.partition("=")
        data[key] = value
    if kind == "Secret":
        return {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    return data


def _generate(directory: Path, kust: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        for entry in kust.get(key, []):
            data = _generated(directory, entry, kind)
            behavior = entry.get("behavior", "create")
            found = [
                o for o in objects if (o["kind"], o["metadata"]["name"]) == (kind, entry["name"])
            ]
            if behavior == "create":
                assert not found, f"{kind} {entry['name']} is generated twice"
                obj: dict[str, Any] = {
                    "apiVersion": "v1",
                    "kind": kind,
                    "metadata": {"name": entry["name"]},
                    "data": data,
                }
                if kind == "Secret":
                    obj["type"] = entry.get("type", "Opaque")
                objects.append(obj)
            else:
                assert behavior in ("replace", "merge") and len(found) == 1, entry
                found[0]["data"] = data if behavior == "replace" else found[0]["data"] | data


def _pod_specs(obj: dict[str, Any]) -> list[dict[str, Any]]:
    if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return [obj["spec"]["template"]["spec"]]
    return []


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        c for spec in _pod_specs(obj) for c in spec["containers"] + spec.get("initContainers", [])
    ]


def render(directory: Path) -> list[dict[str, Any]]:
    """What `kustomize build` makes of `directory`, minus the generated names' hash suffix."""
    kust = _kustomization(directory)
    assert kust["kind"] == "Kustomization"
    unknown = set(kust) - KUSTOMIZE_KEYS
    assert not unknown, f"{directory}: teach tests/test_deploy.py's render() {sorted(unknown)}"
    objects: list[dict[str, Any]] = []
    for entry in kust.get("resources", []):
        path = directory / entry
        if path.is_dir():
            objects.extend(render(path))
        else:
            objects.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    _generate(directory, kust, objects)
    for label in kust.get("labels", []):
        assert not label.get("includeSelectors") and not label.get("includeTemplates"), label
        for obj in objects:
            obj["metadata"].setdefault("labels", {}).update(label["pairs"])
    if "namespace" in kust:
        for obj in objects:
            obj["metadata"]["namespace"] = kust["namespace"]
    for image in kust.get("images", []):
        for container in (c for obj in objects for c in _containers(obj)):
            name, _, tag = container["image"].partition(":")
            if name == image["name"]:
                name = image.get("newName", name)
                container["image"] = f"{name}:{image.get('newTag', tag)}"
    return objects


def _kustomize_inputs(directory: Path) -> set[Path]:
    kust = _kustomization(directory)
    used = {directory / "kustomization.yaml"}
    for entry in kust.get("resources", []):
        path = (directory / entry).resolve()
        used |= _kustomize_inputs(path) if path.is_dir() else {path}
    for key in ("configMapGenerator", "secretGenerator"):
        for gen in kust.get(key, []):
            files = [f.rpartition("=")[2] for f in gen.get("files", [])] + gen.get("envs", [])
            used |= {(directory / f).resolve() for f in files}
    return used


TREES = {"base": BASE, "overlay": OVERLAY}


@pytest.fixture(scope="module", params=sorted(TREES))
def tree(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(TREES[request.param])


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _drift_container(obj: dict[str, Any], subcommand: str) -> dict[str, Any] | None:
    for c in _containers(obj):
        if _subcommand(c.get("args", [])) == subcommand and not c.get("command"):
            return c
    return None


def _named_port(container: dict[str, Any], port: str | int) -> int:
    if isinstance(port, int):
        return port
    return int(next(p["containerPort"] for p in container["ports"] if p.get("name") == port))


def test_every_yaml_file_under_kubernetes_is_a_kustomize_input() -> None:
    used = _kustomize_inputs(BASE) | _kustomize_inputs(OVERLAY)
    files = {p.resolve() for p in K8S.rglob("*") if p.is_file()}
    assert set() == files - used, "files no kustomization uses (so no test validates them)"
    assert set() == {p for p in used if not p.is_file()}, "missing kustomize inputs"


@pytest.mark.parametrize("version", [MIN_KUBERNETES, "latest"])
def test_kubernetes_objects_validate_strictly(
    tree: tuple[str, list[dict[str, Any]]], version: str
) -> None:
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate is not installed (dev extras)"
    )
    version = kubernetes_validate.latest_version() if version == "latest" else version
    _, objects = tree
    assert {"Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget"} == {
        o["kind"] for o in objects
    }
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']} at {where}: {exc.message}")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("name", sorted(TREES))
def test_kubectl_kustomize_renders_what_the_tests_check(name: str) -> None:
    out = subprocess.run(
        ["kubectl", "kustomize", str(TREES[name])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 0 == out.returncode, out.stderr
    theirs = [d for d in yaml.safe_load_all(out.stdout) if d]
    ours = render(TREES[name])
    generated = {o["metadata"]["name"] for o in ours if o["kind"] in ("ConfigMap", "Secret")}
    hashed = {}
    for obj in theirs:
        m = re.fullmatch(r"(.+)-[a-z0-9]{10}", obj["metadata"]["name"])
        if obj["kind"] in ("ConfigMap", "Secret") and m and m.group(1) in generated:
            hashed[obj["metadata"]["name"]] = m.group(1)
    assert generated == set(hashed.values())

    def unhash(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: unhash(v) for k, v in value.items()}
        if isinstance(value, list):
            return [unhash(v) for v in value]
        return hashed.get(value, value) if isinstance(value, str) else value

    def key(o: dict[str, Any]) -> tuple[str, str]:
        return o["kind"], o["metadata"]["name"]

    def decoded(o: dict[str, Any]) -> dict[str, Any]:  # kustomize wraps long base64 lines
        if o["kind"] != "Secret":
            return o
        return o | {"data": {k: base64.b64decode(v) for k, v in o["data"].items()}}

    theirs = [decoded(unhash(o)) for o in theirs]
    assert sorted(theirs, key=key) == sorted(map(decoded, ours), key=key)


def test_the_service_sends_every_request_through_the_sidecar(
    tree: tuple[str, list[dict[str, Any]]],
) -> None:
    _, objects = tree
    service = _one(objects, "Service", "orders")
    deployment = _one(objects, "Deployment", "orders")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    sidecar = _drift_container(deployment, "proxy")
    assert sidecar is not None, "the orders pod has no `drift proxy` container"
    _, opts = _drift_args(sidecar["args"])
    http = next(p for p in service["spec"]["ports"] if p["name"] == "http")
    assert _port(opts["listen"]) == _named_port(sidecar, http["targetPort"])
    app_ports = {
        p["containerPort"] for c in _containers(deployment) if c is not sidecar for p in c["ports"]
    }
    targets = {_named_port(sidecar, p["targetPort"]) for p in service["spec"]["ports"]}
    assert set() == targets & app_ports, "a Service port bypasses drift"
    # reverse mode, to the application in the same pod
    upstream = urlsplit(opts["upstream"])
    assert ("reverse", "127.0.0.1") == (opts["mode"], upstream.hostname)
    assert upstream.port in app_ports


def test_sidecar_probes_hit_healthz_on_the_metrics_port(
    tree: tuple[str, list[dict[str, Any]]],
) -> None:
    _, objects = tree
    sidecar = _drift_container(_one(objects, "Deployment", "orders"), "proxy")
    assert sidecar is not None
    _, opts = _drift_args(sidecar["args"])
    assert opts["metrics"].startswith("0.0.0.0:"), "the kubelet probes the pod's IP"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = sidecar[probe]["httpGet"]
        assert ("/healthz", _port(opts["metrics"])) == (
            get["path"],
            _named_port(sidecar, get["port"]),
        ), probe


def test_the_daemon_reads_the_mounted_config_and_has_no_http_probe(
    tree: tuple[str, list[dict[str, Any]]],
) -> None:
    _, objects = tree
    daemon = _drift_container(_one(objects, "Deployment", "drift-daemon"), "run")
    assert daemon is not None
    _, opts = _drift_args(daemon["args"])
    mounts = {m["mountPath"] for m in daemon["volumeMounts"]}
    assert str(Path(opts["config_path"]).parent) in mounts
    assert not {"readinessProbe", "livenessProbe", "startupProbe"} & set(daemon)


def _quantity(value: str | int) -> Decimal:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(m|k|M|G|Ki|Mi|Gi)?", str(value))
    assert m, f"not a quantity: {value!r}"
    scale: dict[str | None, Decimal | int] = {None: 1, "m": Decimal("0.001"), "k": 10**3}
    scale |= {"M": 10**6, "G": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    return Decimal(m.group(1)) * scale[m.group(2)]


def test_every_container_has_requests_and_limits(tree: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = tree
    containers = [c for o in objects for c in _containers(o)]
    assert len(containers) == 3
    for c in containers:
        resources = c["resources"]
        for resource in ("cpu", "memory"):
            request = _quantity(resources["requests"][resource])
            limit = _quantity(resources["limits"][resource])
            assert 0 < request <= limit, (c["name"], resource)


def test_pods_run_as_the_image_user_with_a_read_only_root(
    tree: tuple[str, list[dict[str, Any]]],
) -> None:
    _, objects = tree
    for obj in objects:
        for spec in _pod_specs(obj):
            pod = spec["securityContext"]
            assert (True, DRIFT_UID) == (pod["runAsNonRoot"], pod["runAsUser"])
            assert spec["automountServiceAccountToken"] is False
            for c in spec["containers"]:
                sc = c["securityContext"]
                assert sc["allowPrivilegeEscalation"] is False, c["name"]
                assert sc["readOnlyRootFilesystem"] is True, c["name"]
                assert ["ALL"] == sc["capabilities"]["drop"], c["name"]
                assert not sc.get("privileged"), c["name"]


def test_what_drift_writes_is_on_writable_volumes(tree: tuple[str, list[dict[str, Any]]]) -> None:
    """The root filesystem is read-only: mitmproxy's confdir, /tmp and reports are volumes."""
    _, objects = tree
    for obj in objects:
        for spec in _pod_specs(obj):
            writable = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
            for c in spec["containers"]:
                paths = {m["mountPath"] for m in c["volumeMounts"] if m["name"] in writable}
                assert "/tmp" in paths, c["name"]
                if _subcommand(c.get("args", [])) == "proxy":
                    assert _drift_args(c["args"])[1]["confdir"] in paths
                if _subcommand(c.get("args", [])) == "run":
                    assert "/var/lib/drift/reports" in paths


def test_the_overlay_pins_a_released_image() -> None:
    images = {c["image"] for o in render(OVERLAY) for c in _containers(o)}
    assert len(images) == 1
    for image in images:
        name, _, tag = image.rpartition(":")
        assert "/" in name, f"{image}: a registry path is expected"
        assert tag and tag not in ("latest", "dev"), f"{image}: pin a released tag"
    base = {c["image"] for o in render(BASE) for c in _containers(o)}
    assert {"drift:dev"} == base  # what the overlay's `images` entry rewrites


def test_the_secrets_hold_placeholders_only(tree: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = tree
    secrets = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Secret"}
    assert {"drift-slack", "drift-store"} == set(secrets)
    for name, secret in secrets.items():
        values = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
        assert [] == _secrets_in(str(values)), name
        assert not any(re.search(r"xox", v) for v in values.values()), name
    slack = base64.b64decode(secrets["drift-slack"]["data"]["SLACK_BOT_TOKEN"]).decode()
    assert "" == slack
    store = base64.b64decode(secrets["drift-store"]["data"]["DRIFT_STORE_URL"]).decode()
    assert urlsplit(store).password is None


def test_no_file_under_deploy_holds_a_secret() -> None:
    files = [p for p in DEPLOY.rglob("*") if p.is_file()]
    assert len(files) > 10
    leaks = {str(p.relative_to(ROOT)): _secrets_in(p.read_text()) for p in files}
    assert {} == {k: v for k, v in leaks.items() if v}


def test_the_contract_copy_is_the_example_contract() -> None:
    assert EXAMPLE_CONTRACT.read_text() == (BASE / "contracts" / "orders.yaml").read_text()


def test_the_config_map_passes_drift_config_check(
    tree: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """Lay the ConfigMap out as the daemon's pod mounts it, under tmp_path, and check it."""
    _, objects = tree
    deployment = _one(objects, "Deployment", "drift-daemon")
    daemon = _drift_container(deployment, "run")
    assert daemon is not None
    config_map = _one(objects, "ConfigMap", "drift-config")
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    for mount in daemon["volumeMounts"]:
        source = volumes[mount["name"]].get("configMap")
        if source is None:
            continue
        assert "drift-config" == source["name"]
        for item in source["items"]:
            target = tmp_path / mount["mountPath"].lstrip("/") / item["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(config_map["data"][item["key"]])
    config_file = tmp_path / _drift_args(daemon["args"])[1]["config_path"].lstrip("/")
    config_file.write_text(config_file.read_text().replace("/etc/drift/", f"{tmp_path}/etc/drift/"))
    store = _one(objects, "Secret", "drift-store")
    env = {k: base64.b64decode(v).decode() for k, v in store["data"].items()}
    config, warnings = check_config(config_file, env=env)
    assert env["DRIFT_STORE_URL"] == config.store
    assert [] == [w for w in warnings if "SLACK_BOT_TOKEN" not in w]
    # the sidecar captures under the service name and contract the daemon reviews
    sidecar = _drift_container(_one(objects, "Deployment", "orders"), "proxy")
    assert sidecar is not None
    _, opts = _drift_args(sidecar["args"])
    assert [opts["service"]] == [s.name for s in config.services]
    contract = tmp_path / opts["contract"].lstrip("/")
    assert [contract] == [s.contract for s in config.services]


# -- Compose ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((COMPOSE / "compose.yaml").read_text())
    return loaded


def _bind_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> host path of the service's bind mounts (named volumes left out)."""
    out = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            out[target] = (COMPOSE / source).resolve()
    return out


def test_compose_runs_the_producer_sidecar_daemon_and_postgres(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"producer", "sidecar", "daemon", "postgres"} == set(services)
    assert "postgres:15" == services["postgres"]["image"]
    for name in ("producer", "sidecar", "daemon"):
        build = services[name]["build"]
        assert (COMPOSE / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
    assert ["python", "-m", "drift.demo.producer"] == services["producer"]["entrypoint"]
    assert "ports" not in services["producer"], "clients must go through the sidecar"
    for name, service in services.items():
        assert "healthcheck" in service or name == "daemon", name
        missing = [p for p in _bind_mounts(service).values() if not p.is_file()]
        assert [] == missing, f"{name}: mounted files that do not exist"


def test_compose_hard_codes_no_secret(compose: dict[str, Any]) -> None:
    assert [] == _secrets_in((COMPOSE / "compose.yaml").read_text())
    secretish = re.compile(r"PASSWORD|TOKEN|SECRET|KEY", re.I)
    for name, service in compose["services"].items():
        for var, value in service.get("environment", {}).items():
            if secretish.search(var):
                assert re.fullmatch(r"\$\{[A-Z_]+:[?-][^}]*\}", str(value)), (name, var, value)
    daemon = compose["services"]["daemon"]["environment"]
    assert "${SLACK_BOT_TOKEN:-}" == daemon["SLACK_BOT_TOKEN"]
    postgres = compose["services"]["postgres"]["environment"]
    assert postgres["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    env_example = _env_file(COMPOSE / ".env.example")
    assert {"POSTGRES_PASSWORD": "", "SLACK_BOT_TOKEN": ""} == env_example


def test_compose_sidecar_proxies_the_producer_into_postgres(compose: dict[str, Any]) -> None:
    services = compose["services"]
    sidecar = services["sidecar"]
    _, opts = _drift_args(sidecar["command"])
    producer_args = services["producer"]["command"]
    producer_port = int(producer_args[producer_args.index("--port") + 1])
    upstream = urlsplit(opts["upstream"])
    assert ("producer", producer_port) == (upstream.hostname, upstream.port)
    assert "postgres" == urlsplit(opts["store_url"]).hostname
    assert urlsplit(opts["store_url"]).password is None
    assert opts["metrics"].startswith("0.0.0.0:")
    assert f":{_port(opts['metrics'])}/healthz" in " ".join(sidecar["healthcheck"]["test"])
    assert [f"127.0.0.1:{_port(opts['listen'])}:{_port(opts['listen'])}"] == sidecar["ports"]
    assert opts["confdir"].startswith("/var/lib/drift/")
    assert opts["contract"] in _bind_mounts(sidecar)
    assert "30s" == sidecar["stop_grace_period"]


def test_compose_config_passes_drift_config_check(compose: dict[str, Any], tmp_path: Path) -> None:
    """The daemon's drift.yaml, its container paths rewritten to the files compose mounts."""
    services = compose["services"]
    daemon = services["daemon"]
    _, run = _drift_args(daemon["command"])
    mounts = _bind_mounts(daemon)
    text = mounts.pop(run["config_path"]).read_text()
    for container_path, host_path in mounts.items():
        text = text.replace(container_path, str(host_path))
    config_file = tmp_path / "drift.yaml"
    config_file.write_text(text)
    config, warnings = check_config(config_file, env={})
    assert [] == [w for w in warnings if "SLACK_BOT_TOKEN" not in w]
    assert "postgres" == urlsplit(config.store).hostname
    _, proxy = _drift_args(services["sidecar"]["command"])
    assert [proxy["service"]] == [s.name for s in config.services]
    assert [_bind_mounts(services["sidecar"])[proxy["contract"]]] == [
        s.contract for s in config.services
    ]
    assert config.reports.directory == Path("/var/lib/drift/reports")
    assert "reports:/var/lib/drift/reports" in daemon["volumes"]


# -- systemd ---------------------------------------------------------------------------------


def _unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections -> key -> values, continuation lines joined, comments skipped."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        assert current is not None and "=" in line, f"{path.name}: {line!r}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_systemd_unit_is_hardened_and_flushes_on_sigterm(path: Path) -> None:
    unit = _unit(path)
    service = {k: v[-1] for k, v in unit["Service"].items()}
    expected = {
        "User": "drift",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ReadWritePaths": "/var/lib/drift",
        "PrivateTmp": "yes",
        "EnvironmentFile": "-/etc/drift/drift.env",
        "Restart": "on-failure",
        "KillSignal": "SIGTERM",
        "TimeoutStopSec": "30",
    }
    assert expected == {k: service.get(k) for k in expected}
    exec_start = shlex.split(service["ExecStart"])
    assert "/opt/drift/bin/drift" == exec_start[0]
    subcommand, opts = _drift_args(exec_start[1:])
    assert {"drift-proxy.service": "proxy", "drift-daemon.service": "run"}[path.name] == subcommand
    if subcommand == "proxy":
        assert opts["confdir"].startswith("/var/lib/drift/")
    assert ["multi-user.target"] == unit["Install"]["WantedBy"]
    assert [] == _secrets_in(path.read_text())


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    drift = Path(sys.executable).with_name("drift")
    assert drift.is_file()
    for path in UNITS:  # verify checks that ExecStart exists: point it at this venv's drift
        text = path.read_text().replace("/opt/drift/bin/drift", str(drift))
        (tmp_path / path.name).write_text(text)
    out = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / p.name) for p in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (0, "") == (out.returncode, out.stderr.strip())


def test_systemd_env_example_holds_no_secret() -> None:
    env = _env_file(DEPLOY / "systemd" / "drift.env.example")
    assert {"SLACK_BOT_TOKEN": ""} == env


# -- Dockerfile -----------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_dockerfile_builds_a_wheel_and_runs_it_as_a_non_root_user() -> None:
    steps = _instructions()
    stages = [args for op, args in steps if op == "FROM"]
    assert len(stages) >= 2 and all(s.startswith("python:3.11-slim") for s in stages)
    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM") :]
    users = [args for op, args in final if op == "USER"]
    assert [f"{DRIFT_UID}:{DRIFT_UID}"] == users, "numeric, so runAsNonRoot can verify it"
    assert ('["drift"]', '["--help"]') == (
        next(a for op, a in final if op == "ENTRYPOINT"),
        next(a for op, a in final if op == "CMD"),
    )
    runs = " ".join(a for op, a in steps if op == "RUN")
    assert "pip wheel" in runs and "/var/lib/drift/mitmproxy" in runs
    for command in re.findall(r"pip (?:install|wheel)[^&;]*", runs):
        assert "--no-cache-dir" in command, command
        assert "==" not in command, f"pin versions in pyproject.toml, not here: {command}"


def test_dockerfile_adds_nothing_from_the_network() -> None:
    adds = [args for op, args in _instructions() if op == "ADD"]
    assert [] == [a for a in adds if re.search(r"\b(https?|git)://|git@", a)]


def test_dockerfile_copies_only_what_the_build_context_sends() -> None:
    ignore = (DOCKERFILE.parent / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert "*" in ignore, "the ignore file is an allow-list"
    sources = []
    for op, args in _instructions():
        if op != "COPY" or "--from=" in args:
            continue
        words = [w for w in shlex.split(args) if not w.startswith("--")]
        sources += words[:-1]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        assert source.rstrip("/") in allowed, f"COPY {source}: excluded from the build context"
