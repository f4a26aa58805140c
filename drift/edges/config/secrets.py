"""Secrets never go in the config file: tokens, webhook URLs and passwords come from the
environment. Found ones are reported by pointer only; the message never repeats the value."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from drift.core.pointer import join
from drift.edges.config.issues import Issue

__all__ = ["secret_issues"]

# (pattern, what it is); searched in every string value of the document
_SECRET_VALUES = (
    (re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{8,}"), "a Slack token"),
    (re.compile(r"\bxapp-[A-Za-z0-9-]{8,}"), "a Slack app token"),
    (re.compile(r"https?://hooks\.slack\.com/", re.I), "a Slack webhook URL"),
    (
        re.compile(
            r"https?://[\w.-]*(discord(app)?\.com/api/webhooks|webhook\.office\.com)/", re.I
        ),
        "a webhook URL",
    ),
    (re.compile(r"(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"), "a JSON web token"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (
        re.compile(r"\b(ghp|gho|ghs|github_pat|glpat|sk_live|AKIA)[_-]?[A-Za-z0-9_]{12,}"),
        "an access token",
    ),
)
_SECRET_KEYS = frozenset(
    {"token", "password", "passwd", "secret", "api_key", "apikey", "webhook_url", "bot_token"}
)
_ENV_HINTS = {
    "slack": "put the token in an environment variable and name it: token_env: SLACK_BOT_TOKEN",
    "webhooks": "put the URL in an environment variable and name it: url_env: DRIFT_WEBHOOK_URL",
    "store": "put the whole URL in DRIFT_STORE_URL (it overrides `store`), or leave the "
    "password out and let PostgreSQL read it from PGPASSWORD or ~/.pgpass",
}
_DEFAULT_HINT = "put it in an environment variable; drift reads secrets only from the environment"


def _hint(pointer: str) -> str:
    if pointer.startswith("/notify/webhooks"):
        return _ENV_HINTS["webhooks"]
    if pointer.startswith("/notify/slack"):
        return _ENV_HINTS["slack"]
    if pointer == "/store":
        return _ENV_HINTS["store"]
    return _DEFAULT_HINT


def _has_password(text: str) -> bool:
    if "://" not in text:
        return False
    try:
        return bool(urlsplit(text.strip()).password)
    except ValueError:
        return False


def _value_issue(text: str, at: str) -> Issue | None:
    for pattern, what in _SECRET_VALUES:
        if pattern.search(text):
            return Issue(
                at, f"this looks like {what}: secrets never go in the config file", _hint(at)
            )
    if _has_password(text):
        return Issue(
            at, "this URL holds a password: secrets never go in the config file", _hint(at)
        )
    return None


def _key_issue(key: str, at: str, webhooks: bool) -> Issue | None:
    lower = key.lower()
    if lower in _SECRET_KEYS or (webhooks and lower == "url"):
        use = "url_env" if webhooks else "token_env" if "token" in lower else "an *_env key"
        return Issue(
            at, f"{key!r} would hold a secret in the config file; use {use} instead", _hint(at)
        )
    return None


def secret_issues(document: Any) -> list[Issue]:
    """Secret-looking values anywhere, and keys that would hold secrets (`token:`, a webhook's
    `url:`). Waiver reasons are free text and only checked for values, like the rest."""
    issues: list[Issue] = []
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict):
            webhooks = at.startswith("/notify/webhooks/")
            for key, value in node.items():
                here = join(at, key)
                found = _key_issue(str(key), here, webhooks)
                if found is not None:
                    issues.append(found)
                else:
                    stack.append((value, here))
        elif isinstance(node, list):
            stack.extend((item, join(at, i)) for i, item in enumerate(node))
        elif isinstance(node, str):
            found = _value_issue(node, at)
            if found is not None:
                issues.append(found)
    return issues
