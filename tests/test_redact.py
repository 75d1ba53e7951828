"""The secrets table: every sample is caught, a corpus of secrets never survives, harmless
commands come out unchanged."""

from __future__ import annotations

import pytest

from memcli.redact import SECRETS, findings, redact

# (text, the secret value that must not survive)
CORPUS: list[tuple[str, str]] = [
    ("aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLQ", "AKIAIOSFODNN7EXAMPLQ"),
    ("export AWS_ACCESS_KEY_ID=ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"),
    ("export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz"),
    ("git remote set-url origin https://ghp_1234567890abcdefghijklmnopqrstuvwxyZ@github.com/o/r", "ghp_1234567890abcdef"),
    ("gh auth login --with-token <<< gho_abcdefghijklmnopqrstuvwxyz0123456789", "gho_abcdefghijklmnop"),
    ("echo ghs_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab", "ghs_ABCDEFGHIJKLMNOP"),
    ("GH_TOKEN=github_pat_11AAAAAAA0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS gh pr list",
     "github_pat_11AAAAAAA0abcdefghijkl"),
    ("curl --header 'PRIVATE-TOKEN: glpat-xxxxxxxxxxxxxxxxxxxx' https://gitlab.com/api/v4/projects", "glpat-xxxxxxxxxxxx"),
    ("export OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD", "sk-proj-abcdefghijklmnop"),
    ("openai api --api-key sk-abcdefghijklmnopqrstuvwxyz012345 models.list", "sk-abcdefghijklmnopqrstuvwx"),
    ("llm keys set openai --value sk-svcacct-AAAABBBBCCCCDDDDEEEEFFFF1234", "sk-svcacct-AAAABBBBCCCC"),
    ("ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789-ABCDEFG claude", "sk-ant-api03-abcdefgh"),
    ("echo sk-ant-admin01-ZYXWVUTSRQPONMLKJIHGFEDCBA0123456789", "sk-ant-admin01-ZYXWVU"),
    ("slack-cli --token xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx", "xoxb-123456789012-1234567890123"),
    ("export SLACK_USER=xoxp-1111111111-2222222222-3333333333-abcdefabcdef", "xoxp-1111111111-2222222222"),
    ("curl -X POST -d '{\"text\":\"hi\"}' https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
     "T00000000/B00000000/XXXXXXXXXXXX"),
    ("stripe login --api-key sk_live_51Habcdefghijklmnopqrstuv", "sk_live_51Habcdefghijk"),
    ("export STRIPE=rk_test_abcdefghijklmnopqrstuvwx", "rk_test_abcdefghijklmnop"),
    ("curl 'https://maps.googleapis.com/maps/api/geocode/json?address=x&key=AIzaSyA1234567890abcdefghijklmnopqrstuv'",
     "AIzaSyA1234567890abcdefghij"),
    ("huggingface-cli login --token hf_abcdefghijklmnopqrstuvwxyzABCDEFGH", "hf_abcdefghijklmnopqrstuvwxyz"),
    ("npm config set //registry.npmjs.org/:_authToken npm_abcdefghijklmnopqrstuvwxyz0123456789",
     "npm_abcdefghijklmnopqrstuvwxyz0123"),
    ("twine upload -p pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLWlqa2wtbW5vcC1xcnN0LXV2d3h5ejEyMzQ1Ng dist/*",
     "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdo"),
    ("export SENDGRID_KEY=SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ", "SG.abcdefghijklmnopqrstuv"),
    ("curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U' x",
     "dozjgNryP4J3jVmNHl0w5N"),
    ("jwt decode eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJlLXBhcnQtaGVyZQ", "c2lnbmF0dXJlLXBhcnQ"),
    ("curl -H \"Authorization: token 0123456789abcdef0123456789abcdef\" https://api.github.com/user",
     "0123456789abcdef0123456789abcdef"),
    ("curl -H 'authorization: Basic YWxpY2U6aHVudGVyMg==' https://example.com", "YWxpY2U6aHVudGVyMg=="),
    ("http https://api.example.com 'Authorization:Bearer abc123def456ghi789'", "abc123def456ghi789"),
    ("curl -H 'X-API-Key: 9f8e7d6c5b4a39281706' https://api.example.com", "9f8e7d6c5b4a39281706"),
    ("echo '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n-----END OPENSSH PRIVATE KEY-----' > k",
     "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU"),
    ("cat <<EOF\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nEOF", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
    ("psql 'postgresql://app:S3cr3tPw@db.internal:5432/app'", "S3cr3tPw"),
    ("git clone https://alice:hunter2@example.com/repo.git", "hunter2"),
    ("redis-cli -u redis://default:r3disPass@cache:6379", "r3disPass"),
    ("mongosh 'mongodb+srv://admin:m0ng0Pass@cluster0.example.net/db'", "m0ng0Pass"),
    ("mysql -u root -pS3cretPass123 mydb", "S3cretPass123"),
    ("mysql -h db -u app -p'quoted secret' app", "quoted secret"),
    ("mysqldump -uroot -p\"dump-pass\" --all-databases > all.sql", "dump-pass"),
    ("docker login --password hunterTwo registry.example.com", "hunterTwo"),
    ("vault login --password=vaultPass99", "vaultPass99"),
    ("ldapsearch --passwd 'ldap pass' -x", "ldap pass"),
    ("app --token abc123tokenvalue run", "abc123tokenvalue"),
    ("sshpass -p 'ssh p4ss' ssh user@host", "ssh p4ss"),
    ("curl -u alice:wonderland https://api.example.com", "wonderland"),
    ("curl --user bob:builder123 https://api.example.com", "builder123"),
    ("export DB_PASSWORD=correcthorse", "correcthorse"),
    ("export MY_SECRET='two words'", "two words"),
    ("API_KEY=plainapikey123 ./run.sh", "plainapikey123"),
    ("export SERVICE_TOKEN=\"tok-abc-123\"", "tok-abc-123"),
    ("set -x CLIENT_SECRET clientsecretvalue; CLIENT_SECRET=clientsecretvalue make", "clientsecretvalue"),
    ("connect password=dbpass1 host=db", "dbpass1"),
    ("echo 'password: yamlpass'", "yamlpass"),
    ("wget 'https://example.com/dl?token=urltokenvalue&x=1'", "urltokenvalue"),
    ("export GITHUB_TOKEN=ghp_1234567890abcdefghijklmnopqrstuvwxyZ && gh repo list", "ghp_1234567890abcdef"),
]

HARMLESS = [
    "ls -la",
    "git push origin main",
    "git commit -m 'update the password reset docs'",
    "grep -rn password src/",
    "ssh -p 2222 user@example.com",
    "mkdir -p build/out",
    "docker run -p 8080:80 -u 1000:1000 nginx",
    "export PATH=$PATH:$HOME/bin",
    "echo $GITHUB_TOKEN | wc -c",
    "GITHUB_TOKEN=$(gh auth token) make release",
    "curl https://example.com/api/v1/items",
    "mysql -u root -p mydb",
    "git clone git@github.com:org/repo.git",
    "python tokenize.py --input data.txt",
    "kubectl get secrets -n prod",
    "cd ~/projects/secret-santa",
    "echo 'a\tb' | cut -f2",
    "for i in 1 2 3; do echo $i; done",
    "pytest -q tests/test_redact.py",
    "tar -xzf archive.tar.gz -C /tmp",
]


@pytest.mark.parametrize("secret", SECRETS, ids=lambda s: s.name)
def test_every_sample_is_caught_by_its_own_pattern(secret):
    assert secret.regex.search(secret.sample)
    assert f"[REDACTED:{secret.name}]" in redact(secret.sample)


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 50


@pytest.mark.parametrize("text, value", CORPUS)
def test_no_secret_survives(text, value):
    cleaned = redact(text)
    assert value not in cleaned, cleaned
    assert "[REDACTED:" in cleaned
    assert findings(text)


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_commands_are_unchanged(text):
    assert redact(text) == text


def test_the_command_is_kept_around_the_secret():
    assert redact("docker login --password hunterTwo registry.example.com") == \
        "docker login --password [REDACTED:password-flag] registry.example.com"
    assert redact("git clone https://alice:hunter2@example.com/r.git") == \
        "git clone https://alice:[REDACTED:url-password]@example.com/r.git"


def test_redacting_twice_changes_nothing():
    for text, _ in CORPUS:
        once = redact(text)
        assert redact(once) == once


def test_fast_enough_for_every_command():
    import time

    texts = [text for text, _ in CORPUS] + HARMLESS
    start = time.perf_counter()
    for _ in range(20):
        for text in texts:
            redact(text)
    per_line_ms = (time.perf_counter() - start) * 1000 / (20 * len(texts))
    assert per_line_ms < 1.0
