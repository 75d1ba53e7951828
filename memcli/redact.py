"""Secrets out of text before it is stored: `redact(text) -> str`.

A table of (name, compiled regex, sample), compiled once at import. A match is replaced by
`[REDACTED:<name>]` and the rest of the text is kept, so a command stays useful as a memory
without the key it carried. When a pattern has a group named `secret`, only that group is
replaced (the `--password` flag stays, its value goes). Every sample is checked by the tests.
Used by the shell hook's drain; other ingest paths and plugins can call it too.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Pattern


class Secret(NamedTuple):
    name: str
    regex: Pattern[str]
    sample: str  # a text containing a made-up secret of this kind (checked by the tests)


# A value on a command line: quoted, or up to the next blank or shell operator. `[REDACTED` and
# `$VAR` / `$(cmd)` references are left alone (the latter hold no secret themselves).
_VALUE = r"""(?!\[REDACTED)(?!\$)(?:'[^'\n]*'|"[^"\n]*"|[^\s'";&|<>]+)"""

_TABLE: list[tuple[str, str, str]] = [
    ("private-key",
     r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
     "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END RSA PRIVATE KEY-----"),
    ("aws-access-key", r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
     "AKIAIOSFODNN7EXAMPLQ"),
    ("aws-secret-key",
     r"(?i)\baws_?(?:secret_?access_?key|secret_?key|secret)\b['\"]?\s*[=:]\s*['\"]?(?P<secret>[A-Za-z0-9/+=]{40})\b",
     "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("github-token", r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b", "ghp_1234567890abcdefghijklmnopqrstuvwxyZ"),
    ("github-token", r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b",
     "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"),
    ("gitlab-token", r"\bgl(?:pat|dt|rt|ptt|cbt)-[A-Za-z0-9_-]{20,}", "glpat-abcdefghij1234567890"),
    ("anthropic-key", r"\bsk-ant-(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_-]{20,}",
     "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789-ABCDEFG"),
    ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}",
     "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD"),
    ("slack-webhook", r"https://hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_+-]+",
     "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
    ("slack-token", r"\bxox[abposre]-(?:\d+-)?[A-Za-z0-9-]{10,}", "xoxb-123456789012-1234567890123-abcdefghijkl"),
    ("stripe-key", r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}", "sk_live_abcdefghijklmnop1234"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}\b", "AIzaSyA1234567890abcdefghijklmnopqrstuv"),
    ("huggingface-token", r"\bhf_[A-Za-z0-9]{30,}\b", "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH"),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b", "npm_abcdefghijklmnopqrstuvwxyz0123456789"),
    ("pypi-token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}", "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLWlqa2wtbW5vcC1xcnN0LXV2d3h5ejEyMzQ1Ng"),
    ("sendgrid-key", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
     "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}",
     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("url-password", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'\"]+:(?P<secret>(?!\[REDACTED)[^/\s@'\"]+)@",
     "https://alice:hunter2@example.com/repo.git"),
    ("auth-header",
     r"(?i)\b(?:authorization|proxy-authorization)\s*:\s*(?:(?:bearer|token|basic|bot|apikey)\s+)?(?P<secret>(?!\[REDACTED|\$|(?:bearer|token|basic|bot|apikey)\b)[^\s'\"]+)",
     "curl -H 'Authorization: Bearer abc.def.ghi123' https://api.example.com"),
    ("bearer-token", r"(?i)\bbearer\s+(?P<secret>(?!\[REDACTED)[A-Za-z0-9._~+/=-]{8,})",
     "http GET example.com 'Bearer abcdef1234567890'"),
    ("api-key-header", r"(?i)\b(?:x-api-key|api-key|x-auth-token|private-token|x-access-token)\s*:\s*(?P<secret>(?!\[REDACTED)[^\s'\"]+)",
     "curl -H 'X-Api-Key: 0123456789abcdef' https://api.example.com"),
    ("password-flag",
     rf"(?i)--(?:password|passwd|passphrase|pass|pwd|secret|token|api-key|apikey|access-token|auth-token|client-secret)(?:=|\s+)(?P<secret>{_VALUE})",
     "docker login --password s3cr3tPass registry.example.com"),
    ("mysql-password",
     rf"\b(?:mysql\w*|mariadb\w*)\b[^\n|;&]*?\s-p(?P<secret>(?=\S){_VALUE})",
     "mysql -u root -p'S3cret!' mydb"),
    ("sshpass-password", rf"\bsshpass\s+-p\s*(?P<secret>{_VALUE})", "sshpass -p hunter2 ssh host"),
    ("basic-auth-flag", r"\b(?:curl|wget|http|https|xh)\b[^\n|;&]*?\s(?:-u|--user)(?:=|\s*)['\"]?[^\s:'\"]+:(?P<secret>(?!\[REDACTED)[^\s'\"]+)",
     "curl -u alice:hunter2 https://example.com"),
    ("secret-assignment",
     rf"(?i)\b[A-Z0-9_]*(?:SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH_?KEY|CLIENT_?SECRET)[A-Z0-9_]*\s*=\s*(?P<secret>{_VALUE})",
     "export GITHUB_TOKEN=abc123def456"),
    ("secret-assignment",  # fish: set -gx GITHUB_TOKEN value
     rf"(?i)\bset\s+(?:-[a-zA-Z]+\s+)*[A-Z0-9_]*(?:SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)[A-Z0-9_]*\s+(?P<secret>{_VALUE})",
     "set -gx OPENAI_TOKEN abc123def456"),
    ("password-assignment", rf"(?i)\b(?:password|passwd|pwd|pass|secret)\s*[=:]\s*(?P<secret>{_VALUE})",
     "psql 'host=db user=app pass=hunter2'"),
]

SECRETS: list[Secret] = [Secret(name, re.compile(pattern), sample) for name, pattern, sample in _TABLE]


def _replace(secret: Secret, text: str) -> str:
    label = f"[REDACTED:{secret.name}]"
    if "secret" not in secret.regex.groupindex:
        return secret.regex.sub(label, text)

    def one(match: re.Match[str]) -> str:
        start, end = match.span("secret")
        whole = match.group(0)
        offset = match.start()
        return whole[: start - offset] + label + whole[end - offset:]

    return secret.regex.sub(one, text)


def redact(text: str) -> str:
    """`text` with every secret the table knows replaced by `[REDACTED:<kind>]`."""
    for secret in SECRETS:
        text = _replace(secret, text)
    return text


def findings(text: str) -> list[str]:
    """The kinds of secret found in `text` (for reports; the text itself is not returned)."""
    return [secret.name for secret in SECRETS if secret.regex.search(text)]
