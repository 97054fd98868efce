package soak

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sample is one reading of the process.
type sample struct {
	goroutines int
	heap       uint64        // live heap after the last GC: what the program holds, not what awaits collection
	rss        uint64        // 0 where /proc is missing
	fds        int           // open file descriptors; 0 where /proc is missing
	calls      int           // calls still under way when the sample was taken (normally none)
	subs       int           // subscribers alive then
	held       time.Duration // how long new calls were held for this reading
}

const heapLiveMetric = "/gc/heap/live:bytes"

// takeSample reads the process without stopping the world for long: no forced GC, which
// would change what is measured.
func takeSample() sample {
	m := []metrics.Sample{{Name: heapLiveMetric}}
	metrics.Read(m)
	s := sample{goroutines: runtime.NumGoroutine(), rss: readRSS(), fds: countFDs()}
	if m[0].Value.Kind() == metrics.KindUint64 {
		s.heap = m[0].Value.Uint64()
	}
	return s
}

// readRSS is VmRSS from /proc/self/status, in bytes; 0 when it cannot be read.
func readRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest) // "12345 kB"
		if len(fields) == 2 && fields[1] == "kB" {
			if kb, err := strconv.ParseUint(fields[0], 10, 64); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// countFDs is how many file descriptors the process holds open (sockets included).
func countFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(entries)
}

// allowance is how far the last third of a run may sit above the middle third and still
// count as flat: the larger of an absolute and a relative margin. Generous on purpose:
// the machines that run this are shared, and a leak shows as a climb that outgrows any
// fixed margin as the run gets longer.
type allowance struct {
	abs  float64
	frac float64
}

// Even at rest the steady state wanders: the gateway's keep-alive pool to Nango holds
// up to 8 idle connections (on loopback each is two descriptors and three goroutines),
// and a subscriber or two more or fewer are alive (about five goroutines each).
var (
	goroutineAllowance = allowance{abs: 30, frac: 0.10}
	fdAllowance        = allowance{abs: 20, frac: 0.10}
	memoryAllowance    = allowance{abs: 32 << 20, frac: 0.50}
)

// verdict compares the last third of a series with its middle third (the first third is
// warm-up: connection pools, caches and the event bus's retention filling up).
type verdict struct {
	mid, last, limit float64
	flat             bool
}

// judgeFlat compares medians, not single readings, so a burst of in-flight calls or a
// collection that happens to land on a sample cannot decide the outcome.
func judgeFlat(series []float64, a allowance) (verdict, error) {
	if len(series) < 6 {
		return verdict{}, fmt.Errorf("%d samples, need at least 6 to judge", len(series))
	}
	third := len(series) / 3
	mid, last := median(series[third:2*third]), median(series[2*third:])
	limit := mid + max(a.abs, a.frac*mid)
	return verdict{mid: mid, last: last, limit: limit, flat: last <= limit}, nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func series(samples []sample, f func(sample) float64) []float64 {
	out := make([]float64, len(samples))
	for i, s := range samples {
		out[i] = f(s)
	}
	return out
}

// logWatch is the gateway's logger during the soak: it keeps nothing but counts what
// matters (panics recovered by the middleware, errors), with the first few messages, so
// the test can fail on them. Records below Warn are never built.
type logWatch struct {
	mu       sync.Mutex
	panics   int
	errors   int
	warns    int
	first    []string
	messages map[string]int // by level and message, for the summary
}

func (w *logWatch) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (w *logWatch) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case strings.Contains(r.Message, "panic"):
		w.panics++
	case r.Level >= slog.LevelError:
		w.errors++
	default:
		w.warns++
	}
	if w.messages == nil {
		w.messages = map[string]int{}
	}
	// The message, and which call with what code: other attributes may carry request
	// details.
	key := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "grpc.method", "grpc.code", "route", "http.status":
			key += " " + a.Key + "=" + a.Value.String()
		}
		return true
	})
	if len(w.messages) < 20 || w.messages[key] > 0 {
		w.messages[key]++
	}
	if r.Level >= slog.LevelError && len(w.first) < 5 {
		w.first = append(w.first, key)
	}
	return nil
}

func (w *logWatch) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *logWatch) WithGroup(string) slog.Handler      { return w }

func (w *logWatch) counts() (panics, errors, warns int, first []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.panics, w.errors, w.warns, slices.Clone(w.first)
}

func (w *logWatch) byMessage() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.messages)
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }
