//go:build unix

package app

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedByMe reports a file owned by this process's user.
func ownedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
