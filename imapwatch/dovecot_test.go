package imapwatch

import (
	"testing"

	"facteur/internal/dovecottest"
)

// A real Dovecot started by the test itself (package internal/dovecottest);
// this file adapts it to the names the watcher's tests use.

const (
	dovecotUser = dovecottest.User
	dovecotPass = dovecottest.Password
)

// dovecotOptions selects a variant of the throwaway server.
type dovecotOptions struct {
	// oauth2Key, when set, makes Dovecot validate XOAUTH2 tokens (HS256
	// JWTs signed with this key) instead of passwords.
	oauth2Key []byte
}

// dovecot is one running throwaway Dovecot.
type dovecot struct {
	*dovecottest.Server
	imapAddr, caFile string
}

func startDovecot(t *testing.T, o dovecotOptions) *dovecot {
	t.Helper()
	s := dovecottest.Start(t, dovecottest.Options{OAuth2Key: o.oauth2Key})
	return &dovecot{Server: s, imapAddr: s.IMAPAddr, caFile: s.CAFile}
}

func (d *dovecot) crash()                                      { d.Crash() }
func (d *dovecot) restart()                                    { d.Restart() }
func (d *dovecot) doveadm(stdin []byte, args ...string) []byte { return d.Doveadm(stdin, args...) }
func (d *dovecot) save(folder string, raw []byte)              { d.Save(folder, raw) }
func (d *dovecot) deliverMaildir(folder string, msgs [][]byte) { d.DeliverMaildir(folder, msgs) }
func (d *dovecot) status(folder, field string) uint32          { return d.Status(folder, field) }
func (d *dovecot) uids(folder string) []uint32                 { return d.UIDs(folder) }

// watcherOptions returns Options for this server: STARTTLS with the
// server's certificate as CA, password authentication.
func (d *dovecot) watcherOptions(t *testing.T) Options {
	return Options{
		Name:     "compta",
		Addr:     d.imapAddr,
		Security: "starttls",
		CAFile:   d.caFile,
		Username: dovecotUser,
		Password: dovecotPass,
		Folders:  testFolders,
		Schedule: "@every 1h",
		Logger:   testLogger(t),
	}
}
