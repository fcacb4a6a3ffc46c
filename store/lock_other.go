//go:build !unix

package store

import "os"

// lockDir opens dir; without flock(2) on this system it locks nothing (a
// running daemon is then not detected by Restore).
func lockDir(dir string, exclusive bool) (*os.File, error) {
	return os.Open(dir)
}
