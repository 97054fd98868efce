package soak

import "testing"

// The soak reads RSS from /proc; a parse slip would switch the RSS check off unnoticed.
func TestReadRSSFindsTheResidentSetOnLinux(t *testing.T) {
	if got := readRSS(); got < 1<<20 {
		t.Errorf("readRSS() = %d, want this process's resident set (over 1 MiB)", got)
	}
}
