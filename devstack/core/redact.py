"""Redaction: secrets never leave the machine in a report, a log line or a command line shown.

Two rules, applied everywhere text from the user's world is shown:

- **By key**: a value whose name (env var, YAML/JSON key, header, command-line flag, URL query
  parameter) looks secret is replaced, whatever it looks like (`sensitive_name`).
- **By pattern**: what looks like a secret is replaced wherever it appears (`redact_text`): URL
  passwords and user-only credentials (`redis://:pw@`, `https://key@sentry…`), signed-URL query
  values, `Bearer`/`Basic` credentials, JWTs, well-known token formats and PEM private keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "<redacted>"

# A name holding one of these (in any case) names a secret: DB_PASS, apiKey, X-Amz-Signature.
_SECRET_WORDS = (
    "token", "password", "passwd", "passphrase", "pass", "pwd", "secret", "key", "credential",
    "creds", "auth", "signature", "session", "cookie", "private", "dsn", "jwt", "bearer", "salt", "otp",
)  # fmt: skip
_SECRET_WORD = "|".join(_SECRET_WORDS)
# Query parameters of signed URLs that carry the signature or credential under a short name.
_SECRET_PARAMS = frozenset({"sig", "sign", "code", "se", "sv", "st", "x-amz-date"})
_NAME = r"[A-Za-z0-9_.-]{0,64}"  # bounded: a long run of name characters costs linear time

_PEM = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|$)",
    re.DOTALL,
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_TOKEN_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}|sk_(?:live|test)_[A-Za-z0-9]{10,}"
    r"|AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{30,})"
)
_SCHEME_AUTH = re.compile(r"\b(?P<scheme>Bearer|Basic)(?P<space>\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_USERINFO = re.compile(
    r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]{0,30}://)(?P<user>[^\s/@:?#]{0,256})"
    r"(?P<password>:[^\s@?#]{0,1024})?@"
)
_QUERY = re.compile(
    r"(?P<lead>[?&;])(?P<name>[A-Za-z0-9_.~%-]{1,128})=(?P<value>(?:<redacted>|[^&#;\s\"'<>])*)"
)
_KEY_TOKEN = re.compile(r"[A-Za-z0-9_.-]+")
# What follows a secret-looking name in `NAME=value`, `"name": "value"`, `Name: value`; a quote
# that does not close within 4 KiB hides the rest of the line.
_AFTER_NAME = re.compile(
    r"(?P<sep>\\?[\"']?[ \t]*(?P<op>[=:])[ \t]*)"
    r"(?P<value>\\\"[^\"\n]{0,4096}?\\\"|\"(?:[^\"\\\n]|\\.){0,4096}\"|'[^'\n]{0,4096}'"
    r"|(?P<open>[\"'\\].*)|(?P<bare>\S*))"
)
_FLAG_VALUE = re.compile(
    rf"(?P<flag>(?<!\S)--?{_NAME}(?:{_SECRET_WORD}){_NAME})(?P<space>\s+)(?P<value>[^-\s]\S*)",
    re.IGNORECASE,
)


def sensitive_name(name: str) -> bool:
    """Whether an env var, key, header, flag or query parameter name looks like it holds a secret."""
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def redact_value(name: str, value: str) -> str:
    """The value, or `<redacted>` when its name looks secret; secret-looking parts always hidden."""
    if sensitive_name(name):
        return REDACTED
    return redact_text(value)


def _userinfo(match: re.Match[str]) -> str:
    if match["password"] is not None:  # user:password@ keeps the user; :password@ and key@ hide all
        return f"{match['scheme']}{match['user']}:{REDACTED}@"
    return f"{match['scheme']}{REDACTED}@"


def _query(match: re.Match[str]) -> str:
    name = match["name"]
    if sensitive_name(name) or name.lower() in _SECRET_PARAMS:
        return f"{match['lead']}{name}={REDACTED}"
    return match.group(0)


def _to_line_end(match: re.Match[str]) -> bool:
    """`password: correct horse battery staple`, or a quote that never closes: the rest is the value."""
    return match["open"] is not None or (match["bare"] is not None and match["op"] == ":")


def _assigned(match: re.Match[str]) -> str:
    """The separator and the replaced value of one `_AFTER_NAME` match."""
    value = match["value"]
    if value.startswith(REDACTED) or (match["bare"] is None and REDACTED in value[:16]):
        return match.group(0)
    if _to_line_end(match):
        return f"{match['sep']}{REDACTED}"
    quote = value[:2] if value.startswith('\\"') else value[:1] if value[:1] in "\"'" else ""
    return f"{match['sep']}{quote}{REDACTED}{quote}"


def redact_text(text: str) -> str:
    """Free text (a log line, an event message, a command line, a URL) with secrets replaced."""
    text = _PEM.sub(REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    text = _USERINFO.sub(_userinfo, text)
    text = _QUERY.sub(_query, text)
    text = _TOKEN_SHAPES.sub(REDACTED, text)
    text = _SCHEME_AUTH.sub(lambda m: f"{m['scheme']}{m['space']}{REDACTED}", text)
    text = _FLAG_VALUE.sub(lambda m: f"{m['flag']}{m['space']}{REDACTED}", text)
    return _redact_assignments(text)


def _redact_assignments(text: str) -> str:
    """`NAME=value`, `"name": "value"`, `Name: value` with a secret-looking name, line by line.

    Linear in the text: each name-like word is looked at once, and only one that names a secret
    is matched against what follows it.
    """
    lines = []
    for line in text.split("\n"):
        pieces, position = [], 0
        for word in _KEY_TOKEN.finditer(line):
            if word.start() < position or not sensitive_name(word[0]):
                continue
            after = _AFTER_NAME.match(line, word.end())
            if after is None:
                continue
            pieces.append(line[position : word.end()] + _assigned(after))
            position = len(line) if _to_line_end(after) else after.end()
        lines.append("".join(pieces) + line[position:])
    return "\n".join(lines)


def redact_line(line: str) -> str:
    """A log line with its secrets replaced (`redact_text`)."""
    return redact_text(line)


def redact_command(argv: Iterable[str] | str) -> str:
    """A command line (argv, or already joined) for display, with flag and env secrets replaced."""
    text = argv if isinstance(argv, str) else " ".join(argv)
    return redact_text(text)
