package parser

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpaqueSMIME: the content of an opaque-signed message (DER or BER with
// indefinite lengths) is read like any message; an encrypted one is a
// document in error, not a silent nothing.
func TestOpaqueSMIME(t *testing.T) {
	for _, name := range []string{"signed.eml", "streamed.eml"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "smime", name))
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(raw, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Documents) != 1 || m.Documents[0].Name != "facture.xml" || m.Documents[0].Error != "" {
			t.Errorf("%s: documents %+v", name, m.Documents)
		}
		if !strings.Contains(m.BodyText, "EJ-2026-0099") || len(m.Engagements) != 1 || m.Engagements[0].Value != "EJ-2026-0099" {
			t.Errorf("%s: body %q, engagements %+v", name, m.BodyText, m.Engagements)
		}
		if !containsPrefix(m.Warnings, "S/MIME signed message") {
			t.Errorf("%s: warnings %q", name, m.Warnings)
		}
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "smime", "enc.eml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Documents) != 1 || m.Documents[0].Name != "smime.p7m" || m.Documents[0].Problem != ProblemEncrypted || !strings.Contains(m.Documents[0].Error, "encrypted") {
		t.Errorf("encrypted: documents %+v", m.Documents)
	}
	// Broken CMS: a document in error too.
	broken := "From: a@b.fr\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\r\n"
	if m, err := Parse([]byte(broken), Options{}); err != nil || len(m.Documents) != 1 || !strings.HasPrefix(m.Documents[0].Error, "cms:") {
		t.Errorf("broken: %v %+v", err, m.Documents)
	}
}

func FuzzSMIME(f *testing.F) {
	for _, name := range []string{"signed.eml", "streamed.eml", "enc.eml"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "smime", name))
		if err != nil {
			f.Fatal(err)
		}
		// The DER/BER bytes themselves are the interesting input.
		if i := strings.Index(string(raw), "\r\n\r\n"); i > 0 {
			if der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(raw[i+4:])), "")); err == nil {
				f.Add(der)
			}
		}
	}
	f.Add([]byte{0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x80, 0x00, 0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := smimeContent(data, 1<<20)
		if err == nil && len(out) > 1<<20 {
			t.Fatalf("content of %d bytes over the limit", len(out))
		}
	})
}
