package soak

import (
	"strings"
	"testing"
)

// The judgement that decides the soak must pass noise and fail growth, or the soak
// proves nothing either way.
func TestJudgeFlatPassesNoiseAndFailsGrowth(t *testing.T) {
	for _, tc := range []struct {
		name   string
		series []float64
		a      allowance
		flat   bool
	}{
		{"a level with spikes in both thirds", []float64{10, 50, 60, 60, 90, 61, 59, 60, 62, 95, 61, 60}, goroutineAllowance, true},
		{"warm-up climb then level", []float64{5, 20, 40, 60, 60, 61, 60, 59, 61, 60, 62, 60}, goroutineAllowance, true},
		{"a spike on most of the last third is growth", []float64{60, 60, 60, 60, 60, 60, 60, 60, 60, 95, 95, 95}, goroutineAllowance, false},
		{"a steady climb of goroutines", []float64{100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 210}, goroutineAllowance, false},
		{"within the absolute margin", []float64{60, 60, 60, 60, 60, 60, 60, 60, 89, 89, 90, 90}, goroutineAllowance, true},
		{"within the relative margin of a large count", []float64{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1090, 1100, 1100, 1100}, goroutineAllowance, true},
		{"open files past their margin", []float64{30, 30, 30, 30, 30, 30, 30, 30, 55, 55, 55, 55}, fdAllowance, false},
		{"heap doubling", []float64{10 << 20, 40 << 20, 40 << 20, 40 << 20, 40 << 20, 80 << 20, 80 << 20, 80 << 20, 80 << 20}, memoryAllowance, false},
		{"heap wandering by a few MiB", []float64{5 << 20, 12 << 20, 14 << 20, 11 << 20, 15 << 20, 12 << 20, 16 << 20, 13 << 20, 14 << 20}, memoryAllowance, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := judgeFlat(tc.series, tc.a)
			if err != nil {
				t.Fatal(err)
			}
			if v.flat != tc.flat {
				t.Errorf("flat = %v, want %v (middle %v, last %v, limit %v)", v.flat, tc.flat, v.mid, v.last, v.limit)
			}
		})
	}
}

func TestJudgeFlatRefusesTooFewSamples(t *testing.T) {
	if _, err := judgeFlat([]float64{1, 2, 3, 4, 5}, goroutineAllowance); err == nil || !strings.Contains(err.Error(), "at least 6") {
		t.Errorf("err = %v, want one asking for at least 6 samples", err)
	}
}
