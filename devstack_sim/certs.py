"""Certificates of a simulated cluster: a CA, the API server's serving cert and an admin client cert.

The layout mirrors what kind/kubeadm produce: the serving cert names `127.0.0.1`, `localhost`,
`kubernetes` and `kubernetes.default.svc`; the client cert is `CN=kubernetes-admin`,
`O=kubeadm:cluster-admins`. Everything is PEM bytes; `write`/`load` keep them in a state directory
(private keys mode 0600) so a restarted simulator serves with the same identity.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_FILES = {
    "ca_cert": "ca.crt",
    "ca_key": "ca.key",
    "server_cert": "apiserver.crt",
    "server_key": "apiserver.key",
    "client_cert": "admin.crt",
    "client_key": "admin.key",
}
_VALIDITY = datetime.timedelta(days=365)


@dataclass(frozen=True)
class ClusterCerts:
    """PEM-encoded certificates and keys of one cluster."""

    ca_cert: bytes
    ca_key: bytes
    server_cert: bytes
    server_key: bytes
    client_cert: bytes
    client_key: bytes


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attrs)


def _issue(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    usage: x509.ObjectIdentifier | None = None,
    sans: list[x509.GeneralName] | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + (_VALIDITY * 10 if ca else _VALIDITY))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=True,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        ),
        critical=True,
    )
    if not ca:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def default_server_names(cluster_name: str) -> tuple[str, ...]:
    """The names kind's serving certificate carries (`127.0.0.1`, `localhost`, `kubernetes`...)."""
    return (
        "127.0.0.1",
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        f"{cluster_name}-control-plane",
    )


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _server_cert(
    names: tuple[str, ...], ca_name: x509.Name, ca_key: ec.EllipticCurvePrivateKey
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    server_key = _key()
    server = _issue(
        _name("kube-apiserver"),
        server_key,
        ca_name,
        ca_key,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        sans=[_san(name) for name in names],
    )
    return server, server_key


def server_names(certs: ClusterCerts) -> tuple[str, ...]:
    """The names (DNS and IP SANs) the serving certificate is valid for."""
    cert = x509.load_pem_x509_certificate(certs.server_cert)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return tuple(str(value) for value in sans.get_values_for_type(x509.IPAddress)) + tuple(
        sans.get_values_for_type(x509.DNSName)
    )


def generate(cluster_name: str = "kind", names: tuple[str, ...] | None = None) -> ClusterCerts:
    """Create a fresh CA and the server and admin client certificates it signs.

    Args:
        cluster_name: Used in the server certificate's SANs (`<name>-control-plane`).
        names: The serving certificate's names instead of kind's (e.g. only a DNS name, so that
            clients must send it with `tls-server-name`).
    """
    ca_key = _key()
    ca_name = _name("kubernetes")
    ca = _issue(ca_name, ca_key, ca_name, ca_key, ca=True)
    server, server_key = _server_cert(names or default_server_names(cluster_name), ca_name, ca_key)

    client_key = _key()
    client = _issue(
        _name("kubernetes-admin", "kubeadm:cluster-admins"),
        client_key,
        ca_name,
        ca_key,
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
    )
    pem = serialization.Encoding.PEM
    return ClusterCerts(
        ca_cert=ca.public_bytes(pem),
        ca_key=_key_pem(ca_key),
        server_cert=server.public_bytes(pem),
        server_key=_key_pem(server_key),
        client_cert=client.public_bytes(pem),
        client_key=_key_pem(client_key),
    )


def write(certs: ClusterCerts, directory: Path) -> None:
    """Write every PEM file into `directory` (created if missing); key files get mode 0600."""
    directory.mkdir(parents=True, exist_ok=True)
    for attr, filename in _FILES.items():
        path = directory / filename
        data: bytes = getattr(certs, attr)
        mode = 0o600 if attr.endswith("_key") else 0o644
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(path, mode)


def load(directory: Path) -> ClusterCerts | None:
    """Read the PEM files written by `write`, or None when any is missing."""
    paths = {attr: directory / filename for attr, filename in _FILES.items()}
    if not all(path.is_file() for path in paths.values()):
        return None
    return ClusterCerts(**{attr: path.read_bytes() for attr, path in paths.items()})


def load_or_generate(
    directory: Path, cluster_name: str = "kind", names: tuple[str, ...] | None = None
) -> ClusterCerts:
    """The certificates kept in `directory`, generating and writing them the first time.

    When the kept serving certificate names other hosts than `names` (or kind's defaults), a new
    one is issued by the same CA (clients keep trusting the cluster).
    """
    certs = load(directory)
    wanted = names or default_server_names(cluster_name)
    if certs is None:
        certs = generate(cluster_name, wanted)
        write(certs, directory)
    elif sorted(server_names(certs)) != sorted(wanted):
        ca_key = serialization.load_pem_private_key(certs.ca_key, password=None)
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        ca = x509.load_pem_x509_certificate(certs.ca_cert)
        server, server_key = _server_cert(wanted, ca.subject, ca_key)
        certs = replace(
            certs,
            server_cert=server.public_bytes(serialization.Encoding.PEM),
            server_key=_key_pem(server_key),
        )
        write(certs, directory)
    return certs


def server_ssl_context(certs: ClusterCerts, directory: Path) -> ssl.SSLContext:
    """TLS context for the API server: serves the server cert and asks for a CA-signed client cert.

    The client certificate is optional at the TLS layer (`CERT_OPTIONAL`) so that a request
    without one can be answered with a 401 `Status` like a real API server; a certificate from
    another CA fails verification and therefore the handshake. `directory` must hold the files
    written by `write` (the ssl module loads chains from files).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(directory / _FILES["server_cert"], directory / _FILES["server_key"])
    context.load_verify_locations(cadata=certs.ca_cert.decode())
    context.verify_mode = ssl.CERT_OPTIONAL
    context.set_alpn_protocols(["http/1.1"])
    return context


def client_ssl_context(certs: ClusterCerts, directory: Path) -> ssl.SSLContext:
    """TLS context for test clients: trusts the CA and presents the admin client cert."""
    context = ssl.create_default_context(cadata=certs.ca_cert.decode())
    context.load_cert_chain(directory / _FILES["client_cert"], directory / _FILES["client_key"])
    return context
