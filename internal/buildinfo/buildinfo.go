// Package buildinfo reports which build of cerrojo is running.
//
// Version and Commit are set at link time by release builds:
//
//	go build -ldflags "-X github.com/cerrojo/cerrojo/internal/buildinfo.Version=v1.2.3 \
//	  -X github.com/cerrojo/cerrojo/internal/buildinfo.Commit=abc123" ./cmd/cerrojo
//
// When they are not set, the values recorded by the Go toolchain in the
// binary (module version, VCS revision) are used instead, so a plain
// `go build` still says something true.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is the release version, set with -ldflags -X at link time.
var Version = ""

// Commit is the source revision, set with -ldflags -X at link time.
var Commit = ""

// Info describes the running binary.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"go_version"`
	Modified  bool   `json:"modified,omitempty"`
}

// Get returns the build information of the running binary.
func Get() Info {
	info := Info{Version: Version, Commit: Commit, GoVersion: runtime.Version()}

	bi, ok := debug.ReadBuildInfo()
	if ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}

	if info.Version == "" {
		info.Version = "devel"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	return info
}

// String formats the information on one line, as `cerrojo version` prints it.
func (i Info) String() string {
	commit := i.Commit
	if i.Modified {
		commit += "+modified"
	}
	return fmt.Sprintf("cerrojo %s (commit %s, %s)", i.Version, commit, i.GoVersion)
}
