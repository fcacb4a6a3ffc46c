package router

import (
	"fmt"
	"strings"
)

// NotDownloaded is a message too big to be downloaded from the mailbox, as
// the store recorded it when it was ingested (never as read from the
// message, which anyone can write).
type NotDownloaded struct {
	Size, Limit int64  // bytes
	Folder      string // where the message stays
	Attachments []Attachment
}

// Attachment is an attachment of a message not downloaded, as the IMAP
// server announced it.
type Attachment struct {
	Name      string
	MediaType string
	Size      int64 // approximate, bytes
}

// maxNamedAttachments bounds the attachments named in a reason.
const maxNamedAttachments = 10

// DecideNotDownloaded decides on a message that was not downloaded: a
// person handles it directly in the mailbox, where it stays.
func DecideNotDownloaded(nd NotDownloaded) Decision {
	var b strings.Builder
	fmt.Fprintf(&b, "message de %s, au-delà de la taille maximale (%s) : non téléchargé, à traiter directement dans la boîte aux lettres",
		megabytes(nd.Size), megabytes(nd.Limit))
	if nd.Folder != "" {
		fmt.Fprintf(&b, " (dossier « %s »)", nd.Folder)
	}
	if len(nd.Attachments) > 0 {
		b.WriteString(" ; pièces jointes annoncées : ")
		for i, a := range nd.Attachments {
			if i == maxNamedAttachments {
				fmt.Fprintf(&b, ", et %d autre(s)", len(nd.Attachments)-i)
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			name := a.Name
			if name == "" {
				name = "sans nom"
			}
			fmt.Fprintf(&b, "« %s » (%s, environ %s)", name, a.MediaType, megabytes(a.Size))
		}
	}
	return hold(b.String())
}

// megabytes writes a size the French way, in megabytes: "52,4 Mo".
func megabytes(n int64) string {
	return strings.Replace(fmt.Sprintf("%.1f Mo", float64(n)/(1<<20)), ".", ",", 1)
}
