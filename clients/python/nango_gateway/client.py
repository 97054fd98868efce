"""Channel, errors and resuming streams for the gateway's gRPC API."""

from __future__ import annotations

import collections
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

import grpc

from nango_gateway import gateway
from nango_gateway._gen.google.rpc import error_details_pb2, status_pb2

# Retries UNAVAILABLE with exponential backoff. RESOURCE_EXHAUSTED is deliberately absent: the
# gateway already waited as long as the caller's deadline allowed, and its RetryInfo
# (GatewayError.retry_delay) says how long to wait before trying again.
DEFAULT_SERVICE_CONFIG = json.dumps({
    "methodConfig": [{
        "name": [{"service": "nango.gateway.v1." + s} for s in (
            "ProvidersService", "IntegrationsService", "ConnectionsService", "MetadataService",
            "ScriptsService", "RecordsService", "SyncsService", "EnvironmentService",
            "ActionsService", "ProxyService", "ConnectSessionsService", "WebhooksService")],
        "retryPolicy": {
            "maxAttempts": 4,
            "initialBackoff": "0.2s",
            "maxBackoff": "5s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE"],
        },
    }, {
        # Calls that act on the world are never retried: an UNAVAILABLE may come after Nango
        # ran the action or the provider took the proxied request, and a retry would do it twice.
        "name": [
            {"service": "nango.gateway.v1.ActionsService", "method": "TriggerAction"},
            {"service": "nango.gateway.v1.ActionsService", "method": "TriggerActionAsync"},
            {"service": "nango.gateway.v1.ActionsService", "method": "TriggerActionAndWait"},
            {"service": "nango.gateway.v1.ProxyService", "method": "Proxy"},
        ],
    }],
})


class Client:
    """A channel to the gateway with a stub per service.

    ``token`` is this service's bearer token from the gateway's clients file. With
    ``insecure=True`` the channel is plaintext and gRPC sends the token only to a loopback
    address (local credentials); otherwise TLS with ``root_certificates`` (PEM bytes; None
    means the system roots) and, when the gateway asks for a client certificate,
    ``private_key`` and ``certificate_chain`` (PEM bytes).
    """

    def __init__(self, address: str, token: Optional[str] = None, *, insecure: bool = False,
                 root_certificates: Optional[bytes] = None, private_key: Optional[bytes] = None,
                 certificate_chain: Optional[bytes] = None, service_config: str = DEFAULT_SERVICE_CONFIG, options: tuple = ()):
        if insecure:
            creds = grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP)
        else:
            creds = grpc.ssl_channel_credentials(root_certificates=root_certificates, private_key=private_key,
                                                 certificate_chain=certificate_chain)
        if token:
            creds = grpc.composite_channel_credentials(creds, grpc.access_token_call_credentials(token))
        opts = [("grpc.service_config", service_config), ("grpc.enable_retries", 1), *options]
        self.channel = grpc.secure_channel(address, creds, options=opts)
        self.providers = gateway.ProvidersServiceStub(self.channel)
        self.integrations = gateway.IntegrationsServiceStub(self.channel)
        self.connections = gateway.ConnectionsServiceStub(self.channel)
        self.metadata = gateway.MetadataServiceStub(self.channel)
        self.scripts = gateway.ScriptsServiceStub(self.channel)
        self.records = gateway.RecordsServiceStub(self.channel)
        self.syncs = gateway.SyncsServiceStub(self.channel)
        self.environment = gateway.EnvironmentServiceStub(self.channel)
        self.actions = gateway.ActionsServiceStub(self.channel)
        self.proxy = gateway.ProxyServiceStub(self.channel)
        self.connect_sessions = gateway.ConnectSessionsServiceStub(self.channel)
        self.webhooks = gateway.WebhooksServiceStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def stream_records(self, request: Any, *, timeout: Optional[float] = None,
                       resume: Optional["Resume"] = None) -> "RecordStream":
        """Every record of ``request`` (a StreamRecordsRequest), resumed after the last one
        received when the connection breaks. ``timeout`` bounds the whole read."""
        return RecordStream(self.records, request, timeout=timeout, resume=resume)

    def stream_webhook_events(self, request: Any, *, timeout: Optional[float] = None,
                              resume: Optional["Resume"] = None) -> "EventStream":
        """Webhook events matching ``request`` (a StreamWebhookEventsRequest), resumed after
        the last sequence received when the connection breaks."""
        return EventStream(self.webhooks, request, timeout=timeout, resume=resume)


class GatewayError(Exception):
    """A gateway error with Nango's details.

    ``code`` is the grpc.StatusCode; ``reason`` is Nango's error code (ErrorInfo.reason, e.g.
    "not_found") or the gateway's own ("subscriber_too_slow"); ``http_status`` is the status
    Nango answered with (0 when Nango was not reached); ``retry_delay`` is RetryInfo's delay
    in seconds, or None.
    """

    def __init__(self, code: grpc.StatusCode, message: str, reason: str = "", http_status: int = 0,
                 metadata: Optional[dict] = None, retry_delay: Optional[float] = None):
        super().__init__(f"{code.name}: {message}" + (f" ({reason}, HTTP {http_status})" if reason else ""))
        self.code, self.message, self.reason = code, message, reason
        self.http_status, self.metadata, self.retry_delay = http_status, metadata or {}, retry_delay

    @classmethod
    def from_rpc_error(cls, err: grpc.RpcError) -> "GatewayError":
        """Reads the status and its details (grpc-status-details-bin) from a failed call."""
        code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
        message = err.details() if hasattr(err, "details") else str(err)
        out = cls(code, message or "")
        trailers = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None
        for key, value in trailers or ():
            if key != "grpc-status-details-bin":
                continue
            st = status_pb2.Status.FromString(value)
            for detail in st.details:
                info, retry = error_details_pb2.ErrorInfo(), error_details_pb2.RetryInfo()
                if detail.Unpack(info):
                    out.reason, out.metadata = info.reason, dict(info.metadata)
                    out.http_status = int(info.metadata.get("http_status", "0") or 0)
                elif detail.Unpack(retry):
                    out.retry_delay = retry.retry_delay.ToTimedelta().total_seconds()
        out.args = (f"{code.name}: {out.message}" + (f" ({out.reason}, HTTP {out.http_status})" if out.reason else ""),)
        return out


@dataclass
class Resume:
    """When a broken stream is opened again: up to ``max_attempts`` reconnects in a row (a
    message received resets the count; 0 disables resuming), waiting ``backoff`` seconds at
    first, doubling up to 10s, with full jitter."""
    max_attempts: int = 5
    backoff: float = 0.2

    def wait(self, attempt: int, deadline: Optional[float]) -> bool:
        delay = random.uniform(0, min(self.backoff * 2 ** (attempt - 1), 10.0))
        if deadline is not None and time.monotonic() + delay >= deadline:
            return False
        time.sleep(delay)
        return True


def _retryable(err: GatewayError) -> bool:
    # UNAVAILABLE is a gateway restarting or a connection lost; subscriber_too_slow is an
    # event stream the gateway ended because the reader fell behind, and it asks to resume.
    return err.code == grpc.StatusCode.UNAVAILABLE or (
        err.code == grpc.StatusCode.RESOURCE_EXHAUSTED and err.reason == "subscriber_too_slow")


@dataclass
class Record:
    """One record: ``data`` is the JSON Nango sent, as a dict (``_nango_metadata``
    included); ``metadata`` is the typed RecordMetadata."""
    id: str
    cursor: str
    data: dict
    metadata: Any = field(repr=False)


class _ResumingStream:
    def __init__(self, open_call: Callable[[Any, Optional[float]], Any], request: Any,
                 timeout: Optional[float], resume: Optional[Resume]):
        self._open, self._request = open_call, request
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._resume = resume or Resume()
        self._call = None
        self._closed = False

    def _next_request(self) -> Any:
        raise NotImplementedError

    def _receive(self, msg: Any) -> Any:
        raise NotImplementedError

    def __iter__(self):
        return self

    def __next__(self):
        failures = 0
        while True:
            if self._closed:
                raise StopIteration
            if self._call is None:
                timeout = None if self._deadline is None else max(self._deadline - time.monotonic(), 0.001)
                self._call = self._open(self._next_request(), timeout=timeout)
            try:
                return self._receive(next(self._call))
            except StopIteration:
                self._call, self._closed = None, True
                raise
            except grpc.RpcError as rpc_err:
                self._call = None
                err = GatewayError.from_rpc_error(rpc_err)
                failures += 1
                if self._closed or not _retryable(err) or failures > self._resume.max_attempts \
                        or not self._resume.wait(failures, self._deadline):
                    self._closed = True
                    raise err from None

    def close(self) -> None:
        """Ends the stream; iterating afterwards stops at once."""
        self._closed = True
        if self._call is not None:
            self._call.cancel()
            self._call = None

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class RecordStream(_ResumingStream):
    """Iterates Records; ``cursor`` is the last one's cursor (save it to resume later with
    StreamRecordsRequest.cursor). Raises GatewayError when the stream fails for good.
    Unless the request says otherwise it asks for a page of records per message, which
    spares both ends gRPC's cost per message, and hands them out one at a time."""

    def __init__(self, stub: Any, request: Any, *, timeout: Optional[float] = None,
                 resume: Optional[Resume] = None):
        super().__init__(stub.StreamRecords, request, timeout, resume)
        self.cursor: str = request.cursor if request.HasField("cursor") else ""
        self._pending: collections.deque = collections.deque()

    def _next_request(self) -> Any:
        req = type(self._request)()
        req.CopyFrom(self._request)
        if not req.records_per_message and not req.as_struct:
            req.records_per_message = 1000
        if self.cursor:
            req.cursor = self.cursor
        return req

    def _receive(self, msg: Any) -> list:
        batch = list(msg.records) if len(msg.records) else [msg]
        # One json.loads for the batch, as for a page.
        values = json.loads(b"[" + b",".join(r.json or b"{}" for r in batch) + b"]")
        return [Record(id=r.id, cursor=r.metadata.cursor, data=v, metadata=r.metadata)
                for r, v in zip(batch, values)]

    def __next__(self) -> Record:
        while not self._pending:
            self._pending.extend(super().__next__())
        rec = self._pending.popleft()
        if rec.cursor:
            self.cursor = rec.cursor
        return rec


class EventStream(_ResumingStream):
    """Iterates StreamWebhookEventsResponse messages; ``sequence`` is the last one's (resume
    later with after_sequence). The gateway's heartbeats are skipped. Raises GatewayError
    when the stream fails for good."""

    def __init__(self, stub: Any, request: Any, *, timeout: Optional[float] = None,
                 resume: Optional[Resume] = None):
        super().__init__(stub.StreamWebhookEvents, request, timeout, resume)
        self._resumed = request.WhichOneof("start") == "after_sequence"
        self.sequence: int = request.after_sequence if self._resumed else 0

    def _next_request(self) -> Any:
        req = type(self._request)()
        req.CopyFrom(self._request)
        if self._resumed:  # after an event was received, or when asked: exactly after it
            req.after_sequence = self.sequence
        return req

    def _receive(self, msg: Any) -> Any:
        if msg.HasField("heartbeat"):
            return None  # keeps idle connections open; neither an event nor a position
        self.sequence, self._resumed = msg.sequence, True
        return msg

    def __next__(self) -> Any:
        while True:
            msg = super().__next__()
            if msg is not None:
                return msg
