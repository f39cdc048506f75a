//go:build !linux

package main

import "os"

// childRChar is Linux-only (/proc/PID/io).
func childRChar(int) int64 { return -1 }

// maxRSS is not reported off Linux: units differ (bytes on macOS) and the figures in README.md
// are Linux ones.
func maxRSS(*os.ProcessState) int64 { return -1 }
