"""Pure parts of the stand-ins: skaffold.yaml profiles, pflag-style parsing, Go durations, kind config."""

from __future__ import annotations

from pathlib import Path

import pytest
from standin_helpers import REPO

from devstack_sim.standins import flags, godur, kindconfig, skconfig
from devstack_sim.standins.skaffold import UsageError, port_forward_modes


def test_local_kind_profile_on_the_real_skaffold_yaml() -> None:
    loaded = skconfig.load(REPO / "skaffold.yaml", ["local-kind"], "kind-jetscale", "run")
    assert loaded.profiles == ["local-kind"]
    assert loaded.deploy["statusCheckDeadlineSeconds"] == 120
    assert loaded.deploy["helm"]["releases"][0]["valuesFiles"] == ["charts/jetscale/values-local.yaml"]
    assert loaded.config["build"]["local"]["concurrency"] == 0
    assert [a["image"] for a in loaded.artifacts] == ["jetscale-backend", "jetscale-frontend"]
    assert "profiles" not in loaded.config


def test_ci_kind_comes_after_the_auto_activated_local_kind() -> None:
    loaded = skconfig.load(REPO / "skaffold.yaml", ["ci-kind"], "kind-jetscale", "run")
    assert loaded.profiles == ["local-kind", "ci-kind"]
    assert loaded.deploy["statusCheckDeadlineSeconds"] == 300
    assert loaded.deploy["helm"]["releases"][0]["valuesFiles"] == ["charts/jetscale/values-ci.yaml"]
    assert loaded.artifacts[0]["docker"] == {"dockerfile": "Dockerfile", "noCache": True}
    assert loaded.config["build"]["local"]["tryImportMissing"] is False
    # `-local-kind` switches the auto-activated profile off; another context does not activate it
    assert skconfig.load(REPO / "skaffold.yaml", ["-local-kind"], "kind-jetscale", "run").profiles == []
    assert skconfig.load(REPO / "skaffold.yaml", [], "kind-other", "run").profiles == []


def test_activation_env_command_and_negation(monkeypatch: pytest.MonkeyPatch) -> None:
    profiles = [
        {"name": "on-ci", "activation": [{"env": "CI=true"}]},
        {"name": "not-ci", "activation": [{"env": "CI=!true"}]},
        {"name": "dev-only", "activation": [{"command": "dev"}]},
        {
            "name": "both",
            "requiresAllActivations": True,
            "activation": [{"command": "run"}, {"env": "CI=tr"}],
        },
    ]
    monkeypatch.setenv("CI", "true")
    assert skconfig.activated(profiles, [], "", "run", True) == ["on-ci", "both"]
    monkeypatch.setenv("CI", "false")
    assert skconfig.activated(profiles, [], "", "dev", True) == ["not-ci", "dev-only"]
    assert skconfig.activated(profiles, [], "", "dev", False) == []


def test_patches_and_their_errors(tmp_path: Path) -> None:
    config = tmp_path / "skaffold.yaml"
    config.write_text(
        "apiVersion: skaffold/v4beta14\nkind: Config\n"
        "build:\n  artifacts:\n  - image: a\n  - image: b\n  local: {push: false}\n"
        "profiles:\n"
        "- name: ops\n  build:\n    cluster: {}\n  patches:\n"
        "  - {op: add, path: /build/artifacts/-, value: {image: c}}\n"
        "  - {op: remove, path: /build/artifacts/0}\n"
        "  - {path: /build/artifacts/0/image, value: bb}\n"
        "- name: bad\n  patches:\n  - {op: replace, path: /build/artifacts/9/image, value: x}\n",
        encoding="utf-8",
    )
    loaded = skconfig.load(config, ["ops"], "", "build")
    assert [a["image"] for a in loaded.artifacts] == ["bb", "c"]
    assert loaded.config["build"].get("local") is None and loaded.config["build"]["cluster"] == {}
    with pytest.raises(
        skconfig.ConfigError, match=r'applying profile "bad": invalid path: /build/artifacts/9/image'
    ):
        skconfig.load(config, ["bad"], "", "build")


def test_flags_like_pflag() -> None:
    spec = [flags.Flag("name", "n"), flags.Flag("retain", kind="bool"), flags.Flag("profile", "p", "list")]
    parsed = flags.parse(["-n", "x", "--retain=false", "-p", "a,b", "--profile=c", "pos", "--", "-z"], spec)
    assert parsed.values == {"name": "x", "retain": False, "profile": ["a", "b", "c"]}
    assert parsed.args == ["pos", "-z"]
    assert flags.parse(["-nfoo"], spec).text("name") == "foo"
    with pytest.raises(flags.FlagError, match=r"^unknown flag: --nope$"):
        flags.parse(["--nope"], spec)
    with pytest.raises(flags.FlagError, match=r"^flag needs an argument: --name$"):
        flags.parse(["--name"], spec)
    with pytest.raises(flags.FlagError, match='invalid argument "maybe" for "--retain" flag'):
        flags.parse(["--retain=maybe"], spec)


def test_port_forward_values() -> None:
    assert port_forward_modes("off") == ["off"]
    assert port_forward_modes("false") == ["off"]
    assert port_forward_modes("true") == ["user", "services"]
    assert port_forward_modes("user,debug") == ["user", "debug"]
    with pytest.raises(
        UsageError, match=r'unknown port-forward option "x": expected: user, services, pods, debug, off'
    ):
        port_forward_modes("x")
    with pytest.raises(UsageError):
        port_forward_modes("off,user")


def test_go_durations() -> None:
    assert godur.parse("120s") == 120 and godur.parse("1m30s") == 90 and godur.parse("0") == 0
    assert godur.format_duration(120) == "2m0s"
    assert godur.format_duration(0.0681) == "68.1ms"
    assert godur.humanize(3.2134) == "3.213 seconds"
    assert godur.humanize(1.065) == "1.065 second"
    assert godur.humanize(103.139) == "1 minute 43.139 seconds"
    with pytest.raises(ValueError, match='time: invalid duration "soon"'):
        godur.parse("soon")


def test_kind_config_parsing_and_node_names() -> None:
    config = kindconfig.parse(
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: x\nnodes:\n"
        "- role: control-plane\n  extraPortMappings:\n  - {containerPort: 80, hostPort: 8080, protocol: udp}\n"
        "- role: control-plane\n- role: worker\n- role: worker\n"
    )
    assert [n for n, _ in kindconfig.node_names("x", config)] == [
        "x-control-plane",
        "x-control-plane2",
        "x-worker",
        "x-worker2",
    ]
    assert config.nodes[0].port_mappings == (kindconfig.PortMapping(80, 8080, "0.0.0.0", "UDP"),)
    with pytest.raises(kindconfig.ConfigError, match="unknown apiVersion: v1"):
        kindconfig.parse("kind: Cluster\napiVersion: v1\n")
    with pytest.raises(kindconfig.ConfigError, match="must have at least one control-plane node"):
        kindconfig.parse("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: worker\n")
