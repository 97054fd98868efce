package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/stats"

	"github.com/nango-gateway/nango-gateway/gen/openapiv2"
	"github.com/nango-gateway/nango-gateway/internal/access"
	"github.com/nango-gateway/nango-gateway/internal/config"
	"github.com/nango-gateway/nango-gateway/internal/eventbus"
	"github.com/nango-gateway/nango-gateway/internal/gateway"
	"github.com/nango-gateway/nango-gateway/internal/middleware"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
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
	bus        eventbus.Bus
	demo       *simulator.Server

	// closers run in reverse order after both servers stopped.
	closers []func()

	mu    sync.Mutex
	ready bool

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
	s.bus = tel.Bus(s.bus)
	s.closers = append(s.closers, func() { _ = s.bus.Close() })

	upstream, err := nangohttp.New(nangohttp.Config{
		BaseURL:             upstreamURL,
		SecretKey:           secretKey,
		Retry:               nangohttp.RetryConfig{MaxAttempts: cfg.UpstreamMaxAttempts},
		DefaultTimeout:      cfg.UpstreamTimeout,
		ActionTimeout:       cfg.UpstreamActionTimeout,
		AttemptTimeout:      cfg.UpstreamAttemptTimeout,
		DisableGovernor:     !cfg.UpstreamRateGovernor,
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

	guard, err := s.accessGuard()
	if err != nil {
		return nil, err
	}
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
	s.grpcServer = grpc.NewServer(append(chain,
		grpc.MaxRecvMsgSize(cfg.MaxMessageBytes),
		grpc.MaxSendMsgSize(cfg.MaxMessageBytes),
	)...)
	service.RegisterAll(s.grpcServer, service.Deps{
		Upstream:                  upstream,
		Logger:                    logger,
		MaxProxyBodyBytes:         cfg.ProxyMaxBodyBytes,
		Bus:                       s.bus,
		WebhookSigningKey:         signingKey,
		WebhookSigningKeyPrevious: previousSigningKey,
		SubscriberBuffer:          cfg.SubscriberBuffer,
	})
	s.health = health.NewServer()
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(s.grpcServer, s.health)
	reflection.Register(s.grpcServer)

	// The REST face is a real client of the gRPC server, so REST calls pass through every
	// interceptor and streams work.
	s.selfConn, err = grpc.NewClient(dialTarget(s.grpcLis.Addr()), append(gateway.DialOptions(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(tel.ClientStatsHandler()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cfg.MaxMessageBytes), grpc.MaxCallSendMsgSize(cfg.MaxMessageBytes)),
	)...)
	if err != nil {
		return nil, fmt.Errorf("connect the REST face to gRPC: %w", err)
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
		Handler:           middleware.Tracing(tel.TracerProvider(), tel.Propagator(), mux),
		ReadHeaderTimeout: 10 * time.Second,
		// No write timeout: synchronous actions may take 15 minutes and streams are long.
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s, nil
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
	go func() {
		if err := s.httpServer.Serve(s.httpLis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr <- err
		}
	}()
	s.setReady(true)
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

// Shutdown reports NOT_SERVING, ends webhook-event streams, lets HTTP calls finish, drains
// gRPC, and forces both after the grace period.
func (s *Server) Shutdown() {
	s.setReady(false)
	s.health.Shutdown()
	deadline := time.Now().Add(s.cfg.ShutdownGrace)
	if s.demo != nil {
		// No more demo webhooks; the simulator keeps answering the calls being drained.
		s.demo.Simulator.Close()
	}
	// Webhook-event streams never end by themselves: closing the bus ends them (clients
	// resume on another replica after their last sequence), so draining can finish. A
	// webhook arriving now gets 503 and Nango delivers it again.
	_ = s.bus.Close()

	httpCtx, cancel := context.WithDeadline(context.Background(), deadline)
	if err := s.httpServer.Shutdown(httpCtx); err != nil {
		s.logger.Warn("HTTP calls cut off after the grace period", "error", err)
		_ = s.httpServer.Close()
	}
	cancel()

	drained := make(chan struct{})
	go func() {
		s.grpcServer.GracefulStop()
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(time.Until(deadline)):
		s.logger.Warn("gRPC calls cut off after the grace period")
		s.grpcServer.Stop()
		<-drained
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

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	ready := s.ready
	s.mu.Unlock()
	if !ready {
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
		return eventbus.NewMemory(eventbus.MemoryOptions{MaxEvents: cfg.EventRetentionMaxEvents, MaxAge: cfg.EventRetentionMaxAge}), nil
	}
	bus, err := eventbus.NewJetStream(ctx, eventbus.JetStreamOptions{
		URL:       cfg.EventBusURL,
		Stream:    cfg.EventBusStream,
		MaxEvents: int64(cfg.EventRetentionMaxEvents),
		MaxAge:    cfg.EventRetentionMaxAge,
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

// dialTarget is the gRPC target of a listener of this process.
func dialTarget(addr net.Addr) string { return "passthrough:///" + loopbackAddr(addr) }
