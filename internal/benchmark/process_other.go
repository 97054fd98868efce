//go:build !linux

package benchmark

import "os/exec"

// dieWithParent has no portable equivalent outside Linux; Stop ends the child.
func dieWithParent(*exec.Cmd) {}
