package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"facteur/store"
)

// version is facteur's version, set at build time:
//
//	go build -ldflags "-X main.version=1.2.0" ./cmd/facteur
//
// When it is not set, buildVersion falls back on what the Go toolchain
// recorded in the binary.
var version string

// buildVersion is the version facteur says it is: the one set at build
// time; else the module's version when built from a tagged release (go
// install facteur/cmd/facteur@v1.2.0); else "dev-" and the VCS revision it
// was built from ("-dirty" when the tree had changes); else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) >= 12 {
		return "dev-" + rev[:12] + dirty
	}
	return "dev"
}

// printVersion prints facteur's version, the database schema version it
// writes and the Go version it was built with.
func printVersion(w io.Writer) {
	fmt.Fprintf(w, "facteur %s\nschema version %d\n%s %s/%s\n", buildVersion(), store.SchemaVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
