// The Node client of the Nango gateway: a promise-based typed client per service, the
// service's token on every call, Nango's error details as GatewayError, records as plain
// objects and streams that resume where they stopped.
import {
  ChannelCredentials,
  Client,
  ClientOptions,
  ClientReadableStream,
  credentials,
  InterceptingCall,
  Interceptor,
  Metadata,
  ServiceError,
  status,
} from "@grpc/grpc-js";
import * as gateway from "./gateway";
import { ErrorInfo, RetryInfo } from "./gen/google/rpc/error_details";
import { Status } from "./gen/google/rpc/status";

export { gateway, status };

/** Retries UNAVAILABLE with exponential backoff. RESOURCE_EXHAUSTED is deliberately absent:
 * the gateway already waited as long as the caller's deadline allowed, and its RetryInfo
 * (GatewayError.retryDelayMs) says how long to wait before trying again. */
export const DEFAULT_SERVICE_CONFIG = {
  methodConfig: [
    {
      name: [
        "ProvidersService", "IntegrationsService", "ConnectionsService", "MetadataService",
        "ScriptsService", "RecordsService", "SyncsService", "EnvironmentService",
        "ActionsService", "ProxyService", "ConnectSessionsService", "WebhooksService",
      ].map((s) => ({ service: "nango.gateway.v1." + s })),
      retryPolicy: {
        maxAttempts: 4,
        initialBackoff: "0.2s",
        maxBackoff: "5s",
        backoffMultiplier: 2,
        retryableStatusCodes: ["UNAVAILABLE"],
      },
    },
    // Calls that act on the world are never retried: an UNAVAILABLE may come after Nango ran
    // the action or the provider took the proxied request, and a retry would do it twice.
    {
      name: [
        { service: "nango.gateway.v1.ActionsService", method: "TriggerAction" },
        { service: "nango.gateway.v1.ActionsService", method: "TriggerActionAsync" },
        { service: "nango.gateway.v1.ActionsService", method: "TriggerActionAndWait" },
        { service: "nango.gateway.v1.ProxyService", method: "Proxy" },
      ],
    },
  ],
};

export interface TLSOptions {
  /** PEM roots to trust; the system roots when absent. */
  rootCerts?: Buffer;
  /** A client certificate and key (PEM), when the gateway asks for one. */
  certChain?: Buffer;
  privateKey?: Buffer;
}

export interface ClientConfig {
  /** This service's bearer token from the gateway's clients file. */
  token?: string;
  /** TLS settings; ignored with insecure. */
  tls?: TLSOptions;
  /** Plaintext, token included: for loopback and tests only. */
  insecure?: boolean;
  /** Replaces DEFAULT_SERVICE_CONFIG. */
  serviceConfig?: object;
  /** Extra grpc-js channel options. */
  channelOptions?: Partial<ClientOptions>;
}

/** Per-call options. deadline is absolute (a Date or epoch milliseconds); timeoutMs is
 * relative to the call's start. */
export interface CallOptions {
  deadline?: Date | number;
  timeoutMs?: number;
  metadata?: Metadata;
}

/** A gateway error with Nango's details. code is the gRPC status code (see `status`);
 * reason is Nango's error code (ErrorInfo.reason, e.g. "not_found") or the gateway's own
 * ("subscriber_too_slow"); httpStatus is the status Nango answered with (0 when Nango was
 * not reached); retryDelayMs is RetryInfo's delay, or undefined. */
export class GatewayError extends Error {
  constructor(
    readonly code: status,
    readonly details: string,
    readonly reason = "",
    readonly httpStatus = 0,
    readonly errorMetadata: Record<string, string> = {},
    readonly retryDelayMs?: number,
  ) {
    super(`${status[code] ?? code}: ${details}` + (reason ? ` (${reason}, HTTP ${httpStatus})` : ""));
    this.name = "GatewayError";
  }

  /** Reads the status and its details (grpc-status-details-bin) from a failed call. */
  static from(err: unknown): GatewayError {
    if (err instanceof GatewayError) return err;
    const e = err as Partial<ServiceError>;
    if (typeof e?.code !== "number") {
      return new GatewayError(status.UNKNOWN, String((err as Error)?.message ?? err));
    }
    let reason = "", httpStatus = 0, md: Record<string, string> = {}, retryDelayMs: number | undefined;
    const raw = e.metadata?.get("grpc-status-details-bin")[0];
    if (raw instanceof Buffer) {
      for (const any of Status.decode(raw).details ?? []) {
        const type = any.typeUrl?.slice(any.typeUrl.lastIndexOf("/") + 1);
        if (type === "google.rpc.ErrorInfo" && any.value) {
          const info = ErrorInfo.decode(any.value);
          reason = info.reason ?? "";
          md = info.metadata ?? {};
          httpStatus = Number(md["http_status"] ?? 0) || 0;
        } else if (type === "google.rpc.RetryInfo" && any.value) {
          const d = RetryInfo.decode(any.value).retryDelay;
          retryDelayMs = Number(d?.seconds ?? 0) * 1000 + (d?.nanos ?? 0) / 1e6;
        }
      }
    }
    return new GatewayError(e.code, e.details ?? "", reason, httpStatus, md, retryDelayMs);
  }
}

type UnaryCallback<R> = (error: ServiceError | null, response: R) => void;

/** The unary methods of a generated client, as promises that reject with GatewayError. */
export type Unary<C> = {
  [K in keyof C as C[K] extends (req: any, md: Metadata, o: any, cb: UnaryCallback<any>) => any ? K : never]:
    C[K] extends (req: infer Q, md: Metadata, o: any, cb: UnaryCallback<infer R>) => any
      ? (request: Q, options?: CallOptions) => Promise<R>
      : never;
};

type ServiceDefinition = Record<string, { responseStream: boolean }>;

function deadlineOf(o: CallOptions | undefined): Date | undefined {
  if (o?.deadline !== undefined) return new Date(o.deadline);
  if (o?.timeoutMs !== undefined) return new Date(Date.now() + o.timeoutMs);
  return undefined;
}

function promisify<C>(raw: Client, def: ServiceDefinition): Unary<C> {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(def)) {
    if (m.responseStream) continue;
    const fn = (raw as unknown as Record<string, Function>)[name].bind(raw);
    out[name] = (request: unknown, o?: CallOptions) =>
      new Promise((resolve, reject) => {
        const deadline = deadlineOf(o);
        fn(request, o?.metadata ?? new Metadata(), { deadline }, (err: ServiceError | null, res: unknown) =>
          err ? reject(deadlineAware(GatewayError.from(err), deadline)) : resolve(res),
        );
      });
  }
  return out as Unary<C>;
}

/** Resume says when a broken stream is opened again from where it stopped. */
export interface Resume {
  /** Reconnects in a row that may fail before the error is thrown; a message received
   * resets the count. Default 5; 0 disables resuming. */
  maxAttempts?: number;
  /** The first wait in milliseconds; it doubles up to 10s, with full jitter. Default 200. */
  backoffMs?: number;
}

export interface StreamOptions extends CallOptions {
  /** deadline / timeoutMs bound the whole read, reconnects included. */
  resume?: Resume;
}

/** One record: data is the JSON Nango sent, parsed (_nango_metadata included). */
export interface GatewayRecord<T = Record<string, unknown>> {
  id: string;
  cursor: string;
  data: T;
  metadata?: gateway.RecordMetadata;
}

// UNAVAILABLE is a gateway restarting or a connection lost; subscriber_too_slow is an event
// stream the gateway ended because the reader fell behind, and it asks to resume.
function retryable(e: GatewayError): boolean {
  return e.code === status.UNAVAILABLE || (e.code === status.RESOURCE_EXHAUSTED && e.reason === "subscriber_too_slow");
}

/**
 * The gateway ends a call at its deadline too (grpc-timeout), by resetting the HTTP/2 stream
 * with RST_STREAM(CANCEL). When that reset arrives before grpc-js's own deadline timer fires —
 * the two deadlines are the same instant, so this is a race, and a busy event loop makes the
 * timer later — grpc-js reports CANCELLED "Call cancelled". gRPC's C core (Python) maps a
 * CANCEL reset after the deadline to DEADLINE_EXCEEDED; this does the same.
 */
export function deadlineAware(e: GatewayError, deadline: Date | undefined): GatewayError {
  if (e.code === status.CANCELLED && deadline && Date.now() >= deadline.getTime() - 50) {
    return new GatewayError(status.DEADLINE_EXCEEDED, "Deadline exceeded (" + e.details + ")", e.reason, e.httpStatus, e.errorMetadata, e.retryDelayMs);
  }
  return e;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The base of both streams: reopen after a retryable error, within one deadline. */
abstract class ResumingStream<M, T> implements AsyncIterable<T> {
  private call?: ClientReadableStream<M>;
  private closed = false;
  private readonly deadline?: Date;

  protected constructor(protected readonly opts: StreamOptions = {}) {
    this.deadline = deadlineOf(opts);
  }

  protected abstract open(metadata: Metadata, deadline: Date | undefined): ClientReadableStream<M>;
  /** The items a message carries (a batch of records carries many). */
  protected abstract receive(msg: M): T[];
  /** Called as each item is handed to the loop, so a resume starts after the last one it got. */
  protected delivered(_item: T): void {}

  /** Ends the stream; a loop over it stops at once. */
  close(): void {
    this.closed = true;
    this.call?.cancel();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    const maxAttempts = this.opts.resume?.maxAttempts ?? 5;
    const backoff = this.opts.resume?.backoffMs ?? 200;
    for (let failures = 0; !this.closed; ) {
      const call = (this.call = this.open(this.opts.metadata ?? new Metadata(), this.deadline));
      call.on("error", () => {}); // errors arrive through the iterator; this keeps a late one from crashing the process
      try {
        for await (const msg of call) {
          failures = 0;
          for (const item of this.receive(msg as M)) {
            this.delivered(item);
            yield item;
          }
        }
        return;
      } catch (err) {
        if (this.closed) return;
        const e = deadlineAware(GatewayError.from(err), this.deadline);
        if (!retryable(e) || ++failures > maxAttempts) throw e;
        const wait = Math.random() * Math.min(backoff * 2 ** (failures - 1), 10_000);
        if (this.deadline && Date.now() + wait >= this.deadline.getTime()) throw e;
        await sleep(wait);
      } finally {
        call.cancel(); // a loop that breaks early ends the call
      }
    }
  }
}

/** Every record of a StreamRecordsRequest; cursor is the last one's (save it to resume later
 * with StreamRecordsRequest.cursor). */
export class RecordStream<T = Record<string, unknown>> extends ResumingStream<gateway.StreamRecordsResponse, GatewayRecord<T>> {
  cursor: string;

  constructor(private readonly raw: gateway.RecordsServiceClient, private readonly request: gateway.StreamRecordsRequest, opts?: StreamOptions) {
    super(opts);
    this.cursor = request.cursor ?? "";
  }

  protected open(md: Metadata, deadline: Date | undefined) {
    // Records come a page at a time unless the caller chose: gRPC's cost per message would
    // otherwise dominate, and a batch's records are parsed in one JSON.parse.
    const recordsPerMessage = this.request.recordsPerMessage || (this.request.asStruct ? 0 : 1000);
    return this.raw.streamRecords({ ...this.request, recordsPerMessage, cursor: this.cursor || undefined }, md, { deadline });
  }

  protected receive(msg: gateway.StreamRecordsResponse): GatewayRecord<T>[] {
    const batch = msg.records && msg.records.length ? msg.records : [msg];
    const texts = batch.map((r) => (r.json && r.json.length ? r.json.toString("utf8") : "{}"));
    const values = JSON.parse("[" + texts.join(",") + "]") as T[];
    return batch.map((r, i) => ({ id: r.id ?? "", cursor: r.metadata?.cursor ?? "", data: values[i], metadata: r.metadata }));
  }

  protected delivered(record: GatewayRecord<T>): void {
    if (record.cursor) this.cursor = record.cursor;
  }
}

/** Webhook events matching a StreamWebhookEventsRequest; sequence is the last one's (resume
 * later with afterSequence). The gateway's heartbeats are skipped. */
export class EventStream extends ResumingStream<gateway.StreamWebhookEventsResponse, gateway.StreamWebhookEventsResponse> {
  sequence: string;
  private resumed: boolean;

  constructor(private readonly raw: gateway.WebhooksServiceClient, private readonly request: gateway.StreamWebhookEventsRequest, opts?: StreamOptions) {
    super(opts);
    this.resumed = request.afterSequence !== undefined;
    this.sequence = request.afterSequence ?? "0";
  }

  protected open(md: Metadata, deadline: Date | undefined) {
    // After an event was received, or when asked: exactly after it.
    const req = this.resumed ? { ...this.request, fromOldest: undefined, afterSequence: this.sequence } : this.request;
    return this.raw.streamWebhookEvents(req, md, { deadline });
  }

  protected receive(msg: gateway.StreamWebhookEventsResponse) {
    // A heartbeat keeps idle connections open; it is neither an event nor a position.
    return msg.heartbeat ? [] : [msg];
  }

  protected delivered(msg: gateway.StreamWebhookEventsResponse): void {
    this.sequence = msg.sequence ?? this.sequence;
    this.resumed = true;
  }
}

function tokenInterceptor(token: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set("authorization", "Bearer " + token);
        next(metadata, listener);
      },
    });
}

/** A channel to the gateway with a promise-based client per service, and the two streams
 * with resume built in. The generated callback clients are under `raw`. */
export class GatewayClient {
  readonly raw: {
    providers: gateway.ProvidersServiceClient;
    integrations: gateway.IntegrationsServiceClient;
    connections: gateway.ConnectionsServiceClient;
    metadata: gateway.MetadataServiceClient;
    scripts: gateway.ScriptsServiceClient;
    records: gateway.RecordsServiceClient;
    syncs: gateway.SyncsServiceClient;
    environment: gateway.EnvironmentServiceClient;
    actions: gateway.ActionsServiceClient;
    proxy: gateway.ProxyServiceClient;
    connectSessions: gateway.ConnectSessionsServiceClient;
    webhooks: gateway.WebhooksServiceClient;
  };
  readonly providers: Unary<gateway.ProvidersServiceClient>;
  readonly integrations: Unary<gateway.IntegrationsServiceClient>;
  readonly connections: Unary<gateway.ConnectionsServiceClient>;
  readonly metadata: Unary<gateway.MetadataServiceClient>;
  readonly scripts: Unary<gateway.ScriptsServiceClient>;
  readonly records: Unary<gateway.RecordsServiceClient>;
  readonly syncs: Unary<gateway.SyncsServiceClient>;
  readonly environment: Unary<gateway.EnvironmentServiceClient>;
  readonly actions: Unary<gateway.ActionsServiceClient>;
  readonly proxy: Unary<gateway.ProxyServiceClient>;
  readonly connectSessions: Unary<gateway.ConnectSessionsServiceClient>;
  readonly webhooks: Unary<gateway.WebhooksServiceClient>;

  /** address is host:port of the gateway's gRPC listener. */
  constructor(address: string, config: ClientConfig = {}) {
    const creds: ChannelCredentials = config.insecure
      ? credentials.createInsecure()
      : credentials.createSsl(config.tls?.rootCerts ?? null, config.tls?.privateKey ?? null, config.tls?.certChain ?? null);
    const options: Partial<ClientOptions> = {
      "grpc.service_config": JSON.stringify(config.serviceConfig ?? DEFAULT_SERVICE_CONFIG),
      // Record batches are a few hundred KiB: with the default 64 KiB window the gateway
      // would wait on this process for every fifth of one.
      "grpc-node.flow_control_window": 8 << 20,
      ...config.channelOptions,
      interceptors: [...(config.token ? [tokenInterceptor(config.token)] : []), ...(config.channelOptions?.interceptors ?? [])],
    };
    const first = new gateway.ProvidersServiceClient(address, creds, options);
    // Every client shares the first one's channel: one connection to the gateway.
    const share = { ...options, channelOverride: first.getChannel() };
    this.raw = {
      providers: first,
      integrations: new gateway.IntegrationsServiceClient(address, creds, share),
      connections: new gateway.ConnectionsServiceClient(address, creds, share),
      metadata: new gateway.MetadataServiceClient(address, creds, share),
      scripts: new gateway.ScriptsServiceClient(address, creds, share),
      records: new gateway.RecordsServiceClient(address, creds, share),
      syncs: new gateway.SyncsServiceClient(address, creds, share),
      environment: new gateway.EnvironmentServiceClient(address, creds, share),
      actions: new gateway.ActionsServiceClient(address, creds, share),
      proxy: new gateway.ProxyServiceClient(address, creds, share),
      connectSessions: new gateway.ConnectSessionsServiceClient(address, creds, share),
      webhooks: new gateway.WebhooksServiceClient(address, creds, share),
    };
    const r = this.raw;
    this.providers = promisify(r.providers, gateway.ProvidersServiceService);
    this.integrations = promisify(r.integrations, gateway.IntegrationsServiceService);
    this.connections = promisify(r.connections, gateway.ConnectionsServiceService);
    this.metadata = promisify(r.metadata, gateway.MetadataServiceService);
    this.scripts = promisify(r.scripts, gateway.ScriptsServiceService);
    this.records = promisify(r.records, gateway.RecordsServiceService);
    this.syncs = promisify(r.syncs, gateway.SyncsServiceService);
    this.environment = promisify(r.environment, gateway.EnvironmentServiceService);
    this.actions = promisify(r.actions, gateway.ActionsServiceService);
    this.proxy = promisify(r.proxy, gateway.ProxyServiceService);
    this.connectSessions = promisify(r.connectSessions, gateway.ConnectSessionsServiceService);
    this.webhooks = promisify(r.webhooks, gateway.WebhooksServiceService);
  }

  /** Every record of the request, resumed after the last one received when the connection
   * breaks. */
  streamRecords<T = Record<string, unknown>>(request: gateway.StreamRecordsRequest, options?: StreamOptions): RecordStream<T> {
    return new RecordStream<T>(this.raw.records, request, options);
  }

  /** Webhook events matching the request, resumed after the last sequence received when the
   * connection breaks. */
  streamWebhookEvents(request: gateway.StreamWebhookEventsRequest, options?: StreamOptions): EventStream {
    return new EventStream(this.raw.webhooks, request, options);
  }

  close(): void {
    this.raw.providers.close();
  }
}
