package benchmark

import (
	"bytes"
	"strings"
	"testing"
)

func TestFigureMetComparesRatioOrAbsoluteTargetInItsDirection(t *testing.T) {
	cases := []struct {
		name string
		f    Figure
		want bool
	}{
		{"throughput ratio reached", Figure{Gateway: 150, AnchorName: "sdk", Anchor: 100, Target: 1.5}, true},
		{"throughput ratio missed", Figure{Gateway: 149, AnchorName: "sdk", Anchor: 100, Target: 1.5}, false},
		{"latency bound kept", Figure{Gateway: 19, Better: LowerIsBetter, Target: 20}, true},
		{"latency bound broken", Figure{Gateway: 21, Better: LowerIsBetter, Target: 20}, false},
		{"memory ratio kept", Figure{Gateway: 2, AnchorName: "body", Anchor: 1, Better: LowerIsBetter, Target: 2}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.f.Met(); got != c.want {
				t.Fatalf("Met() = %v, want %v (ratio %.3f)", got, c.want, c.f.Ratio())
			}
		})
	}
}

func TestWriteTablePrintsOneRowPerFigureWithRatioAndVerdict(t *testing.T) {
	var buf bytes.Buffer
	err := WriteTable(&buf, []Figure{
		{Name: "stream", Unit: "records/s", Gateway: 250000, AnchorName: "SDK loop", Anchor: 125000, Target: 1.5},
		{Name: "fan-out p99", Unit: "ms", Gateway: 30, Better: LowerIsBetter, Target: 20},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want header and two rows, got:\n%s", buf.String())
	}
	for _, want := range []string{"250,000 records/s", "125,000 records/s (SDK loop)", "2.00×", "≥ 1.50×", "yes"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row %q lacks %q", lines[1], want)
		}
	}
	if !strings.Contains(lines[2], "≤ 20.0 ms") || !strings.HasSuffix(strings.TrimSpace(lines[2]), "NO") {
		t.Errorf("row %q should show the bound and NO", lines[2])
	}
}
