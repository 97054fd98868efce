// Package benchmark measures the gateway against the things it replaces —
// the official SDK's page loop, a bare reverse proxy — side by side in one
// run, and prints one table of figures with their ratios. Targets live
// here, not in timed unit tests: the machines that run them are shared and
// noisy, so only ratios measured in the same run mean anything.
//
// Each scenario registers itself with Register; `make bench` runs them all
// through ./internal/benchmark/cmd/bench. The package's own tests run every
// scenario at a tiny size so the harness cannot rot between benchmark runs.
package benchmark
