"""The helpers against a fake gateway that breaks its streams: resuming starts after the last
message, only for errors that allow it; errors carry Nango's details; the token travels."""

import json
import threading
import unittest
from concurrent import futures

import grpc
from google.protobuf import any_pb2, duration_pb2

from nango_gateway import Client, GatewayError, Resume, gateway
from nango_gateway._gen.google.rpc import error_details_pb2, status_pb2


def status_with(code: grpc.StatusCode, message: str, *details) -> tuple:
    st = status_pb2.Status(code=code.value[0], message=message)
    for d in details:
        a = any_pb2.Any()
        a.Pack(d)
        st.details.append(a)
    return code, message, (("grpc-status-details-bin", st.SerializeToString()),)


class Flaky(gateway.RecordsServiceServicer, gateway.WebhooksServiceServicer):
    """Serves records r0…r9 and events 1…10, breaking each call with ``fail`` after 3; with
    ``heartbeats``, a heartbeat comes before every event and before the break."""

    def __init__(self, fail, heartbeats=False):
        self.fail, self.requests, self.tokens = fail, [], []
        self.heartbeats = heartbeats
        self.lock = threading.Lock()

    def _note(self, request, context):
        with self.lock:
            self.requests.append(request)
            self.tokens += [v for k, v in context.invocation_metadata() if k == "authorization"]

    def _break(self, context):
        code, message, trailers = self.fail
        context.set_trailing_metadata(trailers)
        context.abort(code, message)

    def StreamRecords(self, request, context):
        self._note(request, context)
        start = int(request.cursor[1:]) + 1 if request.HasField("cursor") else 0
        for sent, i in enumerate(range(start, 10)):
            if sent == 3:
                self._break(context)
            yield gateway.StreamRecordsResponse(id=f"r{i}", json=json.dumps({"id": f"r{i}"}).encode(),
                                                metadata=gateway.RecordMetadata(cursor=f"c{i}"))

    def StreamWebhookEvents(self, request, context):
        self._note(request, context)
        for sent, seq in enumerate(range(request.after_sequence + 1, 11)):
            if self.heartbeats:
                beat = gateway.Heartbeat()
                beat.sent_at.GetCurrentTime()
                yield gateway.StreamWebhookEventsResponse(heartbeat=beat)
            if sent == 3:
                self._break(context)
            yield gateway.StreamWebhookEventsResponse(sequence=seq, event=gateway.WebhookEvent(type="sync"))


class ResumingStreamsTest(unittest.TestCase):
    def serve(self, fail, heartbeats=False) -> tuple:
        flaky = Flaky(fail, heartbeats)
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        gateway.add_RecordsServiceServicer_to_server(flaky, server)
        gateway.add_WebhooksServiceServicer_to_server(flaky, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self.addCleanup(server.stop, None)
        client = Client(f"127.0.0.1:{port}", "tok-test", insecure=True)
        self.addCleanup(client.close)
        return flaky, client

    cases = [
        ("unavailable resumes", status_with(grpc.StatusCode.UNAVAILABLE, "restarting"), None),
        ("subscriber too slow resumes", status_with(grpc.StatusCode.RESOURCE_EXHAUSTED, "behind",
                                                    error_details_pb2.ErrorInfo(reason="subscriber_too_slow")), None),
        ("rate limited is raised", status_with(grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down"), grpc.StatusCode.RESOURCE_EXHAUSTED),
        ("not found is raised", status_with(grpc.StatusCode.NOT_FOUND, "no model"), grpc.StatusCode.NOT_FOUND),
    ]

    def test_records_resume_after_the_last_cursor_only_when_the_error_allows_it(self):
        for name, fail, want_code in self.cases:
            with self.subTest(name):
                flaky, client = self.serve(fail)
                stream = client.stream_records(gateway.StreamRecordsRequest(model="M"), timeout=10,
                                               resume=Resume(backoff=0.001))
                got = []
                try:
                    for record in stream:
                        got.append(record.data["id"])
                except GatewayError as err:
                    self.assertEqual(err.code, want_code)
                else:
                    self.assertIsNone(want_code)
                want = 3 if want_code else 10
                self.assertEqual(got, [f"r{i}" for i in range(want)])
                self.assertEqual(stream.cursor, f"c{want - 1}")
                if not want_code:
                    self.assertEqual(flaky.requests[1].cursor, "c2")
                self.assertEqual(flaky.tokens[0], "Bearer tok-test")

    def test_events_resume_after_the_last_sequence_with_the_same_filter(self):
        for name, fail, want_code in self.cases:
            with self.subTest(name):
                flaky, client = self.serve(fail)
                req = gateway.StreamWebhookEventsRequest(types=["sync"], from_oldest=True)
                stream = client.stream_webhook_events(req, timeout=10, resume=Resume(backoff=0.001))
                got = []
                try:
                    got = [msg.sequence for msg in stream]
                except GatewayError as err:
                    self.assertEqual(err.code, want_code)
                    got = list(range(1, stream.sequence + 1))
                else:
                    self.assertIsNone(want_code)
                self.assertEqual(got, list(range(1, 4 if want_code else 11)))
                if not want_code:
                    again = flaky.requests[1]
                    self.assertEqual((again.WhichOneof("start"), again.after_sequence, list(again.types)),
                                     ("after_sequence", 3, ["sync"]))

    def test_event_heartbeats_are_skipped_and_do_not_move_where_the_stream_resumes(self):
        flaky, client = self.serve(status_with(grpc.StatusCode.UNAVAILABLE, "restarting"), heartbeats=True)
        stream = client.stream_webhook_events(gateway.StreamWebhookEventsRequest(), timeout=10,
                                              resume=Resume(backoff=0.001))
        got = list(stream)
        self.assertEqual([msg.sequence for msg in got], list(range(1, 11)))
        self.assertTrue(all(not msg.HasField("heartbeat") and msg.HasField("event") for msg in got))
        self.assertEqual(flaky.requests[1].after_sequence, 3)
        self.assertEqual(stream.sequence, 10)


class GatewayErrorTest(unittest.TestCase):
    def test_reads_nango_code_http_status_and_retry_delay(self):
        class Failing(gateway.RecordsServiceServicer):
            def ListRecords(self, request, context):
                code, message, trailers = status_with(
                    grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down",
                    error_details_pb2.ErrorInfo(reason="too_many_request", domain="nango.dev",
                                                metadata={"http_status": "429"}),
                    error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=3)))
                context.set_trailing_metadata(trailers)
                context.abort(code, message)

        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        gateway.add_RecordsServiceServicer_to_server(Failing(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self.addCleanup(server.stop, None)
        with Client(f"127.0.0.1:{port}", insecure=True) as client:
            with self.assertRaises(grpc.RpcError) as caught:
                client.records.ListRecords(gateway.ListRecordsRequest(), timeout=5)
        err = GatewayError.from_rpc_error(caught.exception)
        self.assertEqual((err.code, err.reason, err.http_status, err.retry_delay),
                         (grpc.StatusCode.RESOURCE_EXHAUSTED, "too_many_request", 429, 3.0))


if __name__ == "__main__":
    unittest.main()
