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
}

// String never prints a secret.
func (c Config) String() string {
	return fmt.Sprintf("nango_host=%s grpc_addr=%s http_addr=%s log_level=%s demo=%t", c.NangoHost, c.GRPCAddr, c.HTTPAddr, c.LogLevel, c.Demo)
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
		{flag: "http-addr", env: "HTTP_ADDR", def: ":8080", usage: "HTTP listen address (REST face, health, webhooks)"},
		{flag: "log-level", env: "LOG_LEVEL", def: "info", usage: "debug, info, warn or error"},
		{flag: "shutdown-grace", env: "SHUTDOWN_GRACE", def: "15s", usage: "how long in-flight calls may drain on shutdown"},
		{flag: "max-message-bytes", env: "MAX_MESSAGE_BYTES", def: strconv.Itoa(64 << 20), usage: "largest gRPC message and REST body accepted"},
		{flag: "proxy-max-body-bytes", env: "PROXY_MAX_BODY_BYTES", def: strconv.Itoa(32 << 20), usage: "largest proxied request or response body"},
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
		HTTPAddr:                  get("http-addr").value,
		Demo:                      *demo || isTrue(getenv("DEMO")),
	}
	var errs []error
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
	grace := get("shutdown-grace")
	if d, err := time.ParseDuration(grace.value); err != nil || d < 0 {
		errs = append(errs, fmt.Errorf("SHUTDOWN_GRACE %q is not a duration such as 15s", grace.value))
	} else {
		cfg.ShutdownGrace = d
	}
	for _, p := range []struct {
		s   *setting
		dst *int
	}{{get("max-message-bytes"), &cfg.MaxMessageBytes}, {get("proxy-max-body-bytes"), &cfg.ProxyMaxBodyBytes}} {
		n, err := strconv.Atoi(p.s.value)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s %q is not a positive number of bytes", p.s.env, p.s.value))
			continue
		}
		*p.dst = n
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

func isTrue(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && b
}
