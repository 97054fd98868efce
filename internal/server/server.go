package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/test/bufconn"

	"github.com/nango-gateway/nango-gateway/gen/openapiv2"
	"github.com/nango-gateway/nango-gateway/internal/access"
	"github.com/nango-gateway/nango-gateway/internal/certs"
	"github.com/nango-gateway/nango-gateway/internal/config"
	"github.com/nango-gateway/nango-gateway/internal/eventbus"
	"github.com/nango-gateway/nango-gateway/internal/gateway"
	"github.com/nango-gateway/nango-gateway/internal/middleware"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/ratebudget"
	"github.com/nango-gateway/nango-gateway/internal/service"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
	"github.com/nango-gateway/nango-gateway/internal/telemetry"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

// Server is a running gateway.
type Server struct {
	cfg    config.Config
	logger *slog.Logger

	grpcServer *grpc.Server
	health     *health.Server
	httpServer *http.Server
	grpcLis    net.Listener
	httpLis    net.Listener
	selfConn   *grpc.ClientConn
	inProcess  *bufconn.Listener
	bus        eventbus.Bus
	demo       *simulator.Server

	// closers run in reverse order after both servers stopped.
	closers []func()

	drain drainGate

	mu     sync.Mutex
	ready  bool
	busErr error // the event bus's last answer to Healthy

	serveErr chan error
}

// New builds the gateway and binds its listeners, so the addresses are known (":0" picks
// free ports) before Start.
func New(ctx context.Context, cfg config.Config, logger *slog.Logger) (_ *Server, err error) {
	s := &Server{cfg: cfg, logger: logger, serveErr: make(chan error, 2)}
	// On any error, release what was built so far (listeners, simulator, bus).
	defer func() {
		if err != nil {
			s.close()
		}
	}()

	// Traces, metrics and trace ids in logs, for everything built below.
	tel, err := telemetry.New(ctx, telemetry.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(flushCtx)
	})
	logger = tel.Logger(logger)
	s.logger = logger

	if s.grpcLis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
		return nil, fmt.Errorf("GRPC_ADDR %s: %w", cfg.GRPCAddr, err)
	}
	if s.httpLis, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}

	upstreamURL, secretKey := cfg.NangoHost, cfg.NangoSecretKey
	signingKey, previousSigningKey := cfg.WebhookSigningKey, cfg.WebhookSigningKeyPrevious
	if cfg.Demo {
		// The simulator signs its webhooks with its own key and posts them to this gateway.
		s.demo, err = simulator.Start(simulator.Options{
			Seed:       true,
			APIKey:     simulator.SeedAPIKey,
			WebhookURL: "http://" + loopbackAddr(s.httpLis.Addr()) + webhooks.Path,
		})
		if err != nil {
			return nil, fmt.Errorf("start the Nango simulator: %w", err)
		}
		s.closers = append(s.closers, s.demo.Close)
		upstreamURL, secretKey = s.demo.URL(), simulator.SeedAPIKey
		signingKey, previousSigningKey = s.demo.WebhookSigningKey(), ""
		logger.Info("demo mode: using the built-in Nango simulator", "nango_host", upstreamURL)
	}

	if s.bus, err = newEventBus(ctx, cfg); err != nil {
		return nil, err
	}
	var natsConn *nats.Conn // the bus's, which the rate budget shares
	if js, ok := s.bus.(*eventbus.JetStream); ok {
		natsConn = js.Conn()
	}
	s.bus = tel.Bus(s.bus)
	s.closers = append(s.closers, func() { _ = s.bus.Close() })

	guard, err := s.accessGuard()
	if err != nil {
		return nil, err
	}
	budget, err := s.rateBudget(tel.Metrics, natsConn)
	if err != nil {
		return nil, err
	}
	var callerShare func(string) (int, int)
	if guard != nil {
		callerShare = guard.RateShare
	}
	upstream, err := nangohttp.New(nangohttp.Config{
		BaseURL:             upstreamURL,
		SecretKey:           secretKey,
		Retry:               nangohttp.RetryConfig{MaxAttempts: cfg.UpstreamMaxAttempts},
		DefaultTimeout:      cfg.UpstreamTimeout,
		ActionTimeout:       cfg.UpstreamActionTimeout,
		AttemptTimeout:      cfg.UpstreamAttemptTimeout,
		DisableGovernor:     !cfg.UpstreamRateGovernor,
		SharedBudget:        budget,
		FallbackReplicas:    cfg.RateBudgetReplicas,
		Caller:              access.ClientName,
		CallerShare:         callerShare,
		MaxIdleConnsPerHost: cfg.UpstreamMaxIdleConns,
		DialTimeout:         cfg.UpstreamDialTimeout,
		TLSHandshakeTimeout: cfg.UpstreamTLSHandshakeTimeout,
		Logger:              logger,
		Metrics:             tel.Metrics,
		TracerProvider:      tel.TracerProvider(),
		Propagator:          tel.UpstreamPropagator(),
		Route:               telemetry.RouteName,
	})
	if err != nil {
		return nil, fmt.Errorf("upstream client: %w", err)
	}
	tel.Metrics.ObserveUpstream(upstream)
	s.closers = append(s.closers, upstream.CloseIdleConnections)

	extra := middleware.Extra{
		StatsHandlers: []stats.Handler{tel.ServerStatsHandler()},
		OuterUnary:    []grpc.UnaryServerInterceptor{tel.GRPCMetricsUnary()},
		OuterStream:   []grpc.StreamServerInterceptor{tel.GRPCMetricsStream()},
	}
	if guard != nil {
		// Before everything that may reach Nango.
		extra.Unary = append(extra.Unary, guard.UnaryInterceptor())
		extra.Stream = append(extra.Stream, guard.StreamInterceptor())
	}
	// After access control, which names the client these count by.
	extra.Unary = append(extra.Unary, tel.CallsUnary())
	extra.Stream = append(extra.Stream, tel.CallsStream())
	// Rate-limit waits the caller must make reach gRPC clients as grpc-retry-pushback-ms.
	extra.Unary = append(extra.Unary, nangohttp.PushbackUnaryInterceptor())
	extra.Stream = append(extra.Stream, nangohttp.PushbackStreamInterceptor())
	chain, err := middleware.ServerOptions(logger, extra)
	if err != nil {
		return nil, err
	}
	tlsConfig, err := s.serverTLS()
	if err != nil {
		return nil, err
	}
	remoteCreds := insecure.NewCredentials()
	if tlsConfig != nil {
		remoteCreds = credentials.NewTLS(tlsConfig)
	}
	s.grpcServer = grpc.NewServer(append(chain,
		grpc.Creds(access.ServerCredentials(remoteCreds)),
		grpc.MaxRecvMsgSize(cfg.MaxMessageBytes),
		grpc.MaxSendMsgSize(cfg.MaxMessageBytes),
		grpc.MaxConcurrentStreams(uint32(cfg.GRPCMaxConcurrentStreams)),
		// Calls run on a pool of long-lived goroutines whose stacks have already grown to
		// what the interceptor chain needs; a goroutine per call grows (copies) its stack
		// on every call. When every worker is busy, grpc-go starts a goroutine as before.
		grpc.NumStreamWorkers(grpcStreamWorkers),
		// Clients that ping more often than this are cut off (ENHANCE_YOUR_CALM); pings
		// without calls are fine, so idle clients keep their connection warm.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: cfg.GRPCKeepaliveMinTime, PermitWithoutStream: true}),
		// The server pings idle connections so dead peers (a vanished pod, a NAT that
		// dropped the flow) are found and their streams released.
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 2 * time.Minute, Timeout: 20 * time.Second}),
	)...)
	service.RegisterAll(s.grpcServer, service.Deps{
		Upstream:                  upstream,
		Logger:                    logger,
		MaxProxyBodyBytes:         cfg.ProxyMaxBodyBytes,
		Bus:                       s.bus,
		WebhookSigningKey:         signingKey,
		WebhookSigningKeyPrevious: previousSigningKey,
		SubscriberBuffer:          cfg.SubscriberBuffer,
		ActionWaitMax:             cfg.ActionWaitMax,
		HeartbeatInterval:         cfg.StreamHeartbeatInterval,
		WatchPollInterval:         cfg.WatchPollInterval,
	})
	s.health = health.NewServer()
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(s.grpcServer, s.health)
	if cfg.GRPCReflection {
		reflection.Register(s.grpcServer)
	}

	// The /v1 mapping is a real client of the gRPC server, so its calls pass through every
	// interceptor and streams work. It connects in process: no TCP, no TLS, and the gRPC
	// server knows the connection is its own (so it believes the client certificate the
	// HTTP face saw).
	s.inProcess = bufconn.Listen(inProcessBuffer)
	s.selfConn, err = grpc.NewClient("passthrough:///in-process", append(gateway.DialOptions(),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return s.inProcess.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(tel.ClientStatsHandler()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cfg.MaxMessageBytes), grpc.MaxCallSendMsgSize(cfg.MaxMessageBytes)),
	)...)
	if err != nil {
		return nil, fmt.Errorf("connect the /v1 mapping to gRPC: %w", err)
	}
	rest, err := gateway.New(ctx, gateway.Options{
		Conn:              s.selfConn,
		Upstream:          upstream,
		Logger:            logger,
		MaxBodyBytes:      int64(cfg.MaxMessageBytes),
		ProxyMaxBodyBytes: int64(cfg.ProxyMaxBodyBytes),
		Access:            guard,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writePlain(w, http.StatusOK, "ok") })
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapiv2.JSON)
	})
	webhookHandler, err := s.webhookHandler(signingKey, previousSigningKey)
	if err != nil {
		return nil, err
	}
	mux.Handle(webhooks.Path, tel.Webhooks(webhookHandler))
	// Exempt from access control, like the probes: scrapers hold no client token.
	mux.Handle("GET /metrics", tel.MetricsHandler())
	mux.Handle("/", rest)
	s.httpServer = &http.Server{
		Handler:           s.drain.wrap(middleware.Timeouts(middleware.Tracing(tel.TracerProvider(), tel.Propagator(), mux), cfg.HTTPReadBodyTimeout, cfg.HTTPWriteTimeout, gateway.IsStream)),
		ReadHeaderTimeout: cfg.HTTPReadHeaderTimeout,
		// No server-wide read or write timeout: it would also cut off streams, which
		// run for hours. Bodies and unary answers get theirs per request (Timeouts).
		IdleTimeout: cfg.HTTPIdleTimeout,
		TLSConfig:   tlsConfig,
		ErrorLog:    slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// inProcessBuffer is the in-process connection's buffer: large enough that a record
// page crosses it in a few writes.
const inProcessBuffer = 1 << 20

// grpcStreamWorkers is how many calls run on reused goroutines at once: above the
// concurrency one busy client connection typically keeps in flight.
const grpcStreamWorkers = 64

// serverTLS is the TLS of both listeners, or nil when TLS is off.
func (s *Server) serverTLS() (*tls.Config, error) {
	if s.cfg.TLSCertFile == "" {
		return nil, nil
	}
	return certs.ServerConfig(certs.Files{Cert: s.cfg.TLSCertFile, Key: s.cfg.TLSKeyFile, ClientCA: s.cfg.TLSClientCAFile}, s.logger)
}

// rateBudget opens the fleet's shared rate budget when RATE_BUDGET is shared (nil
// otherwise: the governor then follows this replica's view of Nango's window), on the
// event bus's NATS connection when there is one.
func (s *Server) rateBudget(m nangohttp.BudgetMetrics, conn *nats.Conn) (nangohttp.SharedBudget, error) {
	if s.cfg.RateBudget != "shared" || !s.cfg.UpstreamRateGovernor {
		m.BudgetMode(nangohttp.BudgetLocal)
		return nil, nil
	}
	opts := ratebudget.Options{
		URL:      s.cfg.EventBusURL,
		Bucket:   s.cfg.RateBudgetBucket,
		Replicas: s.cfg.EventBusStreamReplicas,
	}
	var store *ratebudget.Store
	var err error
	if conn != nil {
		store, err = ratebudget.New(conn, opts)
	} else {
		store, err = ratebudget.Open(opts)
	}
	if err != nil {
		return nil, fmt.Errorf("RATE_BUDGET: %w", err)
	}
	s.closers = append(s.closers, store.Close)
	m.BudgetMode(nangohttp.BudgetShared)
	s.logger.Info("rate budget shared with the other replicas through NATS", "bucket", s.cfg.RateBudgetBucket,
		"fallback_replicas", s.cfg.RateBudgetReplicas)
	return store, nil
}

// clientsReloadInterval is how often the clients file is reread: a mounted Kubernetes
// secret changes within a minute or so, and a read of a small file costs nothing.
const clientsReloadInterval = 2 * time.Second

// accessGuard loads the clients file and rereads it until the server closes. Without a
// file the gateway serves everyone, which only an explicit InsecureNoAuth allows.
func (s *Server) accessGuard() (*access.Guard, error) {
	if s.cfg.ClientsFile == "" {
		if !s.cfg.InsecureNoAuth {
			return nil, errors.New("CLIENTS_FILE is required (or InsecureNoAuth)")
		}
		s.logger.Warn("serving without access control: anyone who reaches the gateway uses its Nango key")
		return nil, nil
	}
	guard, err := access.Load(s.cfg.ClientsFile, s.logger)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		guard.Watch(ctx, clientsReloadInterval)
	}()
	s.closers = append(s.closers, func() { cancel(); <-done })
	return guard, nil
}

// GRPCAddr is the bound gRPC address.
func (s *Server) GRPCAddr() string { return s.grpcLis.Addr().String() }

// HTTPAddr is the bound HTTP address.
func (s *Server) HTTPAddr() string { return s.httpLis.Addr().String() }

// Start serves both listeners in the background and reports SERVING.
func (s *Server) Start() {
	go func() { s.serveErr <- s.grpcServer.Serve(s.grpcLis) }()
	go func() { _ = s.grpcServer.Serve(s.inProcess) }() // ends with the gRPC server
	go func() {
		var err error
		if s.httpServer.TLSConfig != nil {
			err = s.httpServer.ServeTLS(s.httpLis, "", "") // certificates come from TLSConfig
		} else {
			err = s.httpServer.Serve(s.httpLis)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr <- err
		}
	}()
	s.setReady(true)
	watchCtx, stopWatch := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() { defer close(watched); s.watchBus(watchCtx) }()
	s.closers = append(s.closers, func() { stopWatch(); <-watched })
	// Config.String never prints a secret.
	s.logger.Info("gateway serving", "grpc_addr", s.GRPCAddr(), "http_addr", s.HTTPAddr(), "config", s.cfg.String())
	if s.demo != nil {
		s.demo.RunDemoSyncs(demoSyncInterval)
	}
}

// demoSyncInterval is how often the demo's simulator runs a sync and posts its webhook
// (a variable so tests need not wait).
var demoSyncInterval = 5 * time.Second

// Run starts the gateway and blocks until ctx ends (a signal) or a listener fails, then
// shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	s.Start()
	var runErr error
	select {
	case <-ctx.Done():
		s.logger.Info("shutting down", "grace", s.cfg.ShutdownGrace.String())
	case runErr = <-s.serveErr:
		s.logger.Error("listener failed", "error", runErr)
	}
	s.Shutdown()
	return runErr
}

// Shutdown stops taking work and lets what is in progress finish within the grace
// period, on both listeners at once: readiness turns NOT_SERVING; gRPC refuses new calls
// while its calls and streams drain; HTTP answers new requests 503 (so a webhook is
// delivered again elsewhere) while its requests finish; webhook-event streams end, so
// their clients resume on another replica. What is left at the deadline is cut off.
func (s *Server) Shutdown() {
	s.setReady(false)
	s.health.Shutdown()
	s.drain.draining.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	if s.demo != nil {
		// No more demo webhooks; the simulator keeps answering the calls being drained.
		s.demo.Simulator.Close()
	}
	// Webhook-event streams never end by themselves: closing the bus ends them.
	_ = s.bus.Close()

	grpcDrained := make(chan struct{})
	go func() {
		s.grpcServer.GracefulStop()
		close(grpcDrained)
	}()

	s.drain.wait(ctx)
	if err := s.httpServer.Shutdown(ctx); err != nil {
		s.logger.Warn("HTTP calls cut off after the grace period", "error", err)
		_ = s.httpServer.Close()
	}
	select {
	case <-grpcDrained:
	case <-ctx.Done():
		s.logger.Warn("gRPC calls cut off after the grace period")
		s.grpcServer.Stop()
		<-grpcDrained
	}
	s.close()
}

func (s *Server) close() {
	if s.selfConn != nil {
		_ = s.selfConn.Close()
	}
	for _, l := range []net.Listener{s.grpcLis, s.httpLis} {
		if l != nil {
			_ = l.Close()
		}
	}
	if s.inProcess != nil {
		_ = s.inProcess.Close()
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

func (s *Server) setReady(ready bool) {
	s.mu.Lock()
	s.ready = ready
	s.mu.Unlock()
	if ready {
		s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	}
}

// busCheckInterval is how often readiness asks the event bus whether it can take events.
const busCheckInterval = time.Second

// watchBus keeps readiness in step with the event bus until ctx ends: while NATS is away
// the gateway says NOT_SERVING, so traffic (and Nango's webhooks) go to replicas that can
// take it, and SERVING again once it is back.
func (s *Server) watchBus(ctx context.Context) {
	t := time.NewTicker(busCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := eventbus.Healthy(s.bus)
		s.mu.Lock()
		changed := (err == nil) != (s.busErr == nil)
		s.busErr = err
		ready := s.ready
		s.mu.Unlock()
		if !changed || !ready {
			continue
		}
		if err != nil {
			s.logger.Warn("not ready: the event bus cannot take events", "error", err)
			s.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
		} else {
			s.logger.Info("ready again: the event bus takes events")
			s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
		}
	}
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	ready, busErr := s.ready, s.busErr
	s.mu.Unlock()
	if !ready || busErr != nil {
		writePlain(w, http.StatusServiceUnavailable, "not ready")
		return
	}
	writePlain(w, http.StatusOK, "ready")
}

func writePlain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body + "\n"))
}

// webhookHandler verifies and publishes Nango's webhooks; without a signing key nothing
// can be verified, so webhooks are refused rather than trusted.
func (s *Server) webhookHandler(key, previous string) (http.Handler, error) {
	if key == "" {
		s.logger.Warn("NANGO_WEBHOOK_SIGNING_KEY is not set: webhooks are refused")
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":{"code":"webhooks_not_configured","message":"the gateway has no webhook signing key"}}`))
		}), nil
	}
	h, err := webhooks.NewHandler(webhooks.HandlerOptions{
		Bus:                  s.bus,
		SigningKey:           key,
		PreviousSigningKey:   previous,
		AllowLegacySignature: s.cfg.WebhookAllowLegacySignature,
		MaxBodyBytes:         int64(s.cfg.WebhookMaxBodyBytes),
		Logger:               s.logger,
	})
	if err != nil {
		return nil, fmt.Errorf("webhook receiver: %w", err)
	}
	return h, nil
}

// newEventBus keeps events in memory, or on NATS JetStream when several replicas share them.
func newEventBus(ctx context.Context, cfg config.Config) (eventbus.Bus, error) {
	if cfg.EventBusURL == "" {
		return eventbus.NewMemory(eventbus.MemoryOptions{
			StartAfter: eventbus.EpochBase(time.Now()),
			MaxEvents:  cfg.EventRetentionMaxEvents,
			MaxAge:     cfg.EventRetentionMaxAge,
			MaxBytes:   int64(cfg.EventRetentionMaxBytes),
		}), nil
	}
	bus, err := eventbus.NewJetStream(ctx, eventbus.JetStreamOptions{
		URL:       cfg.EventBusURL,
		Stream:    cfg.EventBusStream,
		Replicas:  cfg.EventBusStreamReplicas,
		MaxEvents: int64(cfg.EventRetentionMaxEvents),
		MaxAge:    cfg.EventRetentionMaxAge,
		MaxBytes:  int64(cfg.EventRetentionMaxBytes),
	})
	if err != nil {
		return nil, fmt.Errorf("EVENT_BUS_URL: %w", err)
	}
	return bus, nil
}

// loopbackAddr is an address this process can dial to reach a listener on addr.
func loopbackAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		port := 0
		if ok {
			port = tcp.Port
		}
		return fmt.Sprintf("127.0.0.1:%d", port)
	}
	return tcp.String()
}
