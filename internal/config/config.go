package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the gateway.
type Config struct {
	NangoHost                 string
	NangoSecretKey            string
	WebhookSigningKey         string
	WebhookSigningKeyPrevious string
	GRPCAddr                  string
	HTTPAddr                  string
	LogLevel                  slog.Level
	Demo                      bool
	ShutdownGrace             time.Duration
	MaxMessageBytes           int
	ProxyMaxBodyBytes         int

	// Access: the clients file, or no access control at all (an explicit choice).
	ClientsFile    string
	InsecureNoAuth bool

	// Transport: TLS on both listeners (mutual when TLSClientCAFile is set), HTTP
	// server timeouts, gRPC connection limits.
	TLSCertFile              string
	TLSKeyFile               string
	TLSClientCAFile          string
	HTTPReadHeaderTimeout    time.Duration
	HTTPReadBodyTimeout      time.Duration
	HTTPWriteTimeout         time.Duration
	HTTPIdleTimeout          time.Duration
	GRPCMaxConcurrentStreams int
	GRPCKeepaliveMinTime     time.Duration
	GRPCReflection           bool

	// Upstream calls to Nango.
	UpstreamTimeout             time.Duration
	UpstreamActionTimeout       time.Duration
	UpstreamAttemptTimeout      time.Duration
	UpstreamMaxAttempts         int
	UpstreamRateGovernor        bool
	UpstreamMaxIdleConns        int
	UpstreamDialTimeout         time.Duration
	UpstreamTLSHandshakeTimeout time.Duration

	// Webhooks and the event bus.
	WebhookMaxBodyBytes         int
	WebhookAllowLegacySignature bool
	EventBusURL                 string
	EventBusStream              string
	EventBusStreamReplicas      int
	EventRetentionMaxEvents     int
	EventRetentionMaxAge        time.Duration
	EventRetentionMaxBytes      int
	SubscriberBuffer            int

	// ActionWaitMax bounds a TriggerActionAndWait whose caller set no deadline.
	ActionWaitMax time.Duration
	// Long-lived streams: the silence after which they send a heartbeat.
	StreamHeartbeatInterval time.Duration
	// WatchPollInterval is how often WatchRecords polls when no webhook can announce changes.
	WatchPollInterval time.Duration

	// The rate budget: "shared" (replicas lease Nango's window through NATS) or
	// "local" (each replica governs alone).
	RateBudget         string
	RateBudgetReplicas int
	RateBudgetBucket   string
}

// String never prints a secret.
func (c Config) String() string {
	bus := "memory"
	if c.EventBusURL != "" {
		bus = "jetstream"
	}
	host, signingKeySet := c.NangoHost, c.WebhookSigningKey != ""
	if c.Demo {
		host, signingKeySet = "built-in simulator", true
	}
	access := "clients_file"
	if c.ClientsFile == "" {
		access = "none (insecure-no-auth)"
	}
	return fmt.Sprintf("nango_host=%s log_level=%s demo=%t event_bus=%s webhook_signing_key_set=%t upstream_max_attempts=%d upstream_rate_governor=%t rate_budget=%s access=%s",
		host, c.LogLevel, c.Demo, bus, signingKeySet, c.UpstreamMaxAttempts, c.UpstreamRateGovernor, c.RateBudget, access)
}

// setting is one configuration value: a flag, its environment variable and, for secrets, a
// _FILE variant holding a path to read it from.
type setting struct {
	flag, env, def, usage string
	secret                bool
	value                 string
	flagSet               bool
}

// Load reads args (without the program name) and the environment through getenv.
func Load(args []string, getenv func(string) string) (Config, error) {
	settings := []*setting{
		{flag: "nango-host", env: "NANGO_HOST", def: "https://api.nango.dev", usage: "Nango API base URL"},
		{flag: "nango-secret-key", env: "NANGO_SECRET_KEY", secret: true, usage: "Nango environment secret key (required unless --demo)"},
		{flag: "webhook-signing-key", env: "NANGO_WEBHOOK_SIGNING_KEY", secret: true, usage: "key that signs Nango's webhooks"},
		{flag: "webhook-signing-key-previous", env: "NANGO_WEBHOOK_SIGNING_KEY_PREVIOUS", secret: true, usage: "previous signing key, accepted during a rotation"},
		{flag: "grpc-addr", env: "GRPC_ADDR", def: ":50051", usage: "gRPC listen address"},
		{flag: "http-addr", env: "HTTP_ADDR", def: ":8080", usage: "HTTP listen address (Nango's REST API relayed, /v1, webhooks, health, metrics)"},
		{flag: "log-level", env: "LOG_LEVEL", def: "info", usage: "debug, info, warn or error"},
		{flag: "shutdown-grace", env: "SHUTDOWN_GRACE", def: "15s", usage: "how long in-flight calls may drain on shutdown"},
		{flag: "max-message-bytes", env: "MAX_MESSAGE_BYTES", def: strconv.Itoa(64 << 20), usage: "largest gRPC message and REST body accepted"},
		{flag: "proxy-max-body-bytes", env: "PROXY_MAX_BODY_BYTES", def: strconv.Itoa(32 << 20), usage: "largest proxied request or response body"},
		{flag: "upstream-timeout", env: "UPSTREAM_TIMEOUT", def: "30s", usage: "deadline of a call to Nango when the caller sets none"},
		{flag: "upstream-action-timeout", env: "UPSTREAM_ACTION_TIMEOUT", def: "15m", usage: "the same for synchronous actions"},
		{flag: "upstream-attempt-timeout", env: "UPSTREAM_ATTEMPT_TIMEOUT", def: "0s", usage: "deadline of each attempt inside the call's (0: none)"},
		{flag: "upstream-max-attempts", env: "UPSTREAM_MAX_ATTEMPTS", def: "3", usage: "attempts per call, first included (1: no retries)"},
		{flag: "upstream-rate-governor", env: "UPSTREAM_RATE_GOVERNOR", def: "true", usage: "queue calls while Nango's rate-limit window is spent"},
		{flag: "upstream-max-idle-conns", env: "UPSTREAM_MAX_IDLE_CONNS", def: "64", usage: "keep-alive connections to Nango"},
		{flag: "upstream-dial-timeout", env: "UPSTREAM_DIAL_TIMEOUT", def: "5s", usage: "TCP connect timeout to Nango"},
		{flag: "upstream-tls-handshake-timeout", env: "UPSTREAM_TLS_HANDSHAKE_TIMEOUT", def: "10s", usage: "TLS handshake timeout to Nango"},
		{flag: "webhook-max-body-bytes", env: "WEBHOOK_MAX_BODY_BYTES", def: strconv.Itoa(1 << 20), usage: "largest webhook body accepted (413 beyond)"},
		{flag: "webhook-allow-legacy-signature", env: "WEBHOOK_ALLOW_LEGACY_SIGNATURE", def: "false", usage: "also accept the legacy X-Nango-Signature"},
		{flag: "event-bus-url", env: "EVENT_BUS_URL", usage: "nats://… (comma-separated for the servers of a cluster) to share webhook events between replicas over JetStream; empty keeps them in memory"},
		{flag: "event-bus-stream", env: "EVENT_BUS_STREAM", def: "NANGO_WEBHOOKS", usage: "JetStream stream name"},
		{flag: "event-bus-stream-replicas", env: "EVENT_BUS_STREAM_REPLICAS", def: "1", usage: "copies of the JetStream stream in a NATS cluster (1 to 5; 3 survives a lost node)"},
		{flag: "event-retention-max-events", env: "EVENT_RETENTION_MAX_EVENTS", def: "100000", usage: "events kept for subscribers that resume"},
		{flag: "event-retention-max-age", env: "EVENT_RETENTION_MAX_AGE", def: "24h", usage: "how long events are kept"},
		{flag: "clients-file", env: "CLIENTS_FILE", usage: "YAML file listing the clients, their token hashes and the calls they may make"},
		{flag: "insecure-no-auth", env: "INSECURE_NO_AUTH", def: "false", usage: "serve every caller without access control (required when no CLIENTS_FILE is given)"},
		{flag: "tls-cert-file", env: "TLS_CERT_FILE", usage: "PEM certificate (chain) served on both listeners; reread when it changes"},
		{flag: "tls-key-file", env: "TLS_KEY_FILE", usage: "PEM private key of TLS_CERT_FILE"},
		{flag: "tls-client-ca-file", env: "TLS_CLIENT_CA_FILE", usage: "PEM CA bundle: require client certificates it signed (mutual TLS)"},
		{flag: "http-read-header-timeout", env: "HTTP_READ_HEADER_TIMEOUT", def: "10s", usage: "time a client has to send a request's headers"},
		{flag: "http-read-body-timeout", env: "HTTP_READ_BODY_TIMEOUT", def: "60s", usage: "time a client has to send a request's body"},
		{flag: "http-write-timeout", env: "HTTP_WRITE_TIMEOUT", def: "16m", usage: "time to answer a unary HTTP request (streams are not bounded)"},
		{flag: "http-idle-timeout", env: "HTTP_IDLE_TIMEOUT", def: "2m", usage: "how long an idle keep-alive connection stays open"},
		{flag: "grpc-max-concurrent-streams", env: "GRPC_MAX_CONCURRENT_STREAMS", def: "1000", usage: "concurrent calls per gRPC connection"},
		{flag: "grpc-reflection", env: "GRPC_REFLECTION", def: "true", usage: "serve gRPC server reflection (it describes the public API only)"},
		{flag: "grpc-keepalive-min-time", env: "GRPC_KEEPALIVE_MIN_TIME", def: "10s", usage: "clients pinging more often than this are disconnected"},
		{flag: "event-retention-max-bytes", env: "EVENT_RETENTION_MAX_BYTES", def: strconv.Itoa(256 << 20), usage: "total size of the webhook bodies kept; the oldest go first"},
		{flag: "subscriber-buffer", env: "SUBSCRIBER_BUFFER", def: "256", usage: "events buffered per webhook-stream subscriber before it is cut off"},
		{flag: "action-wait-max", env: "ACTION_WAIT_MAX", def: "15m", usage: "longest TriggerActionAndWait when the caller sets no deadline"},
		{flag: "stream-heartbeat-interval", env: "STREAM_HEARTBEAT_INTERVAL", def: "15s", usage: "silence after which a long-lived stream sends a heartbeat, unless the caller asks otherwise (1s to 10m)"},
		{flag: "watch-poll-interval", env: "WATCH_POLL_INTERVAL", def: "30s", usage: "how often WatchRecords polls Nango when no webhook signing key or event bus can announce changes (at least 1s)"},
		{flag: "rate-budget", env: "RATE_BUDGET", def: "auto", usage: "shared (replicas lease Nango's rate window through NATS), local, or auto (shared when EVENT_BUS_URL is set)"},
		{flag: "rate-budget-replicas", env: "RATE_BUDGET_REPLICAS", def: "3", usage: "replicas in the fleet: while NATS is away each takes this fraction of Nango's limit"},
		{flag: "rate-budget-bucket", env: "RATE_BUDGET_BUCKET", def: "NANGO_RATE_BUDGET", usage: "JetStream key-value bucket of the shared rate budget (one per Nango account)"},
	}
	fs := flag.NewFlagSet("nango-gateway", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	byFlag := map[string]*setting{}
	for _, s := range settings {
		byFlag[s.flag] = s
		fs.String(s.flag, "", s.usage+" (env "+s.env+")")
	}
	demo := fs.Bool("demo", false, "run the built-in Nango simulator with demo data and use it as the upstream")
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		if s, ok := byFlag[f.Name]; ok {
			s.value, s.flagSet = f.Value.String(), true
		}
	})
	for _, s := range settings {
		if err := s.resolve(getenv); err != nil {
			return Config{}, err
		}
	}
	get := func(name string) *setting { return byFlag[name] }

	cfg := Config{
		NangoHost:                 get("nango-host").value,
		NangoSecretKey:            get("nango-secret-key").value,
		WebhookSigningKey:         get("webhook-signing-key").value,
		WebhookSigningKeyPrevious: get("webhook-signing-key-previous").value,
		GRPCAddr:                  get("grpc-addr").value,
		EventBusURL:               get("event-bus-url").value,
		EventBusStream:            get("event-bus-stream").value,
		HTTPAddr:                  get("http-addr").value,
		ClientsFile:               get("clients-file").value,
		TLSCertFile:               get("tls-cert-file").value,
		TLSKeyFile:                get("tls-key-file").value,
		TLSClientCAFile:           get("tls-client-ca-file").value,
		RateBudgetBucket:          get("rate-budget-bucket").value,
		Demo:                      *demo,
	}
	var errs []error
	if v := getenv("DEMO"); v != "" && !cfg.Demo {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("DEMO %q is not true or false", v))
		}
		cfg.Demo = b
	}
	if !cfg.Demo {
		if cfg.NangoSecretKey == "" {
			errs = append(errs, errors.New("NANGO_SECRET_KEY is required (or NANGO_SECRET_KEY_FILE, or --nango-secret-key; --demo needs none)"))
		}
		if u, err := url.Parse(cfg.NangoHost); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("NANGO_HOST %q is not an http(s) URL", cfg.NangoHost))
		}
	}
	for _, s := range []*setting{get("grpc-addr"), get("http-addr")} {
		if _, _, err := net.SplitHostPort(s.value); err != nil {
			errs = append(errs, fmt.Errorf("%s %q is not a host:port address", s.env, s.value))
		}
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(get("log-level").value)); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL %q is not one of debug, info, warn, error", get("log-level").value))
	}
	for _, p := range []struct {
		s   *setting
		dst *time.Duration
	}{
		{get("shutdown-grace"), &cfg.ShutdownGrace}, {get("event-retention-max-age"), &cfg.EventRetentionMaxAge},
		{get("upstream-timeout"), &cfg.UpstreamTimeout}, {get("upstream-action-timeout"), &cfg.UpstreamActionTimeout},
		{get("upstream-attempt-timeout"), &cfg.UpstreamAttemptTimeout}, {get("upstream-dial-timeout"), &cfg.UpstreamDialTimeout},
		{get("upstream-tls-handshake-timeout"), &cfg.UpstreamTLSHandshakeTimeout},
		{get("http-read-header-timeout"), &cfg.HTTPReadHeaderTimeout}, {get("http-read-body-timeout"), &cfg.HTTPReadBodyTimeout},
		{get("http-write-timeout"), &cfg.HTTPWriteTimeout}, {get("http-idle-timeout"), &cfg.HTTPIdleTimeout},
		{get("grpc-keepalive-min-time"), &cfg.GRPCKeepaliveMinTime}, {get("action-wait-max"), &cfg.ActionWaitMax},
		{get("watch-poll-interval"), &cfg.WatchPollInterval},
	} {
		d, err := time.ParseDuration(p.s.value)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("%s %q is not a duration such as 15s", p.s.env, p.s.value))
			continue
		}
		*p.dst = d
	}
	if d, err := time.ParseDuration(get("watch-poll-interval").value); err == nil && d < time.Second {
		errs = append(errs, fmt.Errorf("WATCH_POLL_INTERVAL %q is below 1s: every watcher would poll Nango's rate limit away", get("watch-poll-interval").value))
	}
	for _, p := range []struct {
		s   *setting
		dst *bool
	}{{get("webhook-allow-legacy-signature"), &cfg.WebhookAllowLegacySignature}, {get("upstream-rate-governor"), &cfg.UpstreamRateGovernor}, {get("insecure-no-auth"), &cfg.InsecureNoAuth}, {get("grpc-reflection"), &cfg.GRPCReflection}} {
		b, err := strconv.ParseBool(p.s.value)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q is not true or false", p.s.env, p.s.value))
			continue
		}
		*p.dst = b
	}
	if cfg.Demo && cfg.ClientsFile == "" {
		cfg.InsecureNoAuth = true // the demo serves anyone on this machine, and says so
	}
	if cfg.ClientsFile == "" && !cfg.InsecureNoAuth {
		errs = append(errs, errors.New("CLIENTS_FILE is required: without it anyone who reaches the gateway uses its Nango key (pass --insecure-no-auth to accept that)"))
	}
	if cfg.ClientsFile != "" && cfg.InsecureNoAuth && !cfg.Demo {
		errs = append(errs, errors.New("CLIENTS_FILE and INSECURE_NO_AUTH contradict each other: set one"))
	}
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		errs = append(errs, errors.New("TLS_CERT_FILE and TLS_KEY_FILE go together: set both or neither"))
	}
	if cfg.TLSClientCAFile != "" && cfg.TLSCertFile == "" {
		errs = append(errs, errors.New("TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE: mutual TLS is TLS first"))
	}
	if cfg.EventBusURL != "" {
		// A comma-separated list names the servers of a NATS cluster: the client starts
		// with any of them and moves to another when one goes away.
		// The URL may hold credentials: it is not repeated in the error.
		for i, u := range strings.Split(cfg.EventBusURL, ",") {
			if u = strings.TrimSpace(u); !strings.HasPrefix(u, "nats://") && !strings.HasPrefix(u, "tls://") {
				errs = append(errs, fmt.Errorf("EVENT_BUS_URL: entry %d is not a nats:// or tls:// URL (a comma-separated list names a cluster's servers)", i+1))
				break
			}
		}
	}
	switch rb := get("rate-budget").value; {
	case rb == "auto" && cfg.EventBusURL != "", rb == "shared":
		cfg.RateBudget = "shared"
	case rb == "auto", rb == "local":
		cfg.RateBudget = "local"
	default:
		errs = append(errs, fmt.Errorf("RATE_BUDGET %q is not shared, local or auto", rb))
	}
	if cfg.RateBudget == "shared" && cfg.EventBusURL == "" {
		errs = append(errs, errors.New("RATE_BUDGET=shared needs EVENT_BUS_URL: the replicas share the budget through NATS"))
	}
	if cfg.RateBudgetBucket == "" || strings.ContainsFunc(cfg.RateBudgetBucket, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) {
		errs = append(errs, fmt.Errorf("RATE_BUDGET_BUCKET %q must be letters, digits, _ or -", cfg.RateBudgetBucket))
	}
	for _, p := range []struct {
		s   *setting
		dst *int
	}{
		{get("max-message-bytes"), &cfg.MaxMessageBytes}, {get("proxy-max-body-bytes"), &cfg.ProxyMaxBodyBytes},
		{get("webhook-max-body-bytes"), &cfg.WebhookMaxBodyBytes}, {get("event-retention-max-events"), &cfg.EventRetentionMaxEvents},
		{get("subscriber-buffer"), &cfg.SubscriberBuffer}, {get("upstream-max-attempts"), &cfg.UpstreamMaxAttempts},
		{get("upstream-max-idle-conns"), &cfg.UpstreamMaxIdleConns}, {get("grpc-max-concurrent-streams"), &cfg.GRPCMaxConcurrentStreams},
		{get("event-retention-max-bytes"), &cfg.EventRetentionMaxBytes}, {get("event-bus-stream-replicas"), &cfg.EventBusStreamReplicas},
		{get("rate-budget-replicas"), &cfg.RateBudgetReplicas},
	} {
		n, err := strconv.Atoi(p.s.value)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s %q is not a positive number", p.s.env, p.s.value))
			continue
		}
		*p.dst = n
	}
	if d, err := time.ParseDuration(get("action-wait-max").value); err == nil && d == 0 {
		// 0 would end every wait at once rather than mean "no limit".
		errs = append(errs, fmt.Errorf("ACTION_WAIT_MAX %q must be more than 0", get("action-wait-max").value))
	}
	// The range a caller may ask for too: shorter, heartbeats are mere traffic; longer,
	// proxies with common idle timeouts have cut the stream already.
	if hb, err := time.ParseDuration(get("stream-heartbeat-interval").value); err != nil || hb < time.Second || hb > 10*time.Minute {
		errs = append(errs, fmt.Errorf("STREAM_HEARTBEAT_INTERVAL %q is not a duration from 1s to 10m", get("stream-heartbeat-interval").value))
	} else {
		cfg.StreamHeartbeatInterval = hb
	}
	if cfg.EventBusStreamReplicas > 5 {
		errs = append(errs, fmt.Errorf("EVENT_BUS_STREAM_REPLICAS %d is more than JetStream's 5", cfg.EventBusStreamReplicas))
	}
	if cfg.EventRetentionMaxBytes > 0 && cfg.WebhookMaxBodyBytes > 0 && cfg.EventRetentionMaxBytes < cfg.WebhookMaxBodyBytes {
		// Otherwise the largest webhook accepted could not be kept for a subscriber that resumes.
		errs = append(errs, fmt.Errorf("EVENT_RETENTION_MAX_BYTES %d is smaller than WEBHOOK_MAX_BODY_BYTES %d", cfg.EventRetentionMaxBytes, cfg.WebhookMaxBodyBytes))
	}
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, err := range errs {
			msgs[i] = err.Error()
		}
		return Config{}, errors.New("config: " + strings.Join(msgs, "; "))
	}
	return cfg, nil
}

// resolve picks the flag, then the environment variable, then (for secrets) the _FILE
// variant, then the default.
func (s *setting) resolve(getenv func(string) string) error {
	if s.flagSet {
		return nil
	}
	if v := getenv(s.env); v != "" {
		s.value = v
		return nil
	}
	if s.secret {
		if path := getenv(s.env + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("config: %s_FILE: cannot read %q: %v", s.env, path, errors.Unwrap(err))
			}
			s.value = strings.TrimSpace(string(b))
			if s.value == "" {
				return fmt.Errorf("config: %s_FILE: %q is empty", s.env, path)
			}
			return nil
		}
	}
	s.value = s.def
	return nil
}
