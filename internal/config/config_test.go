package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadReadsFlagsEnvAndFilesWithFlagsWinning(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c Config)
	}{
		{
			name: "defaults with a key from the environment",
			env:  map[string]string{"NANGO_SECRET_KEY": "k", "CLIENTS_FILE": "/etc/gateway/clients.yaml"},
			check: func(t *testing.T, c Config) {
				if c.NangoHost != "https://api.nango.dev" || c.GRPCAddr != ":50051" || c.HTTPAddr != ":8080" ||
					c.LogLevel != slog.LevelInfo || c.ShutdownGrace != 15*time.Second || c.NangoSecretKey != "k" {
					t.Errorf("unexpected defaults: %+v", c)
				}
				if c.EventBusURL != "" || c.EventBusStream != "NANGO_WEBHOOKS" || c.EventRetentionMaxAge != 24*time.Hour ||
					c.EventRetentionMaxEvents != 100000 || c.WebhookMaxBodyBytes != 1<<20 || c.WebhookAllowLegacySignature || c.SubscriberBuffer != 256 || c.EventRetentionMaxBytes != 256<<20 ||
					c.StreamHeartbeatInterval != 15*time.Second || c.WatchPollInterval != 30*time.Second {
					t.Errorf("unexpected event defaults: %+v", c)
				}
				if c.UpstreamTimeout != 30*time.Second || c.UpstreamActionTimeout != 15*time.Minute || c.UpstreamMaxAttempts != 3 ||
					!c.UpstreamRateGovernor || c.UpstreamMaxIdleConns != 64 || c.UpstreamDialTimeout != 5*time.Second {
					t.Errorf("unexpected upstream defaults: %+v", c)
				}
				if c.ActionWaitMax != 15*time.Minute {
					t.Errorf("ActionWaitMax = %s, want 15m", c.ActionWaitMax)
				}
				if c.ClientsFile != "/etc/gateway/clients.yaml" || c.InsecureNoAuth {
					t.Errorf("access not from CLIENTS_FILE: %+v", c)
				}
				if c.RateBudget != "local" || c.RateBudgetReplicas != 3 || c.RateBudgetBucket != "NANGO_RATE_BUDGET" {
					t.Errorf("without an event bus the rate budget is local: %+v", c)
				}
			},
		},
		{
			name: "the rate budget is shared when replicas share NATS",
			env:  map[string]string{"NANGO_SECRET_KEY": "k", "INSECURE_NO_AUTH": "true", "EVENT_BUS_URL": "nats://nats:4222", "RATE_BUDGET_REPLICAS": "5"},
			check: func(t *testing.T, c Config) {
				if c.RateBudget != "shared" || c.RateBudgetReplicas != 5 {
					t.Errorf("rate budget %q for %d replicas, want shared for 5", c.RateBudget, c.RateBudgetReplicas)
				}
			},
		},
		{
			name: "a local rate budget may be chosen beside NATS",
			env:  map[string]string{"NANGO_SECRET_KEY": "k", "INSECURE_NO_AUTH": "true", "EVENT_BUS_URL": "nats://nats:4222", "RATE_BUDGET": "local"},
			check: func(t *testing.T, c Config) {
				if c.RateBudget != "local" {
					t.Errorf("rate budget %q, want local", c.RateBudget)
				}
			},
		},
		{
			name: "secret from a _FILE variant, trimmed",
			env:  map[string]string{"NANGO_SECRET_KEY_FILE": keyFile, "NANGO_WEBHOOK_SIGNING_KEY_FILE": keyFile, "INSECURE_NO_AUTH": "true"},
			check: func(t *testing.T, c Config) {
				if c.NangoSecretKey != "from-file" || c.WebhookSigningKey != "from-file" {
					t.Errorf("keys not read from file")
				}
			},
		},
		{
			name: "flag wins over environment",
			args: []string{"--grpc-addr", "127.0.0.1:1", "--log-level=debug", "--insecure-no-auth=true"},
			env:  map[string]string{"NANGO_SECRET_KEY": "k", "GRPC_ADDR": ":9", "LOG_LEVEL": "error"},
			check: func(t *testing.T, c Config) {
				if c.GRPCAddr != "127.0.0.1:1" || c.LogLevel != slog.LevelDebug {
					t.Errorf("flags did not win: %+v", c)
				}
			},
		},
		{
			name: "an event bus URL lists the servers of a NATS cluster",
			env:  map[string]string{"NANGO_SECRET_KEY": "k", "INSECURE_NO_AUTH": "true", "EVENT_BUS_URL": "nats://nats-0:4222, nats://nats-1:4222,tls://nats-2:4222", "EVENT_BUS_STREAM_REPLICAS": "3"},
			check: func(t *testing.T, c Config) {
				if c.EventBusURL != "nats://nats-0:4222, nats://nats-1:4222,tls://nats-2:4222" || c.EventBusStreamReplicas != 3 {
					t.Errorf("event bus = %q R%d", c.EventBusURL, c.EventBusStreamReplicas)
				}
			},
		},
		{
			name: "demo needs no key",
			args: []string{"--demo"},
			check: func(t *testing.T, c Config) {
				if !c.Demo || !c.InsecureNoAuth {
					t.Errorf("demo without a clients file should serve without access control: %+v", c)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.args, env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadNamesTheBadSettingInOneLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"missing key", nil, map[string]string{"INSECURE_NO_AUTH": "true"}, "NANGO_SECRET_KEY is required"},
		{"no access control chosen", nil, map[string]string{"NANGO_SECRET_KEY": "k"}, "CLIENTS_FILE is required"},
		{"access control both ways", []string{"--insecure-no-auth=true"}, map[string]string{"NANGO_SECRET_KEY": "k", "CLIENTS_FILE": "/x"}, "contradict"},
		{"bad insecure switch", nil, map[string]string{"NANGO_SECRET_KEY": "k", "INSECURE_NO_AUTH": "sure"}, "INSECURE_NO_AUTH"},
		{"bad host", nil, map[string]string{"NANGO_SECRET_KEY": "k", "NANGO_HOST": "ftp://x"}, "NANGO_HOST"},
		{"bad grpc addr", nil, map[string]string{"NANGO_SECRET_KEY": "k", "GRPC_ADDR": "50051"}, "GRPC_ADDR"},
		{"bad http addr", []string{"--http-addr", "nope"}, map[string]string{"NANGO_SECRET_KEY": "k"}, "HTTP_ADDR"},
		{"bad log level", nil, map[string]string{"NANGO_SECRET_KEY": "k", "LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"bad grace", nil, map[string]string{"NANGO_SECRET_KEY": "k", "SHUTDOWN_GRACE": "soon"}, "SHUTDOWN_GRACE"},
		{"bad size", nil, map[string]string{"NANGO_SECRET_KEY": "k", "MAX_MESSAGE_BYTES": "-1"}, "MAX_MESSAGE_BYTES"},
		{"bad event bus url", nil, map[string]string{"NANGO_SECRET_KEY": "k", "EVENT_BUS_URL": "redis://x"}, "EVENT_BUS_URL"},
		{"bad entry in an event bus url list", nil, map[string]string{"NANGO_SECRET_KEY": "k", "INSECURE_NO_AUTH": "true", "EVENT_BUS_URL": "nats://a:4222,redis://b"}, "EVENT_BUS_URL: entry 2"},
		{"empty entry in an event bus url list", nil, map[string]string{"NANGO_SECRET_KEY": "k", "INSECURE_NO_AUTH": "true", "EVENT_BUS_URL": "nats://a:4222,"}, "EVENT_BUS_URL: entry 2"},
		{"too many stream replicas", nil, map[string]string{"NANGO_SECRET_KEY": "k", "INSECURE_NO_AUTH": "true", "EVENT_BUS_STREAM_REPLICAS": "7"}, "EVENT_BUS_STREAM_REPLICAS"},
		{"bad retention age", nil, map[string]string{"NANGO_SECRET_KEY": "k", "EVENT_RETENTION_MAX_AGE": "a day"}, "EVENT_RETENTION_MAX_AGE"},
		{"bad retention bytes", nil, map[string]string{"NANGO_SECRET_KEY": "k", "EVENT_RETENTION_MAX_BYTES": "lots"}, "EVENT_RETENTION_MAX_BYTES"},
		{"retention bytes below the largest webhook", nil, map[string]string{"NANGO_SECRET_KEY": "k", "EVENT_RETENTION_MAX_BYTES": "1000", "WEBHOOK_MAX_BODY_BYTES": "2000"}, "EVENT_RETENTION_MAX_BYTES"},
		{"bad legacy switch", nil, map[string]string{"NANGO_SECRET_KEY": "k", "WEBHOOK_ALLOW_LEGACY_SIGNATURE": "maybe"}, "WEBHOOK_ALLOW_LEGACY_SIGNATURE"},
		{"bad upstream timeout", nil, map[string]string{"NANGO_SECRET_KEY": "k", "UPSTREAM_TIMEOUT": "-1s"}, "UPSTREAM_TIMEOUT"},
		{"bad max attempts", nil, map[string]string{"NANGO_SECRET_KEY": "k", "UPSTREAM_MAX_ATTEMPTS": "zero"}, "UPSTREAM_MAX_ATTEMPTS"},
		{"bad governor switch", nil, map[string]string{"NANGO_SECRET_KEY": "k", "UPSTREAM_RATE_GOVERNOR": "on-ish"}, "UPSTREAM_RATE_GOVERNOR"},
		{"bad demo switch", nil, map[string]string{"DEMO": "yes please"}, "DEMO"},
		{"zero action wait", nil, map[string]string{"NANGO_SECRET_KEY": "k", "ACTION_WAIT_MAX": "0s"}, "ACTION_WAIT_MAX"},
		{"bad action wait", nil, map[string]string{"NANGO_SECRET_KEY": "k", "ACTION_WAIT_MAX": "forever"}, "ACTION_WAIT_MAX"},
		{"bad subscriber buffer", nil, map[string]string{"NANGO_SECRET_KEY": "k", "SUBSCRIBER_BUFFER": "0"}, "SUBSCRIBER_BUFFER"},
		{"heartbeat interval not a duration", nil, map[string]string{"NANGO_SECRET_KEY": "k", "STREAM_HEARTBEAT_INTERVAL": "often"}, "STREAM_HEARTBEAT_INTERVAL"},
		{"heartbeat interval below a second", nil, map[string]string{"NANGO_SECRET_KEY": "k", "STREAM_HEARTBEAT_INTERVAL": "500ms"}, "STREAM_HEARTBEAT_INTERVAL"},
		{"heartbeat interval above ten minutes", nil, map[string]string{"NANGO_SECRET_KEY": "k", "STREAM_HEARTBEAT_INTERVAL": "1h"}, "STREAM_HEARTBEAT_INTERVAL"},
		{"watch poll interval below a second", nil, map[string]string{"NANGO_SECRET_KEY": "k", "WATCH_POLL_INTERVAL": "100ms"}, "WATCH_POLL_INTERVAL"},
		{"bad watch poll interval", nil, map[string]string{"NANGO_SECRET_KEY": "k", "WATCH_POLL_INTERVAL": "often"}, "WATCH_POLL_INTERVAL"},
		{"unreadable key file", nil, map[string]string{"NANGO_SECRET_KEY_FILE": "/nonexistent/key"}, "NANGO_SECRET_KEY_FILE"},
		{"unknown flag", []string{"--nope"}, nil, "nope"},
		{"bad rate budget", nil, map[string]string{"NANGO_SECRET_KEY": "k", "INSECURE_NO_AUTH": "true", "RATE_BUDGET": "fleet"}, "RATE_BUDGET"},
		{"shared rate budget without NATS", nil, map[string]string{"NANGO_SECRET_KEY": "k", "INSECURE_NO_AUTH": "true", "RATE_BUDGET": "shared"}, "needs EVENT_BUS_URL"},
		{"bad rate budget replicas", nil, map[string]string{"NANGO_SECRET_KEY": "k", "INSECURE_NO_AUTH": "true", "RATE_BUDGET_REPLICAS": "0"}, "RATE_BUDGET_REPLICAS"},
		{"bad rate budget bucket", nil, map[string]string{"NANGO_SECRET_KEY": "k", "INSECURE_NO_AUTH": "true", "RATE_BUDGET_BUCKET": "a.b"}, "RATE_BUDGET_BUCKET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.args, env(tt.env))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming %q", msg, tt.want)
			}
		})
	}
}

func TestStringNeverPrintsSecrets(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"NANGO_SECRET_KEY": "sk-very-secret", "NANGO_WEBHOOK_SIGNING_KEY": "whk-secret", "INSECURE_NO_AUTH": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.String(); strings.Contains(s, "very-secret") || strings.Contains(s, "whk-secret") {
		t.Errorf("String() leaks a secret: %s", s)
	}
}
