"""Reading kubeconfigs as kubectl merges them, the private single-context copy, and its run dir."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from devstack.errors import DevstackError
from devstack.exitcodes import USAGE
from devstack.sources.confine import NO_CLUSTER_CONTEXT, Confinement
from devstack.sources.kubeconfig import (
    ContextNotFound,
    KubeconfigError,
    find_context,
    read_kubeconfig,
    single_context_document,
)
from devstack.sources.tools import ToolEnv

CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="  # base64 of a PEM header line


def config(*contexts: tuple[str, str, str], clusters: dict[str, dict] | None = None, users=None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": contexts[0][0] if contexts else "",
        "contexts": [{"name": n, "context": {"cluster": c, "user": u}} for n, c, u in contexts],
        "clusters": [{"name": n, "cluster": body} for n, body in (clusters or {}).items()],
        "users": [{"name": n, "user": body} for n, body in (users or {}).items()],
    }


def write(path: Path, document: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document))
    return path


def test_entries_merge_across_files_first_wins_and_relative_paths_become_absolute(tmp_path: Path) -> None:
    (tmp_path / "b" / "certs").mkdir(parents=True)
    (tmp_path / "b" / "certs" / "ca.pem").write_text("ca")
    first = write(
        tmp_path / "a" / "config",
        config(
            ("prod", "prod", "prod"),
            clusters={"prod": {"server": "https://prod.example.com"}},
            users={"prod": {"token": "t"}},
        ),
    )
    second = write(
        tmp_path / "b" / "config",
        config(
            ("kind-dev", "kind-dev", "kind-dev"),
            ("prod", "other", "other"),
            clusters={
                "kind-dev": {"server": "https://127.0.0.1:1234", "certificate-authority": "certs/ca.pem"}
            },
            users={
                "kind-dev": {
                    "exec": {"command": "./bin/creds", "apiVersion": "client.authentication.k8s.io/v1"}
                }
            },
        ),
    )
    entries = find_context((first, second), "kind-dev")
    assert entries.source == second and entries.server == "https://127.0.0.1:1234"
    document = single_context_document(entries)
    assert [c["name"] for c in document["contexts"]] == ["kind-dev"]
    assert [c["name"] for c in document["clusters"]] == ["kind-dev"]
    assert [u["name"] for u in document["users"]] == ["kind-dev"]
    assert document["current-context"] == "kind-dev"
    assert document["clusters"][0]["cluster"]["certificate-authority"] == str(
        tmp_path / "b" / "certs" / "ca.pem"
    )
    assert document["users"][0]["user"]["exec"]["command"] == str(tmp_path / "b" / "bin" / "creds")
    assert find_context((first, second), "prod").cluster["server"] == "https://prod.example.com"


MALFORMED = {
    "bad YAML": "contexts: [1\n",
    "not UTF-8": b"\xff\xfe\x00contexts: []\n",
    "a list": "- 1\n- 2\n",
    "contexts: 5": "contexts: 5\n",
    "a context that is a string": "contexts:\n- just-a-name\n",
    "a name that is a number": "contexts:\n- name: 7\n  context: {}\n",
    "an alias bomb": "a0: &a0 [x, x]\n"
    + "".join(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, 120)),
    "an impossible date": "contexts:\n- name: dev\n  context: {cluster: dev}\n  since: 2024-13-45\n",
    "a 5,000-digit number": "preferences: {n: " + "9" * 5000 + "}\n",
    "deep nesting": "a: " + "[" * 5000 + "]" * 5000 + "\n",
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_kubeconfigs_are_one_line_errors_naming_the_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / "config"
    content = MALFORMED[name]
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(KubeconfigError) as raised:
        read_kubeconfig(path)
    assert raised.value.exit_code == USAGE
    assert str(path) in raised.value.message and "\n" not in raised.value.message


def test_a_folder_a_fifo_and_a_missing_file(tmp_path: Path) -> None:
    assert read_kubeconfig(tmp_path / "missing") == {}
    with pytest.raises(KubeconfigError, match="is a folder"):
        read_kubeconfig(tmp_path)
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(KubeconfigError, match="not a regular file"):  # opening it would block
        read_kubeconfig(tmp_path / "fifo")


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (config(("dev", "gone", "dev"), users={"dev": {}}), "names cluster 'gone'"),
        (config(("dev", "dev", "gone"), clusters={"dev": {"server": "https://x"}}), "names user 'gone'"),
        (config(("dev", "dev", "dev"), clusters={"dev": {}}, users={"dev": {}}), "no server"),
    ],
)
def test_a_context_kubectl_could_not_use_is_refused(tmp_path: Path, document: dict, problem: str) -> None:
    path = write(tmp_path / "config", document)
    with pytest.raises(KubeconfigError, match=problem) as raised:
        find_context((path,), "dev")
    assert str(path) in raised.value.message


def test_a_credential_the_client_cannot_load_is_exit_2_naming_the_users_file(tmp_path: Path) -> None:
    from devstack.sources.kube import KubeTarget, new_api_client

    user = write(
        tmp_path / "config",
        config(
            ("dev", "dev", "dev"),
            clusters={"dev": {"server": "https://127.0.0.1:1", "certificate-authority-data": "%%not-base64"}},
            users={"dev": {}},
        ),
    )
    confinement = Confinement((user,), "dev")
    target = KubeTarget("dev", "default", confinement.file, origin=str(user), prepare=confinement.path)
    with pytest.raises(DevstackError) as raised:
        new_api_client(target)
    assert raised.value.exit_code == USAGE and str(user) in raised.value.message


def test_a_missing_context_names_the_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ContextNotFound) as raised:
        find_context((tmp_path / "nope",), "kind-jetscale")
    assert f"{tmp_path / 'nope'} [missing]" in raised.value.message


def test_the_private_copy_is_0600_in_a_0700_folder_and_follows_the_users_file(tmp_path: Path) -> None:
    user = write(
        tmp_path / "config",
        config(
            ("dev", "dev", "dev"),
            ("prod", "prod", "prod"),
            clusters={"dev": {"server": "https://127.0.0.1:1"}, "prod": {"server": "https://prod"}},
            users={"dev": {}, "prod": {}},
        ),
    )
    confinement = Confinement((user,), "dev")
    path = Path(confinement.path())
    assert path == Path(confinement.file)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    written = yaml.safe_load(path.read_text())
    assert [c["name"] for c in written["contexts"]] == ["dev"] and written["current-context"] == "dev"
    document = yaml.safe_load(user.read_text())
    document["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:2"
    write(user, document)
    assert (
        yaml.safe_load(Path(confinement.path()).read_text())["clusters"][0]["cluster"]["server"]
        == "https://127.0.0.1:2"
    )


def test_a_refused_context_is_never_written(tmp_path: Path) -> None:
    user = write(
        tmp_path / "config",
        config(("dev", "dev", "dev"), clusters={"dev": {"server": "https://x"}}, users={"dev": {}}),
    )

    def refuse(entries: object) -> None:
        raise DevstackError("refused", exit_code=USAGE)

    confinement = Confinement((user,), "dev", verify=refuse)
    with pytest.raises(DevstackError, match="refused"):
        confinement.path()
    assert not Path(confinement.file).exists()


def test_children_see_no_cluster_unless_confined_and_never_helm_overrides(tmp_path: Path) -> None:
    user = write(
        tmp_path / "config",
        config(("dev", "dev", "dev"), clusters={"dev": {"server": "https://x"}}, users={"dev": {}}),
    )
    env = {
        "PATH": os.defpath,
        "KUBECONFIG": str(user),
        "HELM_KUBEAPISERVER": "https://evil",
        "KUBERNETES_SERVICE_HOST": "10.0.0.1",
    }
    tools = ToolEnv(env)
    probe = tools.child_env()
    assert "HELM_KUBEAPISERVER" not in probe and "KUBERNETES_SERVICE_HOST" not in probe
    no_cluster = yaml.safe_load(Path(probe["KUBECONFIG"]).read_text())
    assert no_cluster["current-context"] == NO_CLUSTER_CONTEXT and no_cluster["contexts"] == []
    confined = tools.confined_to("dev")
    kubeconfig = confined.child_env()["KUBECONFIG"]
    assert (
        kubeconfig != str(user) and yaml.safe_load(Path(kubeconfig).read_text())["current-context"] == "dev"
    )
    assert confined.user_kubeconfig_for("dev") == str(user)
