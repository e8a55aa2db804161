"""The image table: ref matching, YAML loading and its errors, the shipped default table."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import REPO

from devstack_sim.cluster import ImageSpec, ImageTable, ImageTableError
from devstack_sim.cluster.context import go_duration
from devstack_sim.cluster.images import lookup_keys, parse_reference, valid_reference
from devstack_sim.cluster.rollout import fnv32a, pod_template_hash, safe_encode


@pytest.mark.parametrize(
    "ref",
    [
        "localhost:5001/jetscale-backend:abc123",
        "jetscale-backend",
        "jetscale-backend:latest",
        "docker.io/library/jetscale-backend@sha256:" + "a" * 64,
        "localhost:5001/jetscale-backend:dev@sha256:" + "b" * 64,
    ],
)
def test_refs_match_without_registry_tag_and_digest(ref: str) -> None:
    table = ImageTable({"jetscale-backend": ImageSpec(command=("x",))})
    assert table.resolve(ref) is not None


def test_lookup_prefers_the_most_specific_key() -> None:
    assert lookup_keys("registry.k8s.io/pause:3.10") == ["registry.k8s.io/pause", "pause"]
    table = ImageTable({"registry.k8s.io/pause": ImageSpec(), "pause": ImageSpec(command=("other",))})
    exact = table.resolve("registry.k8s.io/pause:3.10")
    assert exact is not None and exact.noop
    other = table.resolve("docker.io/library/pause")
    assert other is not None and other.command == ("other",)
    assert table.resolve("nginx:1.27") is None


def test_canonical_refs_and_validation() -> None:
    assert parse_reference("nginx").canonical == "docker.io/library/nginx:latest"
    assert parse_reference("localhost:5001/app:v2").canonical == "localhost:5001/app:v2"
    assert parse_reference("localhost:5001/app:v2").image_id().startswith("localhost:5001/app@sha256:")
    assert valid_reference("localhost:5001/jetscale-backend:abc123")
    assert not valid_reference("Upper/Case:tag")
    assert not valid_reference("")


def test_load_resolves_python_and_relative_cwd(tmp_path: Path) -> None:
    table_file = tmp_path / "sub" / "images.yaml"
    table_file.parent.mkdir()
    table_file.write_text(
        "images:\n"
        "  web:\n"
        '    command: ["{python}", "app.py"]\n'
        '    cwd: "../srv"\n'
        "    env: {MODE: demo, N: 3}\n"
        "  sim/noop: {}\n"
    )
    table = ImageTable.load(table_file)
    web = table.resolve("localhost:5001/web:1")
    assert web is not None
    assert web.command == (sys.executable, "app.py")
    assert web.cwd == (tmp_path / "srv").resolve()
    assert dict(web.env) == {"MODE": "demo", "N": "3"}
    noop = table.resolve("sim/noop")
    assert noop is not None and noop.noop


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope: 1\n", "expected a mapping with an `images` mapping"),
        ("images:\n  web:\n    command: python\n", "images.web.command: expected a list of strings"),
        ("images:\n  web:\n    entrypoint: [x]\n", "images.web: unknown field(s) entrypoint"),
        ("images:\n  web: [x]\n", "images.web: expected a mapping"),
        ("images: {web: {command: [\n", "cannot read image table"),
    ],
)
def test_load_errors_name_the_file_and_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "images.yaml"
    path.write_text(text)
    with pytest.raises(ImageTableError) as err:
        ImageTable.load(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_default_table_points_at_the_demo_apps() -> None:
    table = ImageTable.default()
    backend = table.resolve("localhost:5001/jetscale-backend:dev")
    frontend = table.resolve("jetscale-frontend")
    assert backend is not None and frontend is not None
    assert backend.cwd == REPO
    assert backend.command == (sys.executable, "demo/backend/app.py")
    assert (REPO / backend.command[1]).is_file()
    assert (REPO / frontend.command[1]).is_file()
    for noop in ("sim/noop", "registry.k8s.io/pause:3.10"):
        spec = table.resolve(noop)
        assert spec is not None and spec.noop
    crash = table.resolve("sim/crash")
    assert crash is not None and crash.command[0] == sys.executable


def test_template_hash_is_stable_and_uses_the_safe_alphabet() -> None:
    template = {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "a", "image": "b"}]}}
    first = pod_template_hash(template)
    assert first == pod_template_hash({"spec": template["spec"], "metadata": template["metadata"]})
    assert set(first) <= set("456789bcdf") and 1 <= len(first) <= 10
    assert pod_template_hash(template, 1) != first
    assert fnv32a(b"") == 0x811C9DC5 and fnv32a(b"a") == 0xE40C292C  # FNV-1a test vectors
    assert safe_encode("0123456789") == "456789bcdf"  # so real hashes look like 7c5ddbdf54


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.2, "200ms"), (2, "2s"), (1.5, "1.5s"), (300, "5m0s"), (0.021, "21ms"), (3725, "1h2m5s")],
)
def test_go_durations(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text
