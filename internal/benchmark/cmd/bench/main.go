// Command bench runs every benchmark scenario side by side and prints one
// table: the gateway's figure, the anchor's, their ratio and the target.
// It exits non-zero when a target is missed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/nango-gateway/nango-gateway/internal/benchmark"
)

func main() {
	tools := flag.String("tools", "tools", "directory holding node_modules (make tools)")
	only := flag.String("run", "", "run only the scenario with this name")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dir, err := filepath.Abs(*tools)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	env := benchmark.Env{Size: benchmark.Full, ToolsDir: dir, Log: os.Stderr}
	var figures []benchmark.Figure
	failed := false
	for _, s := range benchmark.Scenarios() {
		if *only != "" && s.Name != *only {
			continue
		}
		fmt.Fprintf(os.Stderr, "running %s…\n", s.Name)
		figs, err := s.Run(ctx, env)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
			failed = true
			continue
		}
		figures = append(figures, figs...)
	}
	if err := benchmark.WriteTable(os.Stdout, figures); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for _, f := range figures {
		failed = failed || !f.Met()
	}
	if failed {
		os.Exit(1)
	}
}
