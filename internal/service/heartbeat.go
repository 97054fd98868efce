package service

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// defaultHeartbeatInterval is below the idle timeouts of common proxies and load
// balancers (60 s and more), with room for a slow network.
const defaultHeartbeatInterval = 15 * time.Second

// heartbeatInterval is the silence after which a stream sends a heartbeat: the request's
// own (0 turns heartbeats off; protovalidate has checked its range), else the server's.
// 0 means no heartbeats.
func heartbeatInterval(requested *durationpb.Duration, d Deps) time.Duration {
	if requested != nil {
		return requested.AsDuration()
	}
	if d.HeartbeatInterval > 0 {
		return d.HeartbeatInterval
	}
	return defaultHeartbeatInterval
}

// heartbeat is the message a stream sends after a silent interval.
func heartbeat(d Deps) *gatewayv1.Heartbeat {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	return &gatewayv1.Heartbeat{SentAt: timestamppb.New(now())}
}

// silenceTimer fires once a stream has sent nothing for its interval. A message only
// notes the time: the timer is not restarted per message (a busy stream pays a clock read),
// but when it fires early it is set again for the rest of the silence. The zero interval
// never fires.
type silenceTimer struct {
	interval time.Duration
	t        *time.Timer
	last     time.Time // the last message, heartbeats included
}

func newSilenceTimer(interval time.Duration) *silenceTimer {
	s := &silenceTimer{interval: interval}
	if interval > 0 {
		s.t = time.NewTimer(interval)
		s.last = time.Now()
	}
	return s
}

// C fires when a silent interval may have passed; it is nil (never ready) when
// heartbeats are off.
func (s *silenceTimer) C() <-chan time.Time {
	if s.t == nil {
		return nil
	}
	return s.t.C
}

// due tells, when C fired, whether the stream has been silent for its interval; if so the
// caller sends a heartbeat, which starts the next interval.
func (s *silenceTimer) due() bool {
	now := time.Now()
	if quiet := now.Sub(s.last); quiet < s.interval {
		s.t.Reset(s.interval - quiet)
		return false
	}
	s.last = now
	s.t.Reset(s.interval)
	return true
}

// sent notes a message other than a heartbeat.
func (s *silenceTimer) sent() {
	if s.t != nil {
		s.last = time.Now()
	}
}

func (s *silenceTimer) stop() {
	if s.t != nil {
		s.t.Stop()
	}
}
