package main

import (
	"fmt"
	"net"

	"facteur/internal/dovecottest"
	"facteur/internal/mailpittest"
)

// peersConfig is the [instance], [[mailbox]] and [smtp] sections of a
// configuration that reads the mailbox of a real Dovecot (STARTTLS) and
// sends the replies through a real mailpit (STARTTLS, AUTH); the caller
// adds the Chorus Pro and budget sections.
func peersConfig(org, dataDir, address, from, poll string, dv *dovecottest.Server, mp *mailpittest.Server) string {
	imapHost, imapPort, _ := net.SplitHostPort(dv.IMAPAddr)
	smtpHost, smtpPort, _ := net.SplitHostPort(mp.SMTPAddr)
	return fmt.Sprintf(`[instance]
name = %q
data_dir = %q
case_prefix = "FAC"

[[mailbox]]
name = "comptabilite"
address = %q
host = %q
port = %s
security = "starttls"
ca_file = %q
username = %q
password = { value = %q }
poll = %q

[smtp]
host = %q
port = %s
security = "starttls"
ca_file = %q
username = %q
password = { value = %q }
from = %q
from_name = %q
bcc = ["finances@casq.fr"]

`, org, dataDir, address, imapHost, imapPort, dv.CAFile, dovecottest.User, dovecottest.Password, poll,
		smtpHost, smtpPort, mp.CAFile, mailpittest.User, mailpittest.Password, from, org)
}
