"""Certificates and kubeconfig handling of the simulator."""

from __future__ import annotations

import base64
import ipaddress
import stat
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from devstack_sim import certs, kubeconfig


def test_generated_certificates_look_like_kind(tmp_path: Path) -> None:
    generated = certs.generate("dev")
    ca = x509.load_pem_x509_certificate(generated.ca_cert)
    server = x509.load_pem_x509_certificate(generated.server_cert)
    client = x509.load_pem_x509_certificate(generated.client_cert)

    assert server.issuer == ca.subject and client.issuer == ca.subject
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    dns = sans.get_values_for_type(x509.DNSName)
    for name in ("localhost", "kubernetes", "kubernetes.default.svc"):
        assert name in dns
    assert client.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "kubernetes-admin"
    assert (
        client.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "kubeadm:cluster-admins"
    )
    # the CA really signed them
    ca.public_key().verify(server.signature, server.tbs_certificate_bytes, _ecdsa(server))
    ca.public_key().verify(client.signature, client.tbs_certificate_bytes, _ecdsa(client))


def _ecdsa(cert: x509.Certificate) -> object:
    from cryptography.hazmat.primitives.asymmetric import ec

    assert cert.signature_hash_algorithm is not None
    return ec.ECDSA(cert.signature_hash_algorithm)


def test_certificates_are_written_with_private_keys_0600_and_reloaded(tmp_path: Path) -> None:
    first = certs.load_or_generate(tmp_path / "pki")
    for name in ("ca.key", "apiserver.key", "admin.key"):
        assert stat.S_IMODE((tmp_path / "pki" / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "pki" / "ca.crt").stat().st_mode) == 0o644
    again = certs.load_or_generate(tmp_path / "pki")
    assert again == first
    assert certs.load(tmp_path / "missing") is None


def _existing() -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "prod", "cluster": {"server": "https://prod:6443"}}],
        "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "prod"}}],
        "users": [{"name": "prod", "user": {"token": "t"}}],
        "current-context": "prod",
        "preferences": {"colors": True},
    }


def test_build_uses_kind_names_and_embedded_data() -> None:
    generated = certs.generate()
    config = kubeconfig.build("dev", 4321, generated)
    assert config["current-context"] == "kind-dev"
    cluster = config["clusters"][0]
    assert cluster["name"] == "kind-dev"
    assert cluster["cluster"]["server"] == "https://127.0.0.1:4321"
    assert base64.b64decode(cluster["cluster"]["certificate-authority-data"]) == generated.ca_cert
    user = config["users"][0]["user"]
    assert base64.b64decode(user["client-certificate-data"]) == generated.client_cert
    assert base64.b64decode(user["client-key-data"]) == generated.client_key
    assert config["contexts"][0] == {
        "name": "kind-dev",
        "context": {"cluster": "kind-dev", "user": "kind-dev"},
    }


def test_merge_keeps_other_entries_and_replaces_same_named() -> None:
    existing = _existing()
    first = kubeconfig.build("dev", 1111, certs.generate())
    merged = kubeconfig.merge(existing, first)
    assert [c["name"] for c in merged["clusters"]] == ["prod", "kind-dev"]
    assert merged["current-context"] == "kind-dev"
    assert merged["preferences"] == {"colors": True}
    assert existing["current-context"] == "prod"  # input untouched

    second = kubeconfig.build("dev", 2222, certs.generate())
    again = kubeconfig.merge(merged, second, set_current=False)
    assert [c["name"] for c in again["clusters"]] == ["prod", "kind-dev"]
    assert again["clusters"][1]["cluster"]["server"] == "https://127.0.0.1:2222"

    kept_current = kubeconfig.merge(existing, second, set_current=False)
    assert kept_current["current-context"] == "prod"


def test_remove_drops_entries_and_unsets_current_context() -> None:
    merged = kubeconfig.merge(_existing(), kubeconfig.build("dev", 1, certs.generate()))
    removed = kubeconfig.remove(merged, "dev")
    assert [c["name"] for c in removed["clusters"]] == ["prod"]
    assert [c["name"] for c in removed["users"]] == ["prod"]
    assert removed["current-context"] == ""
    other = kubeconfig.remove(_existing(), "dev")
    assert other["current-context"] == "prod"


def test_file_wrappers_write_atomically_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "config"
    kubeconfig.merge_into_file(path, kubeconfig.build("dev", 5, certs.generate()))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert yaml.safe_load(path.read_text())["current-context"] == "kind-dev"
    assert [p.name for p in path.parent.iterdir()] == ["config"]  # no temp file left

    path.write_text(yaml.safe_dump(kubeconfig.merge(_existing(), yaml.safe_load(path.read_text()))))
    kubeconfig.remove_from_file(path, "dev")
    data = yaml.safe_load(path.read_text())
    assert [c["name"] for c in data["contexts"]] == ["prod"]
    assert kubeconfig.remove_from_file(tmp_path / "absent", "dev") is None
    assert not (tmp_path / "absent").exists()


def test_read_rejects_non_mapping(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("- a\n- b\n")
    with pytest.raises(ValueError, match="mapping"):
        kubeconfig.read(path)
