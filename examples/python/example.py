"""Calls the gateway the way a Python service would: a unary call with a deadline and the
service's token, every record of a model read as one stream and resumed from a saved cursor,
and webhook events received through a filter and resumed after the last sequence seen.

Reads GATEWAY_ADDR (host:port of the gRPC listener), GATEWAY_TOKEN, and, to post webhooks the
way Nango would, GATEWAY_WEBHOOK_URL and NANGO_WEBHOOK_SIGNING_KEY. Prints one JSON summary
and exits 1 when a check fails. Needs clients/python on PYTHONPATH.
"""

import hashlib
import hmac
import json
import os
import secrets
import sys
import urllib.request

import grpc

from nango_gateway import Client, GatewayError, gateway


def main() -> None:
    # [connect]
    client = Client(os.environ["GATEWAY_ADDR"], os.environ["GATEWAY_TOKEN"],
                    insecure=True)  # loopback only; across a network leave TLS on
    # [/connect]
    out = {}
    with client:
        # [unary]
        try:
            got = client.connections.GetConnection(
                gateway.GetConnectionRequest(provider_config_key="github", connection_id="conn-github-1"),
                timeout=5)  # seconds: the call's deadline
        except Exception as err:  # grpc.RpcError
            e = GatewayError.from_rpc_error(err)
            sys.exit(f"GetConnection: {e.code.name} (nango code {e.reason!r}, HTTP {e.http_status})")
        # [/unary]
        out["connection"], out["provider"] = got.connection.connection_id, got.connection.provider
        # [error]
        try:
            client.connections.GetConnection(
                gateway.GetConnectionRequest(provider_config_key="github", connection_id="no-such-connection"),
                timeout=5)
        except grpc.RpcError as err:
            e = GatewayError.from_rpc_error(err)
            out["missing"] = f"{e.code.name} {e.reason} {e.http_status}"  # NOT_FOUND not_found 404
        # [/error]
        read_records(client, out)
        follow_events(client, out)
    print(json.dumps(out))


def read_records(client: Client, out: dict) -> None:
    """Reads every GithubIssue, saving the cursor halfway, then resumes from that cursor and
    checks it gets exactly the records after it."""
    req = gateway.StreamRecordsRequest(provider_config_key="github", connection_id="conn-github-1", model="GithubIssue")
    # [records]
    ids, saved = [], ""
    stream = client.stream_records(req, timeout=60)
    for record in stream:
        ids.append(record.data["id"])  # the record as Nango sent it, as a dict
        if len(ids) == 1000:
            saved = stream.cursor  # what a service would persist to carry on later

    req.cursor = saved  # later: carry on after the saved record
    rest = [record.id for record in client.stream_records(req, timeout=60)]
    # [/records]
    if rest != ids[1000:]:
        sys.exit(f"resumed stream gave {len(rest)} records, want the {len(ids) - 1000} after the saved cursor")
    out.update(records=len(ids), resumed_at=1000, resumed_records=len(rest))


def follow_events(client: Client, out: dict) -> None:
    """Posts sync webhooks for a connection of its own, reads them through a filter, stops,
    posts more, and resumes after the last sequence it saw."""
    connection = "example-python-" + secrets.token_hex(4)  # this run's events only

    def post(*names: str) -> None:
        for name in names:
            # Noise the filter must drop: another type, another connection.
            for ev in ({"type": "sync", "from": "nango", "connectionId": connection, "providerConfigKey": "github",
                        "syncName": name, "model": "GithubIssue", "success": True},
                       {"type": "auth", "from": "nango", "connectionId": connection, "providerConfigKey": "github",
                        "operation": "refresh", "success": True, "authMode": name},
                       {"type": "sync", "from": "nango", "connectionId": connection + "-other",
                        "providerConfigKey": "github", "syncName": name, "model": "GithubIssue", "success": True}):
                post_webhook(ev)

    post("e1", "e2")
    # [events]
    req = gateway.StreamWebhookEventsRequest(types=["sync"], connection_id=connection, from_oldest=True)
    events = []
    with client.stream_webhook_events(req, timeout=30) as stream:
        for msg in stream:
            events.append(msg.event.sync.sync_name)
            if len(events) == 2:
                break
    last = stream.sequence  # the service goes away; it keeps the last sequence
    # [/events]
    post("e3", "e4")
    # [resume]
    req.after_sequence = last  # replaces from_oldest (one of "start")
    resumed = []
    with client.stream_webhook_events(req, timeout=30) as stream:
        for msg in stream:
            resumed.append(msg.event.sync.sync_name)
            if len(resumed) == 2:
                break
    # [/resume]
    if events != ["e1", "e2"] or resumed != ["e3", "e4"]:
        sys.exit(f"events {events} then {resumed}, want ['e1', 'e2'] then ['e3', 'e4']")
    out.update(events=events, resumed_events=resumed)


def post_webhook(ev: dict) -> None:
    """Sends ev to the gateway signed as Nango signs it; here the program stands in for Nango."""
    body = json.dumps(ev).encode()
    sig = hmac.new(os.environ["NANGO_WEBHOOK_SIGNING_KEY"].encode(), body, hashlib.sha256).hexdigest()
    req = urllib.request.Request(os.environ["GATEWAY_WEBHOOK_URL"], data=body, method="POST",
                                 headers={"Content-Type": "application/json", "X-Nango-Hmac-Sha256": sig})
    with urllib.request.urlopen(req, timeout=10) as resp:
        if resp.status // 100 != 2:
            sys.exit(f"webhook post: HTTP {resp.status}")


if __name__ == "__main__":
    main()
