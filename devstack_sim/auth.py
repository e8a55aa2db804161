"""Authentication of the simulated API server: client certificates, a static token file, and
short-lived tokens the simulator issues (as a cloud's token service would for an exec plugin).

As in kube-apiserver's union authenticator, a request is authenticated when it presents a client
certificate signed by the cluster CA (checked in the TLS handshake) or an `Authorization: Bearer`
token the server knows and that has not expired. Anything else is answered `401 Unauthorized`
with the real `Status` body — a missing header, an unknown token and an expired one alike.

- Static tokens: `--token-auth-file` format, a CSV of `token,user,uid[,"group1,group2"]`; a line
  with fewer than three columns is refused when the server starts (as kube-apiserver refuses it).
- Issued tokens: `TokenAuthority.issue(user, seconds)` (`POST /admin/tokens`) returns
  `{"token", "expirationTimestamp"}` — what an exec plugin prints in its `ExecCredential`.
  `expire_issued()` (fault `expire_tokens`) revokes every issued token at once.
"""

from __future__ import annotations

import csv
import datetime
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

MIN_ISSUED_SECONDS = 1
MAX_ISSUED_SECONDS = 24 * 3600


@dataclass(frozen=True)
class TokenUser:
    """Who a token belongs to."""

    name: str
    uid: str
    groups: tuple[str, ...] = ()


def read_token_file(path: Path) -> dict[str, TokenUser]:
    """Tokens of a `--token-auth-file`.

    Raises:
        ValueError: a line with fewer than three columns (kube-apiserver refuses to start).
    """
    tokens: dict[str, TokenUser] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or (len(row) == 1 and not row[0].strip()) or row[0].startswith("#"):
                continue
            if len(row) < 3:
                raise ValueError(
                    f"token file '{path}' must have at least 3 columns (token, user name, uid), "
                    f"found {len(row)} on line {number}"
                )
            groups = tuple(g.strip() for g in row[3].split(",") if g.strip()) if len(row) > 3 else ()
            tokens[row[0].strip()] = TokenUser(row[1].strip(), row[2].strip(), groups)
    return tokens


class TokenAuthority:
    """Every bearer token the server accepts.

    Args:
        token_file: A `--token-auth-file` (None: no static tokens).
    """

    def __init__(self, token_file: Path | None = None):
        self._static = read_token_file(token_file) if token_file is not None else {}
        self._issued: dict[str, tuple[TokenUser, float]] = {}
        self._lock = threading.Lock()
        self.issued_count = 0
        self.refused = 0
        """How many requests presented a token that was not accepted (unknown or expired)."""

    def authenticate(self, token: str) -> TokenUser | None:
        """The user of a valid token, or None (unknown, expired or revoked)."""
        user = self._static.get(token)
        if user is not None:
            return user
        with self._lock:
            found = self._issued.get(token)
            if found is not None and time.time() < found[1]:
                return found[0]
            if found is not None:
                del self._issued[token]
            self.refused += 1
        return None

    def issue(self, user: str = "devstack-exec-user", seconds: float = 600) -> dict[str, str]:
        """A new token for `user`, valid `seconds` from now.

        Returns:
            `{"token": ..., "expirationTimestamp": RFC 3339}` (what an ExecCredential status holds).

        Raises:
            ValueError: `seconds` outside 1 s – 24 h.
        """
        if not MIN_ISSUED_SECONDS <= seconds <= MAX_ISSUED_SECONDS:
            raise ValueError(f"seconds must be between {MIN_ISSUED_SECONDS} and {MAX_ISSUED_SECONDS}")
        token = "sim-" + secrets.token_urlsafe(24)
        expires = time.time() + seconds
        with self._lock:
            self._issued[token] = (TokenUser(user, f"uid-{user}"), expires)
            self.issued_count += 1
        stamp = datetime.datetime.fromtimestamp(expires, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"token": token, "expirationTimestamp": stamp}

    def expire_issued(self) -> int:
        """Revoke every issued token now; returns how many were valid."""
        now = time.time()
        with self._lock:
            valid = sum(1 for _, expires in self._issued.values() if expires > now)
            self._issued.clear()
        return valid
