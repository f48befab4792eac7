"""Webhooks: signed events for stored scans, delivered off the request path.

A scan at or above ``MALWAR_WEBHOOK_MIN_VERDICT`` gets one delivery row per URL,
written in the same transaction as the scan (an outbox), so no event is lost to a
crash. The dispatcher sends them with bounded exponential retries (tenacity),
records failures, and picks pending and failed ones up again after a restart.
"""

from __future__ import annotations

from malwar.webhooks.dispatcher import Dispatcher
from malwar.webhooks.events import scan_event
from malwar.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signed_headers, verify

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "Dispatcher", "scan_event", "sign", "signed_headers", "verify"]
