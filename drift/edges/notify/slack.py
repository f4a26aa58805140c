"""Slack sink: `chat.postMessage` through slack-sdk's `WebClient`, made idempotent by metadata.

Each message carries `metadata` naming its outbox row (`event_type: drift_alert`,
`event_payload: {outbox_id, dedupe_key}`). Before re-sending a row an earlier attempt may have
delivered (the process died after Slack answered, a timeout after the request left), the sink
looks for that metadata in the channel's recent history and, when found, returns that message's
receipt instead of posting twice.

A target is a channel id (`C…`) or `#name`; the history wants an id, so names are resolved from
`chat.postMessage` answers or, after a restart, once through `users.conversations` (scopes
`channels:read`, `groups:read`, plus `channels:history` / `groups:history` for the guard).

Retries: 429s with a short Retry-After are retried in-process (capped, see `slack_retry.py`);
`chat.postMessage` is never retried in-process after a 5xx or a broken connection, because Slack
may have posted it — the outbox retries later, through the history check. History reads are
idempotent, so they also use slack-sdk's server-error and connection-error handlers.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.web import SlackResponse

from drift.edges.notify.sink import (
    Delivery,
    DeliveryError,
    NotifyConfigError,
    connection_reason,
    retry_after,
)
from drift.edges.notify.slack_retry import CappedRateLimitRetryHandler

__all__ = ["METADATA_EVENT", "PERMANENT_ERRORS", "SlackSink"]

log = logging.getLogger(__name__)

METADATA_EVENT = "drift_alert"
# Slack error codes that retrying soon cannot fix: the outbox waits its longest backoff.
PERMANENT_ERRORS = frozenset(
    """account_inactive channel_not_found ekm_access_denied invalid_arguments invalid_auth
    invalid_blocks invalid_blocks_format invalid_metadata_format invalid_metadata_schema
    is_archived metadata_too_large missing_scope msg_too_long no_permission no_text not_authed
    not_in_channel restricted_action token_expired token_revoked too_many_attachments""".split()
)
_SKEW_S = 120.0  # look this much further back than the row's creation (clock differences)


def _api_error(exc: SlackApiError, doing: str) -> DeliveryError:
    response = exc.response
    status = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    if status == 429:
        return DeliveryError("Slack rate limit", retry_after=retry_after(response.headers))
    if status >= 500:
        return DeliveryError(f"Slack answered HTTP {status} to {doing}")
    code = str(data.get("error") or f"HTTP {status}")[:200]
    return DeliveryError(f"Slack refused to {doing}: {code}", permanent=code in PERMANENT_ERRORS)


def _client(token: str, base_url: str, timeout: float, handlers: list[RetryHandler]) -> WebClient:
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=int(max(1, timeout)),
        retry_handlers=handlers,
        logger=logging.getLogger(f"{__name__}.sdk"),
    )


class SlackSink:
    """Delivers `{text, blocks}` payloads to the channel named by the row's target."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str = WebClient.BASE_URL,
        timeout: float = 10.0,
        max_retry_after: float = 60.0,
        history_limit: int = 20,
        history_pages: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        rate_limit = CappedRateLimitRetryHandler(max_wait=max_retry_after, sleep=sleep)
        self._post = _client(token, base_url, timeout, [rate_limit])
        reads: list[RetryHandler] = [
            rate_limit,
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=1),
        ]
        self._read = _client(token, base_url, timeout, reads)
        self._history_limit = history_limit
        self._history_pages = history_pages
        self._channel_ids: dict[str, str] = {}  # "#name" → id, learnt from posts and lookups

    @classmethod
    def from_env(
        cls, token_env: str, *, environ: Mapping[str, str] | None = None, **options: Any
    ) -> SlackSink:
        """A sink whose token comes from the environment variable `token_env` only."""
        token = (os.environ if environ is None else environ).get(token_env, "").strip()
        if not token:
            raise NotifyConfigError(
                f"the Slack token variable {token_env!r} is not set or empty; export the bot "
                "token (xoxb-…) under that name, or change notify.slack.token_env in the config"
            )
        return cls(token=token, **options)

    def __repr__(self) -> str:
        return f"SlackSink(base_url={self._post.base_url!r})"

    def deliver(self, delivery: Delivery) -> str:
        if delivery.attempts > 0:
            earlier = self._find_earlier(delivery)
            if earlier is not None:
                log.info(
                    "slack message was already delivered",
                    extra={"id": delivery.id, "channel": delivery.target, "receipt": earlier},
                )
                return earlier
        payload = delivery.payload
        metadata = {
            "event_type": METADATA_EVENT,
            "event_payload": {"outbox_id": delivery.id, "dedupe_key": delivery.dedupe_key},
        }
        try:
            response = self._post.chat_postMessage(
                channel=delivery.target,
                text=str(payload.get("text") or ""),
                blocks=payload.get("blocks"),
                metadata=metadata,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            raise _api_error(exc, "post the message") from None
        except (OSError, HTTPException, SlackClientError) as exc:
            raise DeliveryError(f"cannot reach Slack: {connection_reason(exc)}") from None
        channel = str(response.get("channel") or delivery.target)
        if delivery.target.startswith("#"):
            self._channel_ids[delivery.target] = channel
        return f"{channel}:{response.get('ts')}"

    def _find_earlier(self, delivery: Delivery) -> str | None:
        """The receipt of a message an earlier attempt of this row posted, if Slack has one.

        Without history access (a missing scope, a channel the bot cannot read) the guard cannot
        work; it logs a warning and lets the message be posted: twice beats never.
        """
        try:
            channel = self._channel_id(delivery.target)
            if channel is not None:
                return self._search_history(channel, delivery)
            problem = "no channel of that name among the bot's channels"
        except _Unchecked as exc:
            problem = exc.reason
        log.warning(
            "cannot check slack for an earlier delivery; posting again",
            extra={"id": delivery.id, "channel": delivery.target, "error": problem},
        )
        return None

    def _channel_id(self, target: str) -> str | None:
        """The id for a target: ids as they are, "#name" looked up among the bot's channels."""
        if not target.startswith("#"):
            return target
        cursor: str | None = None
        while target not in self._channel_ids:
            page = self._read_call(
                "list the bot's channels",
                self._read.users_conversations,
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor,
            )
            for found in page.get("channels") or []:
                self._channel_ids.setdefault(f"#{found.get('name')}", str(found.get("id")))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                break
        return self._channel_ids.get(target)

    def _search_history(self, channel: str, delivery: Delivery) -> str | None:
        oldest = f"{delivery.created_at.timestamp() - _SKEW_S:.6f}"
        cursor: str | None = None
        for _ in range(self._history_pages):
            page = self._read_call(
                "read the channel history",
                self._read.conversations_history,
                channel=channel,
                limit=self._history_limit,
                oldest=oldest,
                include_all_metadata=True,
                cursor=cursor,
            )
            for message in page.get("messages") or []:
                if _is_ours(message, delivery):
                    return f"{channel}:{message.get('ts')}"
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not (page.get("has_more") and cursor):
                return None
        return None

    def _read_call(self, doing: str, call: Callable[..., SlackResponse], **args: Any) -> Any:
        """A read for the guard: transient failures stop the delivery (retried later), others
        raise `_Unchecked` (the guard gives up and the message is posted)."""
        try:
            return call(**args)
        except SlackApiError as exc:
            error = _api_error(exc, doing)
            if error.permanent:
                raise _Unchecked(error.reason) from None
            raise error from None
        except (OSError, HTTPException, SlackClientError) as exc:
            raise DeliveryError(f"cannot reach Slack: {connection_reason(exc)}") from None


class _Unchecked(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _is_ours(message: Mapping[str, Any], delivery: Delivery) -> bool:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT:
        return False
    payload = metadata.get("event_payload") or {}
    return bool(
        str(payload.get("outbox_id")) == str(delivery.id)
        and payload.get("dedupe_key") == delivery.dedupe_key
    )
