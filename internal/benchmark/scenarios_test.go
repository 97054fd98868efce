package benchmark

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"
)

// TestEveryScenarioRunsAtTinySizeAndReportsFigures keeps the harness honest
// between benchmark runs; it checks that figures come out, not their values.
func TestEveryScenarioRunsAtTinySizeAndReportsFigures(t *testing.T) {
	tools, err := filepath.Abs("../../tools")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			figs, err := s.Run(ctx, Env{Size: Tiny, ToolsDir: tools, Log: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			if len(figs) == 0 {
				t.Fatal("scenario reported no figure")
			}
			for _, f := range figs {
				if f.Gateway <= 0 || (f.AnchorName != "" && f.Anchor <= 0) {
					t.Errorf("figure %q has no measurement: %+v", f.Name, f)
				}
			}
		})
	}
}
