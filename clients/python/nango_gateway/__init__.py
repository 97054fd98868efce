"""Python client of the Nango gateway.

Typed stubs for every service (generated, in nango_gateway._gen, re-exported here as
``gateway``), plus what every caller otherwise writes by hand: a channel with the service's
token and a retry policy, Nango's error details read from a gRPC error, records as dicts and
streams that resume where they stopped. Needs only python3-grpcio and python3-protobuf.
"""

from nango_gateway.client import (
    DEFAULT_SERVICE_CONFIG,
    Client,
    GatewayError,
    Record,
    RecordStream,
    EventStream,
    Resume,
)
from nango_gateway import gateway

__all__ = [
    "DEFAULT_SERVICE_CONFIG",
    "Client",
    "GatewayError",
    "Record",
    "RecordStream",
    "EventStream",
    "Resume",
    "gateway",
]
