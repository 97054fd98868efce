//go:build unix

package benchmark

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used, user and system. The machines that
// run the benchmark are shared: CPU per operation holds when wall-clock figures do not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
