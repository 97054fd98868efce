package benchmark

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
)

// Better says which direction of a figure is an improvement.
type Better int

const (
	HigherIsBetter Better = iota // throughput: records/s, req/s, events/s
	LowerIsBetter                // latency, memory, allocations
)

// Figure is one row of the table: what the gateway achieved, what the anchor
// (the thing it replaces) achieved in the same run, and the target.
type Figure struct {
	Name       string  // what was measured, e.g. "StreamRecords, Go client"
	Unit       string  // "records/s", "ms", "MiB", "allocs/record"
	Gateway    float64 // the gateway's figure
	AnchorName string  // e.g. "SDK listRecords loop"; empty for an absolute target
	Anchor     float64 // the anchor's figure, measured in the same run
	Better     Better
	// Target is either a minimum ratio gateway/anchor (HigherIsBetter with an
	// anchor), a maximum ratio (LowerIsBetter with an anchor), or an absolute
	// bound on Gateway when there is no anchor.
	Target float64
}

// Ratio is gateway/anchor, or 0 when the figure has no anchor.
func (f Figure) Ratio() float64 {
	if f.AnchorName == "" || f.Anchor == 0 {
		return 0
	}
	return f.Gateway / f.Anchor
}

// Met reports whether the figure reaches its target.
func (f Figure) Met() bool {
	v := f.Gateway
	if f.AnchorName != "" {
		v = f.Ratio()
	}
	if f.Better == HigherIsBetter {
		return v >= f.Target
	}
	return v <= f.Target
}

func (f Figure) targetText() string {
	op := "≥"
	if f.Better == LowerIsBetter {
		op = "≤"
	}
	if f.AnchorName != "" {
		return fmt.Sprintf("%s %.2f×", op, f.Target)
	}
	return fmt.Sprintf("%s %s %s", op, number(f.Target), f.Unit)
}

// Size scales a scenario: Full is what `make bench` runs, Tiny what the
// package's tests run to prove the scenario still works.
type Size int

const (
	Tiny Size = iota
	Full
)

// Env is what every scenario is given.
type Env struct {
	Size Size
	// ToolsDir holds node_modules with the official SDK and @grpc/grpc-js,
	// installed by `make tools`.
	ToolsDir string
	// Log receives progress lines (the table goes elsewhere).
	Log io.Writer
}

// Scenario measures one or more figures.
type Scenario struct {
	Name string
	Run  func(ctx context.Context, env Env) ([]Figure, error)
}

var (
	mu        sync.Mutex
	scenarios []Scenario
)

// Register adds a scenario; call it from an init function.
func Register(s Scenario) {
	mu.Lock()
	defer mu.Unlock()
	scenarios = append(scenarios, s)
}

// Scenarios returns the registered scenarios ordered by name.
func Scenarios() []Scenario {
	mu.Lock()
	defer mu.Unlock()
	out := append([]Scenario(nil), scenarios...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// WriteTable prints the figures as one aligned table.
func WriteTable(w io.Writer, figures []Figure) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tgateway\tanchor\tratio\ttarget\tmet")
	for _, f := range figures {
		anchor, ratio := "—", "—"
		if f.AnchorName != "" {
			anchor = fmt.Sprintf("%s %s (%s)", number(f.Anchor), f.Unit, f.AnchorName)
			ratio = fmt.Sprintf("%.2f×", f.Ratio())
		}
		met := "yes"
		if !f.Met() {
			met = "NO"
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\t%s\n", f.Name, number(f.Gateway), f.Unit, anchor, ratio, f.targetText(), met)
	}
	return tw.Flush()
}

// number prints a figure with digits that matter and thousands separated.
func number(v float64) string {
	if v >= 1000 {
		s := fmt.Sprintf("%.0f", v)
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		return b.String()
	}
	if v >= 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
