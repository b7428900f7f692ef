"""The container setup, checked as text: docker/compose.yaml parsed with PyYAML and
docker/Dockerfile read instruction by instruction. No Docker engine is needed (or used),
so this proves the files' structure, not that the stack starts."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

DOCKER_DIR = Path(__file__).resolve().parents[2] / "docker"
COMPOSE_FILE = DOCKER_DIR / "compose.yaml"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
LOCK_FILE = DOCKER_DIR.parent / "requirements" / "lock.txt"
BROKER_CLIENTS = {"redis": "redis", "amqp": "amqp"}
"""The Python client kombu needs for each broker URL scheme."""

BACKING_SERVICES = ("postgres", "redis")
APP_SERVICES = ("migrate", "api", "worker", "beat", "simulator")
LONG_RUNNING_COMMANDS = {
    "api": ["mkopo", "serve"],
    "worker": ["mkopo", "worker", "--no-beat"],
    "beat": ["mkopo", "worker", "--beat-only"],
    "simulator": ["mkopo", "simulator"],
}


@cache
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def service(name: str) -> dict[str, Any]:
    services = compose()["services"]
    assert name in services, f"compose.yaml has no service {name!r}"
    definition = services[name]
    assert isinstance(definition, dict)
    return definition


def command_of(name: str) -> list[str]:
    command = service(name)["command"]
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def environment_of(name: str) -> dict[str, str]:
    environment = service(name).get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def dependencies_of(name: str) -> dict[str, str]:
    """depends_on as {service: condition}; the short list form means service_started."""
    depends_on = service(name).get("depends_on") or {}
    if isinstance(depends_on, list):
        return dict.fromkeys(depends_on, "service_started")
    return {dep: spec.get("condition", "service_started") for dep, spec in depends_on.items()}


@cache
def dockerfile_instructions() -> tuple[tuple[str, str], ...]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuations joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "Dockerfile ends inside a line continuation"
    return tuple(instructions)


def dockerfile_arguments(keyword: str) -> list[str]:
    return [arguments for found, arguments in dockerfile_instructions() if found == keyword]


# --- compose.yaml -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", BACKING_SERVICES + APP_SERVICES)
def test_compose_defines_service(name: str) -> None:
    assert name in compose()["services"]


def test_migrate_runs_mkopo_migrate() -> None:
    assert command_of("migrate") == ["mkopo", "migrate"]


def test_migrate_is_one_shot() -> None:
    assert service("migrate")["restart"] == "no"


@pytest.mark.parametrize(("name", "prefix"), list(LONG_RUNNING_COMMANDS.items()))
def test_long_running_service_runs_its_mkopo_subcommand(name: str, prefix: list[str]) -> None:
    assert command_of(name)[: len(prefix)] == prefix


def test_only_beat_runs_beat_only() -> None:
    runs_beat = [name for name in APP_SERVICES if "--beat-only" in command_of(name)]
    assert runs_beat == ["beat"]


@pytest.mark.parametrize("name", list(LONG_RUNNING_COMMANDS))
def test_service_waits_for_migrate_to_complete(name: str) -> None:
    assert dependencies_of(name).get("migrate") == "service_completed_successfully"


def test_migrate_waits_for_healthy_postgres() -> None:
    assert dependencies_of("migrate").get("postgres") == "service_healthy"


def test_api_waits_for_healthy_redis() -> None:
    assert dependencies_of("api").get("redis") == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_uses_compose_postgres(name: str) -> None:
    url = environment_of(name).get("MKOPO_DATABASE_URL", "")
    assert url.startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in url


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_uses_compose_redis_broker(name: str) -> None:
    assert environment_of(name).get("MKOPO_BROKER_URL", "").startswith("redis://redis:6379/")


def test_the_image_installs_the_client_of_the_compose_broker() -> None:
    """The image installs exactly the lock file: without the broker's client there, the API
    cannot hand tasks over and the worker exits at start."""
    scheme = environment_of("worker")["MKOPO_BROKER_URL"].split("://", 1)[0]
    locked = {
        line.split("==", 1)[0].strip().lower()
        for line in LOCK_FILE.read_text(encoding="utf-8").splitlines()
        if "==" in line
    }
    assert BROKER_CLIENTS[scheme] in locked


def test_app_services_share_one_environment() -> None:
    environments = [environment_of(name) for name in APP_SERVICES]
    assert all(environment == environments[0] for environment in environments)


def test_signing_key_path_is_the_compose_secret() -> None:
    key_path = environment_of("api")["MKOPO_LEDGER_SIGNING_KEY_PATH"]
    secret_name = key_path.removeprefix("/run/secrets/")
    assert key_path.startswith("/run/secrets/")
    assert compose()["secrets"][secret_name]["file"] == "./secrets/ledger-ed25519.pem"
    for name in ("migrate", "api", "worker", "beat"):
        assert secret_name in service(name).get("secrets", []), name


def test_api_publishes_port_8000() -> None:
    assert "8000:8000" in service("api").get("ports", [])


@pytest.mark.parametrize("name", BACKING_SERVICES)
def test_backing_service_has_healthcheck(name: str) -> None:
    healthcheck = service(name).get("healthcheck") or {}
    assert healthcheck.get("test")
    assert not healthcheck.get("disable", False)


# --- Dockerfile -------------------------------------------------------------------------------


def test_dockerfile_is_multi_stage() -> None:
    stages = dockerfile_arguments("FROM")
    assert len(stages) >= 2
    assert all(stage.startswith("python:3.11-slim") for stage in stages)


def test_dockerfile_runtime_copies_from_builder_stage() -> None:
    builder = dockerfile_arguments("FROM")[0].split()[-1]
    assert any(
        arguments.startswith(f"--from={builder} ") for arguments in dockerfile_arguments("COPY")
    )


def test_dockerfile_runs_as_non_root_user() -> None:
    users = dockerfile_arguments("USER")
    assert users, "no USER instruction: the image would run as root"
    user, _, group = users[-1].partition(":")
    assert user not in {"root", "0"}
    assert group not in {"root", "0"}


def test_dockerfile_installs_locked_requirements() -> None:
    runs = dockerfile_arguments("RUN")
    assert any("pip install" in run and "-r requirements/lock.txt" in run for run in runs)
    assert any("pip install --no-deps ." in run for run in runs)


def test_dockerfile_ships_alembic_files() -> None:
    copies = dockerfile_arguments("COPY")
    assert any(arguments.startswith("alembic.ini ") for arguments in copies)
    assert any(arguments.startswith("migrations/ ") for arguments in copies)


def test_dockerfile_has_healthcheck_on_healthz() -> None:
    (healthcheck,) = dockerfile_arguments("HEALTHCHECK")
    assert "http://127.0.0.1:8000/healthz" in healthcheck


def test_dockerfile_default_command_serves_the_api() -> None:
    assert dockerfile_arguments("CMD")[-1].startswith('["mkopo", "serve"')
