"""Secrets out of text before it is stored: `redact(text) -> str`.

A table of rows (name, regex, sample, keywords, optional scope), compiled once at import. Every
row is searched in the ORIGINAL text; the spans found are merged (overlapping spans become one)
and each is replaced by `[REDACTED:<name>]` in one pass, so a secret is replaced exactly once and
a marker never lands inside another. The rest of the text is kept, so a command stays useful as
a memory without the key it carried. When a pattern has a group named `secret`, only that group
is replaced (the `--password` flag stays, its value goes). Where spans overlap, the earliest row
names the marker (specific kinds come first).

- keywords: lowercase strings of which one must occur in the text for the row to match at all
  (checked with `in` first, as gitleaks does: most lines skip most regexes). They must be
  NECESSARY for the pattern, or a secret slips through.
- scope: the row's regex is searched only inside the scope's matches (one command, e.g.
  `ssh-keygen ...` up to `|`, `;`, `&` or a line end), so `-N` counts as a passphrase only for
  that command, every time it appears in it.

Every sample is checked by the tests; tests/fixtures/secrets_corpus.jsonl holds the realistic
forms that must never survive and harmless_commands.jsonl the ones that must come out unchanged
(bench/redact.py times it). Used by the shell hook's drain; other ingest paths can call it too.
"""

from __future__ import annotations

import re
from typing import Iterator, NamedTuple, Pattern


class Secret(NamedTuple):
    name: str
    regex: Pattern[str]
    sample: str  # a text containing a made-up secret of this kind (checked by the tests)
    keywords: tuple[str, ...]  # one of them occurs in the lowercased text whenever the regex matches
    scope: Pattern[str] | None = None  # when set, `regex` is searched only inside its matches

    def spans(self, text: str, lowered: str = "", checked: bool = False) -> Iterator[tuple[int, int]]:
        """Where this kind's secrets sit in `text` (the `secret` group, else the whole match).
        `checked`: the caller knows a keyword occurs in `lowered` (text.lower())."""
        if not checked and not any(word in (lowered or text.lower()) for word in self.keywords):
            return
        group = "secret" if "secret" in self.regex.groupindex else 0
        scopes = [(0, len(text))] if self.scope is None else [m.span() for m in self.scope.finditer(text)]
        for start, end in scopes:
            for match in self.regex.finditer(text, start, end):
                if match.end(group) > match.start(group):
                    yield match.span(group)


# Patterns start with their literal where they can (a leading \b or look-behind makes the regex
# engine try every position): `word(?<![\w]word)` is `\bword`, written literal-first.

# A value on a command line: quoted (not empty), or up to the next blank, shell operator or a
# printf-style `\n` / `\t`. `[REDACTED...` and `$VAR` / "$(cmd)" are left alone (they hold no
# secret themselves; '$x' in single quotes is literal, so it is a value).
_VALUE = r"""(?!\[REDACTED)(?!"?\$)(?:'[^'\n]+'|"[^"\n]+"|(?:[^\s'"\\;&|<>]|\\(?![nt]))+)"""
# A flag's value after a blank: not the next option, nor a `--secret id=npm,src=...` spec.
_ARG_VALUE = rf"(?!-)(?!(?:id|src|source|type|env|target|mode|uid|gid|required)=){_VALUE}"


_WORD_CHARS = r"\w"
_NAME_CHARS = r"\w.-"  # before a tool's name: not htpasswd in my.htpasswd or docker in my-docker
_PATH_CHARS = r"\w.@:-"  # ... also not a URL's or an address's part (but /usr/bin/mysql is fine)


def _word(literal: str, before: str = _WORD_CHARS) -> str:
    """`literal` not preceded by a character of class `before` (a look-behind, literal-first)."""
    return rf"{re.escape(literal)}(?<![{before}]{re.escape(literal)})"


def _anycase(word: str, before: str = "") -> str:
    """The regex `word` (starting with a letter) in any case, its first letter as a class (a global
    (?i) makes the regex engine try every position instead of skipping to that letter); with
    `before`, not preceded by a character of that class."""
    guard = rf"(?<![{before}].{{{len(word)}}})" if before else ""
    return rf"[{word[0].lower()}{word[0].upper()}](?i:{word[1:]}){guard}"


def _anycases(*words: str) -> str:
    return "(?:" + "|".join(_anycase(word) for word in words) + ")"


def _words(names: str, before: str = _NAME_CHARS) -> str:
    """One of the literals `names` ("a|b"), each not preceded by a character of class `before`."""
    return "|".join(_word(name, before) for name in names.split("|"))


def _command(names: str, suffix: str = "") -> str:
    """A scope: one of the commands `names` ("a|b", then the regex `suffix`) at a command position
    (not a path's or a word's tail, not `--name mysql`), with its arguments up to the end of that
    command."""
    alternatives = "|".join(rf"{_word(name, _PATH_CHARS)}(?<!--name {re.escape(name)})(?<!--name={re.escape(name)})"
                            for name in names.split("|"))
    return rf"(?:{alternatives}){suffix}(?=\s)[^\n|;&]*"


# Key names that hold secrets, in `KEY=value`, `key: value`, `"key": "value"`: a strong word
# anywhere in the name (PGPASSWORD, db_password, GITHUB_TOKEN_V2) but not inside a longer word
# (max_tokens, tokenizer); a weak word only as a whole part of the name (DB_PASS, REDISCLI_AUTH,
# not bypass or OAUTH_CLIENT_ID).
_STRONG = _anycases("pass(?:word|wd|phrase)", "secret(?:[_-]?key)?", "token", "credentials?", "api[_-]?key",
                    *(f"{word}[_-]?key" for word in ("access", "private", "auth", "master", "signing", "encryption",
                                                     "client", "session")))
_STRONG_WORDS = ("pass", "secret", "token", "credential", "key")
_WEAK = "(?:" + "|".join(_anycase(word, "A-Za-z0-9") for word in ("pass", "pwd", "pw", "auth")) + ")"
_WEAK_WORDS = ("pass", "pw", "auth")
_NAME_END = r"(?![A-Za-z])(?:[_.-]+[A-Za-z0-9]+){0,8}"  # the rest of the name (_FILE, .v2), one way to split it
_SEPARATOR = r"""(?:["']?[ \t]*[:?+]?=[ \t]*|["'][ \t]*:[ \t]*|:[ \t]+)"""
_NOT_A_PATH = r"(?!/|~/|\.\.?/)"  # PWD=/home/ann, SSH_AUTH_SOCK=/tmp/...: paths, not secrets
_KEY_HEADERS = _anycases("x-api-key", "api-key", "apikey", "x-auth-token", "private-token", "x-access-token",
                         "x-vault-token", "x-goog-api-key", "ocp-apim-subscription-key", "x-functions-key",
                         "x-shopify-access-token")
_GAP = r"(?:\s|\\[nt])+"  # between netrc words: blanks, or printf's \n and \t
_SCHEMES = "(?i:bearer|token|basic|bot|apikey|digest|negotiate|sso-key)"  # Authorization: <scheme> <secret>

Row = tuple[str, str, str, tuple[str, ...]] | tuple[str, str, str, tuple[str, ...], str]

_TABLE: list[Row] = [
    ("private-key",
     r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
     "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END RSA PRIVATE KEY-----",
     ("private key",)),
    ("age-secret-key", r"AGE-SECRET-KEY-1[0-9A-Z]{58}\b",
     "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ", ("age-secret-key-1",)),
    ("aws-access-key", r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|A3T[A-Z0-9])(?<!\w....)[A-Z0-9]{16}\b",
     "AKIAIOSFODNN7EXAMPLQ", ("akia", "asia", "abia", "acca", "agpa", "aida", "aroa", "aipa", "anpa", "anva", "a3t")),
    ("aws-secret-key",
     rf"{_anycase('aws_?(?:secret_?access_?key|secret_?key|secret)')}\b['\"]?(?:\s*[=:]\s*|\s+)['\"]?"
     r"(?P<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
     "aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ("aws",)),
    ("github-token", rf"{_word('gh')}[pousr]_[A-Za-z0-9]{{36,255}}\b", "ghp_1234567890abcdefghijklmnopqrstuvwxyZ",
     ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    ("github-token", rf"{_word('github_pat_')}[A-Za-z0-9_]{{22,255}}\b",
     "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV", ("github_pat_",)),
    ("gitlab-token", rf"{_word('gl')}(?:pat|dt|rt|ptt|cbt|ft|soat|oas|imt|agent)-[A-Za-z0-9_-]{{20,}}",
     "glpat-abcdefghij1234567890",
     ("glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glft-", "glsoat-", "gloas-", "glimt-", "glagent-")),
    ("anthropic-key", rf"{_word('sk-ant-')}(?:api|admin|oat|sid)\d{{2}}-[A-Za-z0-9_-]{{20,}}",
     "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789-ABCDEFG", ("sk-ant-",)),
    ("openai-key", rf"{_word('sk-')}(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{{20,}}",
     "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD", ("sk-",)),
    ("llm-api-key", r"(?:gsk_[A-Za-z0-9]{40,}|xai-[A-Za-z0-9]{40,}|r8_[A-Za-z0-9]{30,}|pplx-[A-Za-z0-9]{40,})\b",
     "gsk_FakeGroqKey0123456789abcdefghijklmnopqrstuvWX", ("gsk_", "xai-", "r8_", "pplx-")),
    ("slack-webhook", r"https://hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_+-]+",
     "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", ("hooks.slack",)),
    ("slack-token", rf"{_word('xox')}[abposre]-(?:\d+-)?[A-Za-z0-9-]{{10,}}|{_word('xapp-')}\d-[A-Za-z0-9-]{{10,}}",
     "xoxb-123456789012-1234567890123-abcdefghijkl", ("xox", "xapp-")),
    ("stripe-key", r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,}",
     "sk_live_abcdefghijklmnop1234", ("_live_", "_test_", "whsec_")),
    ("google-api-key", rf"{_word('AIza')}[0-9A-Za-z_-]{{35}}\b", "AIzaSyA1234567890abcdefghijklmnopqrstuv", ("aiza",)),
    ("google-oauth", r"ya29\.[A-Za-z0-9_-]{20,}|GOCSPX-[A-Za-z0-9_-]{20,}",
     "ya29.a0AfH6SMFakeAccessToken0123456789abcdefghij", ("ya29.", "gocspx-")),
    ("huggingface-token", rf"{_word('hf_')}[A-Za-z0-9]{{30,}}\b", "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH", ("hf_",)),
    ("npm-token", rf"{_word('npm_')}[A-Za-z0-9]{{36}}\b", "npm_abcdefghijklmnopqrstuvwxyz0123456789", ("npm_",)),
    ("pypi-token", r"pypi-AgE[A-Za-z0-9_-]{50,}",
     "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLWlqa2wtbW5vcC1xcnN0LXV2d3h5ejEyMzQ1Ng", ("pypi-age",)),
    ("sendgrid-key", rf"{_word('SG.')}[A-Za-z0-9_-]{{22}}\.[A-Za-z0-9_-]{{43}}\b",
     "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ", ("sg.",)),
    ("dockerhub-token", r"dckr_pat_[A-Za-z0-9_-]{20,}", "dckr_pat_FakeDockerHubToken0123456789", ("dckr_pat_",)),
    ("digitalocean-token", r"do[opr]_v1_[a-f0-9]{64}\b",
     "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ("_v1_",)),
    ("shopify-token", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b", "shpat_0123456789abcdef0123456789abcdef",
     ("shpat_", "shpca_", "shppa_", "shpss_")),
    ("telegram-bot-token", r":(?<=[0-9]{8}:)(?P<secret>AA[A-Za-z0-9_-]{33})(?![A-Za-z0-9_-])",  # after the bot id
     "bot123456789:AAFakeTelegramBotToken0123456789abc/getMe", (":aa",)),
    ("vault-token", r"hv[sbr]\.[A-Za-z0-9_-]{20,}", "hvs.CAESIJx7qFakeT0kenAbCdEfGhIjKlMnOpQrStUv",
     ("hvs.", "hvb.", "hvr.")),
    ("vault-token",  # `vault login TOKEN` (also the older s.xxxx tokens)
     rf"{_word('vault')}\s+login\s+(?:-[\w-]+(?:=\S+)?\s+)*(?P<secret>(?![-$\[])[^\s=;&|<>'\"]{{8,}})(?=\s|$)",
     "vault login s.AbCdEfGhIjKlMnOpQrStUvWx", ("vault",)),
    ("azure-key",
     rf"{_anycases('accountkey', 'sharedaccesskey', 'sharedsecret')}\s*=\s*(?P<secret>(?!\[REDACTED)[^;\s'\"]+)",
     "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==;EndpointSuffix=x",
     ("accountkey", "sharedaccesskey", "sharedsecret")),
    ("jwt", rf"{_word('eyJ')}[A-Za-z0-9_-]{{5,}}\.[A-Za-z0-9_-]{{5,}}\.[A-Za-z0-9_-]{{5,}}",
     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", ("eyj",)),
    # scheme://user:password@host: the user may be empty (redis://:pw@host) and the password may
    # hold a raw `@` (everything up to the last `@` before the path)
    ("url-password", r"://(?<=[a-zA-Z0-9+.-]://)[^/\s:@'\"\[\]]*:(?P<secret>(?!\[REDACTED|\$)[^/\s'\"]+)@",
     "https://alice:hunter2@example.com/repo.git", ("://",)),
    ("url-query-secret",
     r"[?&](?i:access_token|refresh_token|id_token|auth_token|token|api_key|apikey|key|password|passwd|pwd|"
     r"secret|client_secret|auth|sig|signature|x-amz-signature|x-amz-security-token|x-goog-signature)="
     r"(?P<secret>(?!\[REDACTED)[^&\s'\"#]+)",
     "curl 'https://acct.blob.core.windows.net/c/f?sv=2022-11-02&sig=FakeSasSignature0123%3D'",
     ("token=", "key=", "password=", "passwd=", "pwd=", "secret=", "auth=", "sig=", "signature=")),
    ("auth-header",
     rf"{_anycase('authorization')}[\"']?\s*:\s*[\"']?(?:{_SCHEMES}\s+)?"
     rf"(?P<secret>(?!\[REDACTED|\$|{_SCHEMES}\b)[^\s'\"]+)",
     "curl -H 'Authorization: Bearer abc.def.ghi123' https://api.example.com", ("authorization",)),
    ("bearer-token",  # a token has a digit or is long: "bearer tokens expire" is prose
     rf"{_anycase('bearer', _WORD_CHARS)}\s+"
     r"(?P<secret>(?!\[REDACTED)(?=[\w.~+/=-]*\d|[\w.~+/=-]{20})[\w.~+/=-]{8,})",
     "http GET example.com 'Bearer abcdef1234567890'", ("bearer",)),
    ("api-key-header",
     rf"{_KEY_HEADERS}[\"']?\s*:\s*"
     r"(?P<secret>(?!\[REDACTED|\$)[^\s'\"]+)",
     "curl -H 'X-Api-Key: 0123456789abcdef' https://api.example.com",
     ("api-key", "apikey", "-token", "subscription-key", "functions-key")),
    ("cookie", rf"{_anycase('cookie', _WORD_CHARS)}[\"']?\s*:\s*(?P<secret>(?!\[REDACTED|\$)(?=[^'\"\n]*=)[^'\"\n]+)",
     "curl -H 'Cookie: sessionid=8f14e45fceea167a5a36dedd4bea2543' https://example.com", ("cookie",)),
    ("password-flag",  # --password X, --db-password=X, --token X, --api-key X (not --no-password, --ask-pass)
     r"--(?<![\w-]--)(?!(?i:no-|ask-))(?i:(?:[a-z0-9]+-)*?(?:password|passwd|passphrase|pass|pwd|secret|token|"
     r"api-?key|access-key|secret-key|secret-access-key|client-secret|auth))"
     rf"(?:=|\s+(?=[^\s-])(?!(?:id|src|source|type|env|target)=))(?P<secret>{_VALUE})",
     "docker login --password s3cr3tPass registry.example.com", ("--",)),
    # Commands whose short flags carry a password
    ("mysql-password", rf"\s-p(?P<secret>(?=\S){_VALUE})", "mysql -u root -p'S3cret!' mydb",
     ("mysql", "mariadb"), _command("mysql|mariadb", r"[\w-]*")),
    ("login-password", rf"\s-p\s*(?P<secret>{_ARG_VALUE})", "docker login -u deploy -p d0ckerHubPw registry.io",
     ("login",), rf"(?:{_words('docker|podman|nerdctl|buildah|skopeo|oras|az|oc|cf')}|{_word('helm', _NAME_CHARS)}"
                 rf"(?:\s+registry)?|{_word('crane', _NAME_CHARS)}\s+auth)\s+login\b[^\n|;&]*"),
    ("mongo-password", rf"\s-p\s*(?P<secret>{_ARG_VALUE})", "mongosh -u admin -p m0ng0ShPw --quiet",
     ("mongo",), _command("mongo", r"(?:sh|dump|restore|import|export|stat|top|files)?")),
    ("sshpass-password", rf"\s-p\s*(?P<secret>{_VALUE})", "sshpass -p hunter2 ssh host", ("sshpass",),
     _command("sshpass")),
    ("redis-password", rf"\s-a\s*(?P<secret>{_ARG_VALUE})", "redis-cli -h cache -a r3disAuthPw ping", ("redis-cli",),
     _command("redis-cli")),
    ("ldap-password", rf"\s-w\s*(?P<secret>{_ARG_VALUE})", "ldapsearch -x -D cn=admin -w ldapBindPw", ("ldap",),
     _command("ldap", "[a-z]+")),
    ("smb-password", r"\s(?:-U|--user(?:name)?)(?:=|\s*)['\"]?[^\s%'\"\[]+%(?P<secret>(?!\[REDACTED)[^\s'\"]+)",
     "smbclient //fs/share -U ann%smbPassw0rd", ("smb", "rpcclient"),
     _command("smbclient|smbmap|smbget|smbcacls|rpcclient")),
    ("archive-password", rf"\s-p(?P<secret>(?=\S){_VALUE})", "7z a -pArch1vePw secret.7z docs/", ("7z",),
     _command("7z", "[ar]?")),
    ("archive-password", rf"\s-P\s*(?P<secret>{_ARG_VALUE})", "zip -P zipPassw0rd backup.zip notes.txt", ("zip",),
     _command("zip|unzip|zipcloak")),
    ("ssh-keygen-passphrase", rf"\s-[NP]\s*(?P<secret>{_ARG_VALUE})", "ssh-keygen -t ed25519 -N 'k3y phrase' -f id",
     ("ssh-keygen",), _command("ssh-keygen")),
    ("htpasswd-password",  # `htpasswd -b [file] user PASSWORD`: the last argument
     rf"\s(?![0-9]+[ \t]*$)(?P<secret>{_VALUE})(?=[ \t]*(?:[0-9]+[ \t]*)?$)",
     "htpasswd -b -c /etc/nginx/.htpasswd admin htP4ssw0rd", ("htpasswd",),
     rf"{_word('htpasswd', _NAME_CHARS)}(?=[^\n|;&<>]*\s-[A-Za-z]*b)\s[^\n|;&<>)]*"),
    ("openssl-password", rf"\s(?:-pass(?:in|out)?\s+pass:|-k\s+(?!-))(?P<secret>{_VALUE})",
     "openssl pkcs12 -export -in c.pem -out c.p12 -passout pass:p12Passw0rd", ("openssl",), _command("openssl")),
    ("basic-auth-flag",
     r"\s(?:-u|--user|-a|--auth)(?:=|\s*)['\"]?[^\s:'\"\[]*:(?P<secret>(?!\[REDACTED|\$)[^\s'\"]+)",
     "curl -u alice:hunter2 https://example.com", ("curl", "wget", "http", "xh"), _command("curl|wget|http|https|xh")),
    ("cookie", rf"\s(?:-b\s*|--cookie(?:=|\s+))(?P<secret>(?=['\"]?[^\s'\"]*=){_VALUE})",
     "curl -b 'sid=c00k1eVal0123' https://example.com", ("curl",), _command("curl")),
    ("kubectl-secret-literal", rf"--from-literal[= ]['\"]?[^=\s'\"]+=(?P<secret>{_VALUE})",
     "kubectl create secret generic api --from-literal=key=k8sApiKeyLit9", ("secret",), r"create\s+secret\b[^\n|;&]*"),
    ("gh-secret-body", rf"\s(?:-b|--body)(?:=|\s*)(?P<secret>{_VALUE})", "gh secret set KEY --body 'ghSecretBody42'",
     ("secret",), rf"{_word('gh')}\s+secret\s+set\b[^\n|;&]*"),
    ("netrc-password",  # machine HOST [login USER] password SECRET, also printf'd with \n
     rf"(?:{_anycase('machine')}{_GAP}[^\s\\'\"]+|{_anycase('default')})"
     rf"(?:{_GAP}(?i:login|account|port){_GAP}[^\s\\'\"]+)*{_GAP}(?i:password){_GAP}"
     r"(?P<secret>(?!\[REDACTED|\$)[^\s\\'\"]+)",
     "machine api.example.com login ann password n3trcPassw0rd", ("password",)),
    # KEY=value / key: value / "key": "value", and the shells' `set -x KEY value`, `setenv KEY value`
    ("secret-assignment", rf"{_STRONG}{_NAME_END}{_SEPARATOR}(?P<secret>{_VALUE})",
     "export GITHUB_TOKEN=abc123def456", _STRONG_WORDS),
    ("secret-assignment", rf"{_WEAK}{_NAME_END}{_SEPARATOR}(?P<secret>{_NOT_A_PATH}{_VALUE})",
     "psql 'host=db user=app pass=hunter2'", _WEAK_WORDS),
    ("secret-assignment",
     rf"{_anycase('set', _NAME_CHARS)}(?:(?i:env)|(?:\s+-[A-Za-z]+)*)\s+[\w.-]*?(?:{_STRONG}|{_WEAK}){_NAME_END}"
     rf"\s+(?P<secret>{_ARG_VALUE})",
     "set -gx OPENAI_TOKEN abc123def456", ("set",)),
]


def _compile(row: Row) -> Secret:
    name, pattern, sample, keywords, *scope = row
    return Secret(name, re.compile(pattern), sample, keywords, re.compile(scope[0]) if scope else None)


SECRETS: list[Secret] = [_compile(row) for row in _TABLE]
_MARKER = re.compile(r"\[REDACTED:[a-z0-9-]+\]")


def _regions(text: str) -> list[tuple[int, int, int]]:
    """(start, end, row) of every secret, overlapping spans merged; the lowest row names a region.
    A span touching a marker already in the text is a match on the marker itself, not a secret."""
    lowered = text.lower()
    found = []
    for row, secret in enumerate(SECRETS):
        for word in secret.keywords:  # a plain loop: cheaper than any() for the rows that are skipped
            if word in lowered:
                found += [(start, end, row) for start, end in secret.spans(text, lowered, checked=True)]
                break
    if found and "[redacted:" in lowered:
        markers = [m.span() for m in _MARKER.finditer(text)]
        found = [f for f in found if not any(f[0] < m_end and m_start < f[1] for m_start, m_end in markers)]
    found.sort()
    merged: list[tuple[int, int, int]] = []
    for start, end, row in found:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), min(last[2], row))
        else:
            merged.append((start, end, row))
    return merged


def redact(text: str) -> str:
    """`text` with every secret the table knows replaced, once, by `[REDACTED:<kind>]`."""
    regions = _regions(text)
    if not regions:
        return text
    parts, position = [], 0
    for start, end, row in regions:
        parts += [text[position:start], f"[REDACTED:{SECRETS[row].name}]"]
        position = end
    parts.append(text[position:])
    return "".join(parts)


def findings(text: str) -> list[str]:
    """The kinds of secret found in `text` (for reports; the text itself is not returned)."""
    return list(dict.fromkeys(SECRETS[row].name for _, _, row in _regions(text)))
