"""Every command given `--json` prints exactly one JSON document on its error paths too (from the
CLI's main error path): `{"ok": false, "error": {"message", "fix", "exit_code"}, "problems",
"exit_code"}`, with the message also on stderr and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO

from devstack.exitcodes import UNHEALTHY, USAGE

JSON_COMMANDS = ("up", "down", "status", "check", "forward", "doctor", "validate", "report", "demo")


def devstack(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def one_document(out: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """stdout is exactly one JSON document (a second one, or any other text, would not parse)."""
    assert "Traceback" not in out.stderr, out.stderr
    document = json.loads(out.stdout)
    assert isinstance(document, dict)
    return document


def assert_error_document(out: subprocess.CompletedProcess[str], code: int, says: str) -> dict[str, Any]:
    document = one_document(out)
    assert out.returncode == code, (out.stdout, out.stderr)
    assert document["ok"] is False and document["exit_code"] == code
    error = document["error"]
    assert error["exit_code"] == code and says in error["message"], error
    assert set(error) == {"message", "fix", "exit_code"}
    assert document["problems"] and isinstance(document["problems"], list)
    assert says in out.stderr, "the message still goes to stderr"
    return document


@pytest.mark.parametrize("command", [c for c in JSON_COMMANDS if c != "demo"])  # the demo has its own
def test_an_unknown_profile_is_one_error_document(command: str) -> None:
    out = devstack(command, "--json", "-p", "nope")
    if command == "doctor":  # the doctor reports the profile like any other check
        document = one_document(out)
        assert out.returncode == USAGE and document["ok"] is False
        return
    document = assert_error_document(out, USAGE, 'no profile named "nope"')
    assert document["error"]["fix"].startswith("use one of: ci-kind, local-kind")


@pytest.mark.parametrize("command", JSON_COMMANDS)
def test_a_bad_flag_is_one_error_document(command: str) -> None:
    assert_error_document(devstack(command, "--json", "--no-such-flag"), USAGE, "No such option")


def test_status_without_a_cluster_is_one_error_document() -> None:
    out = devstack("status", "--json")
    document = assert_error_document(out, USAGE, "context kind-jetscale is not in the kubeconfig")
    assert document["error"]["fix"] == "`devstack up` creates the kind cluster and its context"


def test_forward_without_a_kubeconfig_names_the_context_not_an_internal_error() -> None:
    for args in (("forward",), ("forward", "--json")):
        out = devstack(*args)
        assert out.returncode == USAGE, out.stderr
        assert "internal error" not in out.stderr and "cannot reach" not in out.stderr
        assert out.stderr.startswith("devstack: context kind-jetscale is not in the kubeconfig")
    assert_error_document(out, USAGE, "context kind-jetscale is not in the kubeconfig")


def test_a_profile_with_problems_lists_them_all_in_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ncluster: {provider: kind}\ndeploy: {tool: skaffold}\nforwards: 3\n")
    out = devstack("status", "--json", "-p", str(bad))
    document = assert_error_document(out, USAGE, "deploy.skaffold_profile")
    assert len(document["problems"]) == 2 and any("forwards" in p for p in document["problems"])


def test_a_command_that_printed_its_document_prints_no_second_one() -> None:
    out = devstack("check", "--json")  # nothing listens: the checks fail, exit 1, its own document
    document = one_document(out)
    assert out.returncode == UNHEALTHY and document["ok"] is False and "checks" in document
    assert "error" not in document
