"""Redaction by key and by pattern: each kind of secret, in the shapes it takes in logs and configs."""

from __future__ import annotations

import pytest

from devstack.core.redact import REDACTED, redact_command, redact_text, redact_value, sensitive_name

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJlLXZhbHVl"

# (text holding a secret, the secret, what stays visible around it)
CASES = [
    ("Authorization: Bearer s3cr3t-bearer", "s3cr3t-bearer", "Authorization: "),
    ("curl -H 'X-Auth: Basic dXNlcjpwYXNz' http://x", "dXNlcjpwYXNz", "curl -H "),
    ('{"password": "json-pw", "user": "bob"}', "json-pw", '"user": "bob"'),
    ('{\\"password\\": \\"escaped-pw\\", \\"user\\": 1}', "escaped-pw", '\\"user\\": 1'),
    ("GET /cb?auth=query-auth&n=5 HTTP/1.1", "query-auth", "&n=5 HTTP/1.1"),
    ("https://b.s3.amazonaws.com/k?X-Amz-Signature=amz-sig&X-Amz-Credential=cred", "amz-sig", "https://b.s3"),
    ("https://acct.blob.core.windows.net/c?sv=2024&sig=azure-sig%3D", "azure-sig", "blob.core"),
    ("DB_PASS=db-pass-value other=1", "db-pass-value", "other=1"),
    (f"id_token {JWT} end", JWT, " end"),
    (f"/callback#{JWT}", "eyJzdWIiOiJzZWNyZXQifQ", "/callback#"),
    ("passphrase: correct horse battery staple", "horse battery", "passphrase: "),
    ('SSH_PASSPHRASE="two words" next=1', "two words", "next=1"),
    ("redis://:redis-pw@redis:6379/0", "redis-pw", "@redis:6379/0"),
    ("https://sentrykey123@o1.ingest.sentry.io/42", "sentrykey123", "@o1.ingest.sentry.io/42"),
    ("postgres://app:pg-pw@db:5432/app?sslmode=disable", "pg-pw", "postgres://app:"),
    ("Server=db;User Id=sa;Password=mssql-pw;Encrypt=true", "mssql-pw", "Encrypt=true"),
    ("--api-token=flag-token --port 3000", "flag-token", "--port 3000"),
    ("--password flag-pw --verbose", "flag-pw", "--verbose"),
    ("GITHUB_TOKEN ghp_0123456789abcdefghij0123456789abcd", "ghp_0123456789abcdefghij", "GITHUB_TOKEN"),
    ("aws AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE", " used"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIB\n-----END RSA PRIVATE KEY-----", "MIIEpAIB", ""),
    ("X-Api-Key: header-key-value", "header-key-value", "X-Api-Key: "),
    ("Cookie: session=cookie-session", "cookie-session", "Cookie: "),
    ('password="never closed and long', "never closed", "password="),
]


@pytest.mark.parametrize(("text", "secret", "kept"), CASES, ids=[c[1][:20] for c in CASES])
def test_each_kind_of_secret_is_replaced_and_its_context_kept(text: str, secret: str, kept: str) -> None:
    shown = redact_text(text)
    assert secret not in shown
    assert REDACTED in shown
    assert kept in shown


@pytest.mark.parametrize(
    "text",
    [
        "GET /healthz HTTP/1.1 200 -",
        "listening on 127.0.0.1:8000",
        "level=info msg=ok path=/api/hello?n=5",
        "http://localhost:3000/api/hello",
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
        "the designer said hi",
    ],
)
def test_text_without_secrets_is_unchanged(text: str) -> None:
    assert redact_text(text) == text


def test_values_are_hidden_by_their_name_and_by_pattern() -> None:
    assert redact_value("DB_PASSWORD", "anything") == REDACTED
    assert redact_value("stripeApiKey", "sk_live_x") == REDACTED
    assert redact_value("DATABASE_URL", "postgres://u:pw@db/x") == f"postgres://u:{REDACTED}@db/x"
    assert redact_value("LOG_LEVEL", "debug") == "debug"
    assert sensitive_name("X-Amz-Signature") and sensitive_name("SSH_PASSPHRASE")
    assert not sensitive_name("LOG_LEVEL")


def test_command_lines_lose_their_secrets_but_keep_their_shape() -> None:
    argv = ["kubectl", "--token", "cli-token", "--server=https://u:pw@h:6443", "get", "pods"]
    assert redact_command(argv) == f"kubectl --token {REDACTED} --server=https://u:{REDACTED}@h:6443 get pods"
    assert redact_command("env API_KEY=abc ./run") == f"env API_KEY={REDACTED} ./run"


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("a" * 300_000, False),
        ("key=" * 50_000, True),
        ("http://" + "a" * 300_000, False),
        ("--" + "token" * 50_000, False),
        ('password: "' * 30_000, True),
    ],
    ids=["letters", "assignments", "scheme", "flag", "quotes"],
)
def test_long_hostile_lines_are_handled(text: str, redacted: bool) -> None:
    # Every pattern is linear: these finish (the old patterns took minutes at this size).
    shown = redact_text(text)
    assert (REDACTED in shown) is redacted
