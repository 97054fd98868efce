// Calls the gateway the way a Node service would: a unary call with a deadline and the
// service's token, every record of a model read as one stream and resumed from a saved
// cursor, and webhook events received through a filter and resumed after the last sequence
// seen.
//
// Reads GATEWAY_ADDR (host:port of the gRPC listener), GATEWAY_TOKEN, and, to post webhooks
// the way Nango would, GATEWAY_WEBHOOK_URL and NANGO_WEBHOOK_SIGNING_KEY. Prints one JSON
// summary and exits 1 when a check fails.
import { createHmac, randomBytes } from "node:crypto";
import { GatewayClient, GatewayError, status } from "@nango-gateway/client";

function fail(message) {
  console.error("example:", message);
  process.exit(1);
}

async function main() {
  // [connect]
  const client = new GatewayClient(process.env.GATEWAY_ADDR, {
    token: process.env.GATEWAY_TOKEN,
    insecure: true, // loopback only; across a network give tls: { rootCerts }
  });
  // [/connect]
  const out = {};
  try {
    // [unary]
    let got;
    try {
      got = await client.connections.getConnection(
        { providerConfigKey: "github", connectionId: "conn-github-1" },
        { timeoutMs: 5000 }, // the call's deadline
      );
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      fail(`GetConnection: ${status[err.code]} (nango code ${JSON.stringify(err.reason)}, HTTP ${err.httpStatus})`);
    }
    // [/unary]
    out.connection = got.connection?.connectionId;
    out.provider = got.connection?.provider;
    // [error]
    try {
      await client.connections.getConnection({ providerConfigKey: "github", connectionId: "no-such-connection" }, { timeoutMs: 5000 });
    } catch (err) {
      out.missing = `${status[err.code]} ${err.reason} ${err.httpStatus}`; // NOT_FOUND not_found 404
    }
    // [/error]
    await readRecords(client, out);
    await followEvents(client, out);
  } finally {
    client.close();
  }
  console.log(JSON.stringify(out));
}

// Reads every GithubIssue, saving the cursor halfway, then resumes from that cursor and
// checks it gets exactly the records after it.
async function readRecords(client, out) {
  const req = { providerConfigKey: "github", connectionId: "conn-github-1", model: "GithubIssue" };
  // [records]
  const ids = [];
  let saved = ""; // what a service would persist to carry on later
  const stream = client.streamRecords(req, { timeoutMs: 60_000 });
  for await (const record of stream) {
    ids.push(record.data.id); // the record as Nango sent it, as a plain object
    if (ids.length === 1000) saved = stream.cursor;
  }

  const rest = []; // later: carry on after the saved record
  for await (const record of client.streamRecords({ ...req, cursor: saved }, { timeoutMs: 60_000 })) {
    rest.push(record.id);
  }
  // [/records]
  if (JSON.stringify(rest) !== JSON.stringify(ids.slice(1000))) {
    fail(`resumed stream gave ${rest.length} records, want the ${ids.length - 1000} after the saved cursor`);
  }
  Object.assign(out, { records: ids.length, resumed_at: 1000, resumed_records: rest.length });
}

// Posts sync webhooks for a connection of its own, reads them through a filter, stops, posts
// more, and resumes after the last sequence it saw.
async function followEvents(client, out) {
  const connection = "example-node-" + randomBytes(4).toString("hex"); // this run's events only
  const post = async (...names) => {
    for (const name of names) {
      // Noise the filter must drop: another type, another connection.
      for (const ev of [
        { type: "sync", from: "nango", connectionId: connection, providerConfigKey: "github", syncName: name, model: "GithubIssue", success: true },
        { type: "auth", from: "nango", connectionId: connection, providerConfigKey: "github", operation: "refresh", success: true, authMode: name },
        { type: "sync", from: "nango", connectionId: connection + "-other", providerConfigKey: "github", syncName: name, model: "GithubIssue", success: true },
      ]) {
        await postWebhook(ev);
      }
    }
  };
  await post("e1", "e2");
  // [events]
  const req = { types: ["sync"], connectionId: connection, fromOldest: true };
  const events = [];
  const stream = client.streamWebhookEvents(req, { timeoutMs: 30_000 });
  for await (const msg of stream) {
    events.push(msg.event?.sync?.syncName);
    if (events.length === 2) break; // the service goes away; it keeps stream.sequence
  }
  const last = stream.sequence;
  // [/events]
  await post("e3", "e4");
  // [resume]
  const resumed = [];
  for await (const msg of client.streamWebhookEvents({ ...req, fromOldest: undefined, afterSequence: last }, { timeoutMs: 30_000 })) {
    resumed.push(msg.event?.sync?.syncName);
    if (resumed.length === 2) break;
  }
  // [/resume]
  if (events.join() !== "e1,e2" || resumed.join() !== "e3,e4") {
    fail(`events ${events} then ${resumed}, want e1,e2 then e3,e4`);
  }
  Object.assign(out, { events, resumed_events: resumed });
}

// Sends ev to the gateway signed as Nango signs it; here the program stands in for Nango.
async function postWebhook(ev) {
  const body = JSON.stringify(ev);
  const signature = createHmac("sha256", process.env.NANGO_WEBHOOK_SIGNING_KEY).update(body).digest("hex");
  const res = await fetch(process.env.GATEWAY_WEBHOOK_URL, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Nango-Hmac-Sha256": signature },
    body,
  });
  if (!res.ok) fail(`webhook post: HTTP ${res.status}`);
}

main().catch((err) => fail(err.stack ?? err));
