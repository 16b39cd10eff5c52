"""The deployment files agree with the Procfile, with each other and with Kubernetes' schemas.

No Docker engine or cluster is needed: the Dockerfile is read as text, the
Kubernetes manifests are checked offline against the schemas that the
``kubernetes-validate`` package ships, the lock files in ``requirements/`` are
checked against pyproject.toml, and the production install is checked by
importing the server's modules with only the runtime lock's packages allowed.
PyYAML and kubernetes-validate come with the ``dev`` extra; where they are
missing these tests are skipped, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.metadata
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

from deploy.cluster import NGINX
from deploy.launcher import web_command
from tests.support.services import require

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
CLOUD_RUN = ROOT / "deploy" / "cloudrun" / "service.yaml"
KUBERNETES_VERSION = "1.30"
# A template with placeholder credentials: validated, but never part of the base.
SECRET_TEMPLATE = "secret.example.yaml"


def require_module(name: str, package: str) -> ModuleType:
    """Import ``name``; skip without it, but fail in CI, where every test must run."""
    try:
        return importlib.import_module(name)
    except ImportError:
        message = f"{package} is not installed (it is in the dev extra: make install)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI must run every test)")
        pytest.skip(message)


def yaml_documents(path: Path) -> list[Any]:
    yaml = require_module("yaml", "PyYAML")
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def yaml_document(path: Path) -> Any:
    (document,) = yaml_documents(path)
    return document


def gunicorn_option(name: str) -> str:
    """The value of one of gunicorn's options in the Procfile's web command."""
    words = shlex.split(web_command().rpartition("exec gunicorn ")[2])
    return words[words.index(name) + 1]


# --- Dockerfile -------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        keyword, _, arguments = (current + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    assert not current, "the Dockerfile ends in a line continuation"
    return instructions


def stages() -> list[list[tuple[str, str]]]:
    """The instructions of each build stage, each list starting with its FROM."""
    result: list[list[tuple[str, str]]] = []
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            result.append([])
        assert result, f"{keyword} before the first FROM"
        result[-1].append((keyword, arguments))
    return result


def final_stage() -> list[tuple[str, str]]:
    return stages()[-1]


def arguments_of(stage: list[tuple[str, str]], keyword: str) -> list[str]:
    return [arguments for kw, arguments in stage if kw == keyword]


def stage_name(stage: list[tuple[str, str]]) -> str | None:
    words = stage[0][1].split()
    return words[2] if len(words) == 3 and words[1].upper() == "AS" else None


def copy_parts(arguments: str) -> tuple[dict[str, str], list[str], str]:
    """COPY's flags, sources and destination."""
    words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
    flags = dict(word[2:].partition("=")[::2] for word in words if word.startswith("--"))
    paths = [word for word in words if not word.startswith("--")]
    return flags, paths[:-1], paths[-1]


def workdir(stage: list[tuple[str, str]]) -> PurePosixPath:
    directories = arguments_of(stage, "WORKDIR")
    assert directories, f"stage {stage[0][1]!r} sets no WORKDIR"
    return PurePosixPath(directories[-1])


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for arguments in arguments_of(stage, "ENV"):
        for word in shlex.split(arguments):
            name, equals, value = word.partition("=")
            assert equals, f"ENV {arguments!r}: use the NAME=value form"
            env[name] = value
    return env


def image_user_id() -> int:
    users = arguments_of(final_stage(), "USER")
    assert users, "the final stage sets no USER, so the app would run as root"
    uid = users[-1].partition(":")[0]
    # Numeric, so that Kubernetes' runAsNonRoot can verify it without /etc/passwd.
    assert uid.isdigit(), f"USER {users[-1]!r}: give a numeric uid"
    return int(uid)


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore drops ``path`` (or a folder above it) from the build context."""
    parts = PurePosixPath(path.rstrip("/")).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        assert not pattern.startswith("!"), "exceptions (!) are not handled by this check"
        for candidate in candidates:
            if fnmatch.fnmatchcase(candidate, pattern) or fnmatch.fnmatchcase(
                candidate, pattern.removeprefix("**/")
            ):
                return True
    return False


def test_dockerfile_cmd_is_the_procfile_web_command() -> None:
    (cmd,) = arguments_of(final_stage(), "CMD")
    assert json.loads(cmd) == ["sh", "-c", web_command()]
    assert not arguments_of(final_stage(), "ENTRYPOINT")


def test_dockerfile_ships_the_gunicorn_settings_the_command_relies_on() -> None:
    # gunicorn reads ./gunicorn.conf.py by itself: the graceful SIGTERM hand-off and the
    # connection limit live there, so the image must carry it next to app.py.
    copied = [src for args in arguments_of(final_stage(), "COPY") for src in copy_parts(args)[1]]
    assert "gunicorn.conf.py" in copied
    assert "app.py" in copied


def test_dockerfile_base_images_are_pinned() -> None:
    names = {stage_name(stage) for stage in stages()}
    for stage in stages():
        image = stage[0][1].split()[0]
        if image in names:
            continue  # a stage built in this file
        repository, _, tag = image.partition("@")[0].rpartition(":")
        assert repository, f"FROM {image}: pin a version, not a moving tag"
        assert tag != "latest", f"FROM {image}: pin a version, not a moving tag"
        assert "@sha256:" in image or re.match(r"\d+\.\d+\.\d+", tag), f"FROM {image}: pin x.y.z"


def test_dockerfile_copies_only_what_exists_in_the_build_context() -> None:
    patterns = dockerignore_patterns()
    for pattern in (".git", ".venv", "node_modules", "instance"):
        assert ignored(pattern, patterns), f".dockerignore should exclude {pattern}"
    by_name = {stage_name(stage): stage for stage in stages()}
    copied_from_stages = 0
    for stage in stages():
        for arguments in arguments_of(stage, "COPY") + arguments_of(stage, "ADD"):
            flags, sources, _ = copy_parts(arguments)
            if "from" in flags:
                copied_from_stages += 1
                assert flags["from"] in by_name, f"COPY --from={flags['from']}: no such stage"
                assert_produced_by_npm_ci(by_name[flags["from"]], sources)
                continue
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
                assert not ignored(source, patterns), f"COPY {source}: excluded by .dockerignore"
    assert copied_from_stages, "the node stage's socket.io-client is never copied"


def assert_produced_by_npm_ci(stage: list[tuple[str, str]], sources: list[str]) -> None:
    """Sources copied from the node stage are packages that its `npm ci` installs."""
    copied = [src for args in arguments_of(stage, "COPY") for src in copy_parts(args)[1]]
    assert {"package.json", "package-lock.json"} <= set(copied), "npm ci needs both files"
    assert any(args.startswith("npm ci") for args in arguments_of(stage, "RUN"))
    dependencies = json.loads((ROOT / "package.json").read_text())["dependencies"]
    for source in sources:
        relative = PurePosixPath(source).relative_to(workdir(stage) / "node_modules")
        # A scoped package (@hotwired/turbo) is two folders deep.
        name = "/".join(relative.parts[:2]) if relative.parts[0].startswith("@") else relative.parts[0]
        assert name in dependencies, f"{source}: not a dependency in package.json"


def test_dockerfile_serves_the_vendored_clients_from_where_they_are_copied() -> None:
    stage = final_stage()
    copies = [args for args in arguments_of(stage, "COPY") if args.startswith("--from")]
    packages = {"socket.io-client", "@hotwired/turbo"}
    assert len(copies) == len(packages)
    for arguments in copies:
        _, (source,), destination = copy_parts(arguments)
        package = PurePosixPath(source).relative_to("/build/node_modules")
        assert str(package) in packages, source
        copied_to = workdir(stage) / destination
        assert copied_to == PurePosixPath(env_of(stage)["PARLEY_VENDOR_DIR"]) / package


def test_dockerfile_runs_as_a_non_root_user_in_production_on_8080() -> None:
    assert image_user_id() != 0
    env = env_of(final_stage())
    assert env["PARLEY_ENV"] == "production"
    assert env["PORT"] == "8080"
    assert arguments_of(final_stage(), "EXPOSE") == ["8080"]


def test_dockerfile_installs_the_runtime_lock_with_hashes() -> None:
    stage = final_stage()
    copied = {
        workdir(stage) / destination / (PurePosixPath(source).name if destination.endswith("/") else "")
        for flags, sources, destination in map(copy_parts, arguments_of(stage, "COPY"))
        for source in sources
        if source == RUN_LOCK and "from" not in flags
    }
    assert copied, f"the image never copies {RUN_LOCK}"
    installs = [run for run in arguments_of(stage, "RUN") if "pip install" in run]
    assert installs, "the image installs no Python packages"
    for run in installs:
        words = shlex.split(run)
        assert "--require-hashes" in words, f"RUN {run!r}: install with --require-hashes"
        assert "-r" in words, f"RUN {run!r}: install from the copied {RUN_LOCK}"
        assert workdir(stage) / words[words.index("-r") + 1] in copied, (
            f"RUN {run!r}: install from the copied {RUN_LOCK}"
        )


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_dockerfile_healthcheck_asks_healthz_on_port(health_server: ThreadingHTTPServer) -> None:
    (healthcheck,) = arguments_of(final_stage(), "HEALTHCHECK")
    command = healthcheck.partition(" CMD ")[2]
    assert command
    assert "urllib" in command
    assert "/healthz" in command

    def run(status: int) -> int:
        _Health.status = status
        env = dict(os.environ, PORT=str(health_server.server_address[1]))
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        done = subprocess.run(["sh", "-c", command], env=env, capture_output=True, timeout=30, check=False)
        return done.returncode

    try:
        assert run(200) == 0
        assert run(503) != 0
    finally:
        _Health.status = 200


# --- The lock files and the production install --------------------------------

RUN_LOCK = "requirements/run.lock"
# Each lock and the pyproject.toml extras it installs on top of the runtime dependencies.
LOCK_EXTRAS = {RUN_LOCK: (), "requirements/dev.lock": ("dev",), "requirements/bench.lock": ("dev", "bench")}
TEST_TOOLS = ("pytest", "ruff", "mypy", "playwright")


def lock_entries(lock: str) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """(name, marker) -> (version, hashes) for each package that ``lock`` pins."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    entries: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for line in (ROOT / lock).read_text().replace("\\\n", " ").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        spec, *hashes = line.split(" --hash=")
        requirement = Requirement(spec.strip())
        (pin,) = requirement.specifier
        assert pin.operator == "==", f"{lock}: {spec.strip()} is not pinned exactly"
        key = (canonicalize_name(requirement.name), str(requirement.marker or ""))
        assert key not in entries, f"{lock}: {key} twice"
        entries[key] = (pin.version, [h.strip() for h in hashes])
    return entries


def test_locks_pin_every_package_with_its_hashes_at_pyprojects_versions() -> None:
    """`make lock` refreshes the locks; this fails when pyproject.toml changed without it."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for lock, extras in LOCK_EXTRAS.items():
        entries = lock_entries(lock)
        for (name, _), (_, hashes) in entries.items():
            assert hashes, f"{lock}: {name} has no hash"
            assert all(h.startswith("sha256:") for h in hashes), (
                f"{lock}: {name} has a hash other than sha256"
            )
        versions = {name: version for (name, _), (version, _) in entries.items()}
        declared = project["dependencies"] + [
            raw for extra in extras for raw in project["optional-dependencies"][extra]
        ]
        for raw in declared:
            requirement = Requirement(raw)
            name = canonicalize_name(requirement.name)
            assert name in versions, f"{lock} lacks {name} from pyproject.toml: run make lock"
            assert requirement.specifier.contains(versions[name]), (
                f"{lock} pins {name}=={versions[name]}, pyproject.toml {requirement.specifier}: run make lock"
            )


def test_locks_agree_and_the_runtime_lock_has_no_test_tools() -> None:
    run, dev, bench = (
        {(name, version) for (name, _), (version, _) in lock_entries(lock).items()} for lock in LOCK_EXTRAS
    )
    # make test installs dev.lock over run.lock and make bench bench.lock over both: the
    # same package at the same version in each (markers may differ), so nothing is reinstalled.
    assert run <= dev, f"run.lock pins what dev.lock does not: {sorted(run - dev)}: run make lock"
    assert dev <= bench, f"dev.lock pins what bench.lock does not: {sorted(dev - bench)}: run make lock"
    tools = {name for name, _ in run} & set(TEST_TOOLS)
    assert not tools, f"run.lock has test tools: {sorted(tools)}"


def runtime_distributions() -> set[str]:
    """Every distribution that the image installs here: the runtime lock's packages whose markers apply."""
    from packaging.markers import Marker

    return {name for name, marker in lock_entries(RUN_LOCK) if not marker or Marker(marker).evaluate()}


IMPORT_WITH_RUNTIME_DEPENDENCIES_ONLY = """
import importlib, json, pkgutil, site, sys, sysconfig

allowed = set(json.loads(sys.argv[1]))
installed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}


def from_site_packages(spec):
    places = [spec.origin or "", *(spec.submodule_search_locations or [])]
    return any(place.startswith(prefix) for place in places for prefix in installed)


# Finds what the usual finders find, but hides the packages installed in
# site-packages that no runtime dependency provides (the standard library and
# the project's own modules stay visible).
class RuntimeDependenciesOnly:
    def __init__(self, finders):
        self.finders = finders

    def find_spec(self, fullname, path=None, target=None):
        for finder in self.finders:
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                top = fullname.partition(".")[0]
                return spec if top in allowed or not from_site_packages(spec) else None
        return None


sys.meta_path[:] = [RuntimeDependenciesOnly(list(sys.meta_path))]
import chat
for module in pkgutil.walk_packages(chat.__path__, "chat."):
    importlib.import_module(module.name)
module, _, name = sys.argv[2].rpartition(".")
getattr(importlib.import_module(module), name)
importlib.import_module("gunicorn.app.wsgiapp")
importlib.import_module("flask.cli")
importlib.import_module("sqlalchemy.dialects.postgresql.psycopg")
import psycopg
# The slim image has no libpq: psycopg must bring its own (the binary package).
assert psycopg.pq.__impl__ in ("binary", "c"), psycopg.pq.__impl__
"""


def test_runtime_dependencies_are_enough_for_the_web_command() -> None:
    """What the image and Render install (no dev extra) imports the app and gunicorn's worker.

    The dev environment hides a missing dependency when a test tool happens to
    install it; here any module outside the runtime lock's packages fails to
    import, as it would in the image.
    """
    from packaging.utils import canonicalize_name

    closure = runtime_distributions()
    allowed = {
        module
        for module, distributions in importlib.metadata.packages_distributions().items()
        if any(canonicalize_name(d) in closure for d in distributions)
    }
    worker_class = gunicorn_option("--worker-class")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            IMPORT_WITH_RUNTIME_DEPENDENCIES_ONLY,
            json.dumps(sorted(allowed)),
            worker_class,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]


# --- Kubernetes ---------------------------------------------------------------

MANIFESTS = sorted(path.name for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")


def k8s(name: str, kind: str | None = None) -> dict[str, Any]:
    documents = yaml_documents(K8S / name)
    matching = [doc for doc in documents if kind is None or doc["kind"] == kind]
    assert len(matching) == 1, f"{name}: expected one {kind or 'document'}"
    return dict(matching[0])


def web_container() -> dict[str, Any]:
    (container,) = k8s("deployment.yaml")["spec"]["template"]["spec"]["containers"]
    return dict(container)


@pytest.mark.parametrize("name", MANIFESTS)
def test_manifest_is_valid_kubernetes(name: str) -> None:
    kubernetes_validate = require_module("kubernetes_validate", "kubernetes-validate")
    documents = yaml_documents(K8S / name)
    assert documents, f"{name} is empty"
    for document in documents:
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(part) for part in error.path)
            pytest.fail(f"{name}: {document['kind']} {where}: {error.message}")


def test_kustomization_lists_every_manifest() -> None:
    assert not list(K8S.glob("*.yml")), "name manifests *.yaml"
    kustomization = yaml_document(K8S / "kustomization.yaml")
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    resources = kustomization["resources"]
    assert len(resources) == len(set(resources)), "a resource is listed twice"
    assert SECRET_TEMPLATE not in resources, "the placeholder Secret must never be applied"
    assert set(resources) == set(MANIFESTS) - {SECRET_TEMPLATE}


def test_deployment_runs_the_image_as_built() -> None:
    deployment = k8s("deployment.yaml")
    pod = deployment["spec"]["template"]["spec"]
    container = web_container()
    assert deployment["spec"]["replicas"] == 3
    # The image's CMD (the Procfile's command) runs unchanged.
    assert "command" not in container
    assert "args" not in container
    (port,) = container["ports"]
    assert str(port["containerPort"]) == arguments_of(final_stage(), "EXPOSE")[0]
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        assert container[probe]["httpGet"]["path"] == path
        assert container[probe]["httpGet"]["port"] == port["name"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == image_user_id()
    graceful = int(gunicorn_option("--graceful-timeout"))
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pod["terminationGracePeriodSeconds"] == 30 > graceful + pre_stop
    assert set(container["resources"]) == {"requests", "limits"}


def test_settings_come_from_the_configmap_and_secret() -> None:
    config_map = k8s("configmap.yaml")
    secret = k8s(SECRET_TEMPLATE)
    references = {
        ("configMapRef" if "configMapRef" in source else "secretRef", next(iter(source.values()))["name"])
        for source in web_container()["envFrom"]
    }
    assert references == {
        ("configMapRef", config_map["metadata"]["name"]),
        ("secretRef", secret["metadata"]["name"]),
    }
    assert config_map["data"]["PARLEY_ENV"] == "production"
    assert config_map["data"]["PROXY_FIX_HOPS"] == "1"
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= set(secret["stringData"])
    # Every name is one the app reads (a typo would be silently ignored).
    source = "\n".join(path.read_text() for path in (ROOT / "chat").rglob("*.py"))
    app_settings = set(config_map["data"]) | (set(secret["stringData"]) - {"POSTGRES_PASSWORD"})
    for name in app_settings:
        assert f'"{name}"' in source, f"{name} is not read anywhere in chat/"


def test_service_and_ingress_reach_the_pods_with_sticky_sessions() -> None:
    pod_labels = k8s("deployment.yaml")["spec"]["template"]["metadata"]["labels"]
    service = k8s("service.yaml")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (service_port,) = service["spec"]["ports"]
    assert service_port["targetPort"] == web_container()["ports"][0]["name"]

    ingress = k8s("ingress.yaml")
    (rule,) = ingress["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    backend = path["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] == service_port["name"]
    annotations = ingress["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert annotations[prefix + "affinity"] == "cookie"
    assert annotations[prefix + "session-cookie-name"]
    assert annotations[prefix + "proxy-read-timeout"] == "3600"
    assert annotations[prefix + "proxy-send-timeout"] == "3600"


def test_migrate_job_runs_the_procfiles_migration() -> None:
    job = k8s("migrate-job.yaml")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    migrate = web_command().split(" && ")[0]
    assert migrate == "flask --app app db upgrade"
    assert container["command"] == shlex.split(migrate)
    assert container["image"] == web_container()["image"]
    assert container["envFrom"] == web_container()["envFrom"]
    assert job["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == image_user_id()


def test_in_cluster_postgres_and_redis_match_the_example_urls() -> None:
    secret = k8s(SECRET_TEMPLATE)["stringData"]
    postgres = k8s("postgres.yaml", "StatefulSet")
    assert postgres["spec"]["volumeClaimTemplates"], "PostgreSQL's data needs a volume"
    (container,) = postgres["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item for item in container["env"]}
    database = urlsplit(secret["DATABASE_URL"])
    assert database.hostname == k8s("postgres.yaml", "Service")["metadata"]["name"]
    assert database.username == env["POSTGRES_USER"]["value"]
    assert database.path == "/" + env["POSTGRES_DB"]["value"]
    assert env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "POSTGRES_PASSWORD"
    redis = urlsplit(secret["REDIS_URL"])
    assert redis.hostname == k8s("redis.yaml", "Service")["metadata"]["name"]
    assert k8s("redis.yaml", "StatefulSet")["spec"]["serviceName"] == redis.hostname


# --- Render -------------------------------------------------------------------


def test_render_blueprint_runs_the_procfile() -> None:
    blueprint = yaml_document(ROOT / "render.yaml")
    (web,) = [service for service in blueprint["services"] if service["type"] == "web"]
    match = re.fullmatch(r'sh -c "\$\((.+)\)"', web["startCommand"])
    assert match, "startCommand should read the Procfile's web line"
    extracted = subprocess.run(
        ["sh", "-c", match.group(1)], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True
    )
    assert extracted.stdout.strip() == web_command()
    assert web["preDeployCommand"] == web_command().split(" && ")[0]
    assert web["healthCheckPath"] == "/healthz"
    assert f"pip install --no-cache-dir --require-hashes -r {RUN_LOCK}" in web["buildCommand"]
    assert "npm ci" in web["buildCommand"]

    env = {item["key"]: item for item in web["envVars"]}
    assert env["PARLEY_ENV"]["value"] == "production"
    assert env["SECRET_KEY"]["generateValue"] is True
    databases = {database["name"] for database in blueprint["databases"]}
    assert env["DATABASE_URL"]["fromDatabase"]["name"] in databases
    redis = env["REDIS_URL"]["fromService"]
    assert redis["type"] == "keyvalue"
    assert redis["property"] == "connectionString"
    (key_value,) = [
        s for s in blueprint["services"] if s["type"] == "keyvalue" and s["name"] == redis["name"]
    ]
    assert key_value["ipAllowList"] == [], "the Key Value instance should be reachable only internally"


# --- Cloud Run ----------------------------------------------------------------


def test_cloud_run_service_keeps_sockets_sticky_and_open_for_an_hour() -> None:
    service = yaml_document(CLOUD_RUN)
    assert service["apiVersion"] == "serving.knative.dev/v1"
    assert service["kind"] == "Service"
    template = service["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert annotations["run.googleapis.com/sessionAffinity"] == "true"
    assert int(annotations["autoscaling.knative.dev/minScale"]) >= 1
    spec = template["spec"]
    assert spec["timeoutSeconds"] == 3600
    assert 1 <= spec["containerConcurrency"] <= 1000
    (container,) = spec["containers"]
    assert [port["containerPort"] for port in container["ports"]] == [8080]
    env = {item["name"]: item for item in container["env"]}
    assert "PORT" not in env, "Cloud Run sets PORT itself"
    assert env["PARLEY_ENV"]["value"] == "production"
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        assert "secretKeyRef" in env[name]["valueFrom"], f"{name} should come from Secret Manager"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_cloud_run_container_is_a_valid_kubernetes_pod_spec() -> None:
    """Cloud Run's revision spec is a Pod spec plus two fields: check the rest strictly."""
    kubernetes_validate = require_module("kubernetes_validate", "kubernetes-validate")
    spec = dict(yaml_document(CLOUD_RUN)["spec"]["template"]["spec"])
    del spec["containerConcurrency"], spec["timeoutSeconds"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "parley"}, "spec": spec}
    try:
        kubernetes_validate.validate(pod, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        pytest.fail(f"{'.'.join(str(part) for part in error.path)}: {error.message}")


# --- The bundled nginx ---------------------------------------------------------------------------

NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf.template"


def test_the_nginx_template_bounds_slow_and_greedy_clients(tmp_path: Path) -> None:
    text = NGINX_TEMPLATE.read_text()
    for directive in (
        "client_header_timeout 10s;",
        "client_body_timeout 10s;",
        "keepalive_timeout 15s;",
        "limit_conn parley_per_address 200;",
        "limit_req zone=parley_requests",
        "client_max_body_size 2m;",
        "proxy_set_header X-Forwarded-Host $http_host;",
    ):
        assert directive in text, directive
    (tmp_path / "tmp").mkdir()
    filled = (
        text.replace("@PREFIX@", str(tmp_path))
        .replace("@LISTEN@", "127.0.0.1:1")
        .replace("@SERVERS@", "        server 127.0.0.1:2;")
    )
    (tmp_path / "nginx.conf").write_text(filled)
    require(Path(NGINX).exists(), "nginx (Debian package)")
    done = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
