// The helpers against a fake gateway that breaks its streams: resuming starts after the last
// message, only for errors that allow it; errors carry Nango's details; the token travels.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Metadata, Server, ServerCredentials, ServerWritableStream, status as grpcStatus } from "@grpc/grpc-js";
import { GatewayClient, GatewayError, deadlineAware, gateway, status } from "../index";
import { ErrorInfo, RetryInfo } from "../gen/google/rpc/error_details";
import { Status } from "../gen/google/rpc/status";

function failure(code: grpcStatus, details: string, info?: ErrorInfo, retry?: RetryInfo) {
  const metadata = new Metadata();
  const anys = [];
  if (info) anys.push({ typeUrl: "type.googleapis.com/google.rpc.ErrorInfo", value: Buffer.from(ErrorInfo.encode(info).finish()) });
  if (retry) anys.push({ typeUrl: "type.googleapis.com/google.rpc.RetryInfo", value: Buffer.from(RetryInfo.encode(retry).finish()) });
  metadata.set("grpc-status-details-bin", Buffer.from(Status.encode({ code, message: details, details: anys }).finish()));
  return { code, details, metadata };
}

// Serves records r0…r9 and events 1…10, breaking each call with fail after 3 messages; with
// heartbeats, a heartbeat comes before every event and before the break.
async function flaky(fail: ReturnType<typeof failure>, heartbeats = false) {
  const seen = { records: [] as gateway.StreamRecordsRequest[], events: [] as gateway.StreamWebhookEventsRequest[], tokens: [] as string[] };
  const server = new Server();
  server.addService(gateway.RecordsServiceService, {
    streamRecords(call: ServerWritableStream<gateway.StreamRecordsRequest, gateway.StreamRecordsResponse>) {
      seen.records.push(call.request);
      seen.tokens.push(String(call.metadata.get("authorization")[0]));
      const start = call.request.cursor ? Number(call.request.cursor.slice(1)) + 1 : 0;
      for (let i = start, sent = 0; i < 10; i++, sent++) {
        if (sent === 3) return void call.emit("error", fail);
        call.write({ id: `r${i}`, json: Buffer.from(JSON.stringify({ id: `r${i}` })), metadata: { cursor: `c${i}` } });
      }
      call.end();
    },
  } as any);
  server.addService(gateway.WebhooksServiceService, {
    streamWebhookEvents(call: ServerWritableStream<gateway.StreamWebhookEventsRequest, gateway.StreamWebhookEventsResponse>) {
      seen.events.push(call.request);
      for (let seq = Number(call.request.afterSequence ?? 0) + 1, sent = 0; seq <= 10; seq++, sent++) {
        if (heartbeats) call.write({ sequence: "0", heartbeat: { sentAt: new Date() } });
        if (sent === 3) return void call.emit("error", fail);
        call.write({ sequence: String(seq), event: { type: "sync" } });
      }
      call.end();
    },
  } as any);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const client = new GatewayClient(`127.0.0.1:${port}`, { token: "tok-test", insecure: true });
  return { seen, client, stop: () => { client.close(); server.forceShutdown(); } };
}

const cases = [
  { name: "unavailable resumes", fail: failure(status.UNAVAILABLE, "restarting"), want: undefined },
  { name: "subscriber too slow resumes", fail: failure(status.RESOURCE_EXHAUSTED, "behind", { reason: "subscriber_too_slow", domain: "nango.dev" }), want: undefined },
  { name: "rate limited is thrown", fail: failure(status.RESOURCE_EXHAUSTED, "slow down"), want: status.RESOURCE_EXHAUSTED },
  { name: "not found is thrown", fail: failure(status.NOT_FOUND, "no model"), want: status.NOT_FOUND },
];

for (const tt of cases) {
  test(`records: ${tt.name}`, async () => {
    const { seen, client, stop } = await flaky(tt.fail);
    try {
      const stream = client.streamRecords({ model: "M" }, { timeoutMs: 10_000, resume: { backoffMs: 1 } });
      const got: string[] = [];
      let code: number | undefined;
      try {
        for await (const r of stream) got.push(r.data.id as string);
      } catch (err) {
        assert.ok(err instanceof GatewayError);
        code = err.code;
      }
      const want = tt.want === undefined ? 10 : 3;
      assert.equal(code, tt.want);
      assert.deepEqual(got, Array.from({ length: want }, (_, i) => `r${i}`));
      assert.equal(stream.cursor, `c${want - 1}`);
      if (tt.want === undefined) assert.equal(seen.records[1].cursor, "c2", "reopened after the last record received");
      assert.equal(seen.tokens[0], "Bearer tok-test");
    } finally {
      stop();
    }
  });

  test(`events: ${tt.name}`, async () => {
    const { seen, client, stop } = await flaky(tt.fail);
    try {
      const stream = client.streamWebhookEvents({ types: ["sync"], fromOldest: true }, { timeoutMs: 10_000, resume: { backoffMs: 1 } });
      const got: string[] = [];
      let code: number | undefined;
      try {
        for await (const ev of stream) got.push(ev.sequence!);
      } catch (err) {
        assert.ok(err instanceof GatewayError);
        code = err.code;
      }
      const want = tt.want === undefined ? 10 : 3;
      assert.equal(code, tt.want);
      assert.deepEqual(got, Array.from({ length: want }, (_, i) => String(i + 1)));
      if (tt.want === undefined) {
        const again = seen.events[1];
        assert.deepEqual([again.afterSequence, again.fromOldest ?? false, again.types], ["3", false, ["sync"]]);
      }
    } finally {
      stop();
    }
  });
}

test("events: heartbeats are skipped and do not move where the stream resumes", async () => {
  const { seen, client, stop } = await flaky(failure(status.UNAVAILABLE, "restarting"), true);
  try {
    const stream = client.streamWebhookEvents({}, { timeoutMs: 10_000, resume: { backoffMs: 1 } });
    const got: gateway.StreamWebhookEventsResponse[] = [];
    for await (const ev of stream) got.push(ev);
    assert.deepEqual(got.map((ev) => ev.sequence), Array.from({ length: 10 }, (_, i) => String(i + 1)));
    assert.ok(got.every((ev) => ev.heartbeat === undefined && ev.event !== undefined), "only events come out");
    assert.equal(seen.events[1].afterSequence, "3", "reopened after the last event, not the heartbeat after it");
    assert.equal(stream.sequence, "10");
  } finally {
    stop();
  }
});

test("GatewayError reads Nango's code, HTTP status and retry delay", () => {
  const err = GatewayError.from(
    failure(status.RESOURCE_EXHAUSTED, "slow down",
      { reason: "too_many_request", domain: "nango.dev", metadata: { http_status: "429" } },
      { retryDelay: { seconds: "3", nanos: 500_000_000 } }),
  );
  assert.deepEqual([err.code, err.reason, err.httpStatus, err.retryDelayMs], [status.RESOURCE_EXHAUSTED, "too_many_request", 429, 3500]);
  assert.equal(GatewayError.from(new Error("boom")).code, status.UNKNOWN);
});

test("a CANCELLED reset at the deadline reads as DEADLINE_EXCEEDED, before it as CANCELLED", () => {
  const cancelled = GatewayError.from({ code: status.CANCELLED, details: "Call cancelled", metadata: new Metadata() });
  const tests: [string, Date | undefined, number][] = [
    ["deadline passed", new Date(Date.now() - 1), status.DEADLINE_EXCEEDED],
    ["deadline ahead", new Date(Date.now() + 60_000), status.CANCELLED],
    ["no deadline", undefined, status.CANCELLED],
  ];
  for (const [name, deadline, want] of tests) assert.equal(deadlineAware(cancelled, deadline).code, want, name);
});

// Compile-time: the promise clients keep the generated request and response types.
type UnaryResponse = Awaited<ReturnType<GatewayClient["connections"]["getConnection"]>>;
type UnaryRequest = Parameters<GatewayClient["records"]["listRecords"]>[0];
type Exactly<A, B> = [A] extends [never] ? never : [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const typedResponse: Exactly<UnaryResponse, gateway.GetConnectionResponse> = true;
const typedRequest: Exactly<UnaryRequest, gateway.ListRecordsRequest> = true;
test("promise clients are typed (checked when compiling)", () => assert.ok(typedResponse && typedRequest));
