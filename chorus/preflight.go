package chorus

import (
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"facteur/ident"
)

// Pre-flight checks run before spending a call (reference §2.15 step 2 and
// §3.6). Each returns nil or an error describing the problem in English;
// the Client wraps it in an *Error with ErrInvalidRequest.

// Limits of reference §3.6.
const (
	MaxInvoiceNumberLen  = 20       // numeroFacture (V4 spec text; UNCONFIRMED for PISTE)
	MaxEngagementLen     = 50       // numeroBonCommande (OCA check)
	MaxServiceCodeLen    = 100      // codeServiceExecutant
	MaxCommentLen        = 200      // commentaire
	MaxDesignationLen    = 100      // pieceJointePrincipaleDesignation
	MaxAttachmentSize    = 10 << 20 // each attachment: < 10 MB (ajouterFichierDansSysteme answers 20003 above)
	MaxAttachmentNameLen = 50       // pieceJointeNom, extension included
	MaxFileNameLen       = 200      // nomFichier
)

// attachmentExtensions are the extensions Chorus Pro accepts for attachments
// (OCA's list, plus XSD and XSL from the facture-electronique list).
var attachmentExtensions = map[string]bool{
	"bmp": true, "gif": true, "fax": true, "odt": true, "ppt": true, "tiff": true, "xls": true, "bz2": true,
	"gz": true, "jpeg": true, "p7s": true, "rtf": true, "txt": true, "xml": true, "csv": true, "gzip": true,
	"jpg": true, "pdf": true, "svg": true, "xhtml": true, "xlsx": true, "doc": true, "htm": true, "odp": true,
	"png": true, "tgz": true, "xlc": true, "zip": true, "docx": true, "html": true, "ods": true, "pps": true,
	"tif": true, "xlm": true, "pptx": true, "xsd": true, "xsl": true,
}

// CheckInvoiceNumber checks an invoice number as Chorus Pro stores it: 1 to
// 20 characters among A-Z a-z 0-9 and - _ / + (the V4 specification; the
// character set is corroborated, the length UNCONFIRMED for PISTE, so the
// check is strict: a number refused here is sent to a person rather than
// to Chorus Pro).
func CheckInvoiceNumber(n string) error {
	switch {
	case n == "":
		return fmt.Errorf("invoice number is empty")
	case utf8.RuneCountInString(n) > MaxInvoiceNumberLen:
		return fmt.Errorf("invoice number %q is longer than %d characters", n, MaxInvoiceNumberLen)
	}
	for _, r := range n {
		ok := r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' ||
			r == '-' || r == '_' || r == '/' || r == '+'
		if !ok {
			return fmt.Errorf("invoice number %q contains %q; allowed: letters, digits, - _ / +", n, r)
		}
	}
	return nil
}

// CheckSIRET returns an error naming what (e.g. "recipient SIRET") when s is
// not a valid SIRET.
func CheckSIRET(what, s string) error {
	if !ident.ValidSIRET(s) {
		return fmt.Errorf("%s %q is not a valid SIRET (14 digits, Luhn check)", what, s)
	}
	return nil
}

// CheckAttachment checks an attachment against Chorus Pro's limits: at most
// 10 MB, a name of at most 50 characters with one of the allowed extensions.
func CheckAttachment(name string, size int) error {
	switch {
	case size <= 0:
		return fmt.Errorf("attachment %q is empty", name)
	case size > MaxAttachmentSize:
		return fmt.Errorf("attachment %q is %d bytes, more than the %d allowed", name, size, MaxAttachmentSize)
	}
	if err := checkName(name, MaxAttachmentNameLen); err != nil {
		return err
	}
	ext := attachmentExtension(name)
	if !attachmentExtensions[ext] {
		return fmt.Errorf("attachment name %q: extension %q is not accepted by Chorus Pro", name, ext)
	}
	return nil
}

// attachmentExtension returns the lower-case extension of name without the dot.
func attachmentExtension(name string) string {
	return strings.TrimPrefix(strings.ToLower(path.Ext(name)), ".")
}

// checkName checks a file name: not empty, UTF-8, at most max characters,
// no path separator or control character, an extension.
func checkName(name string, max int) error {
	switch {
	case name == "":
		return fmt.Errorf("file name is empty")
	case !utf8.ValidString(name):
		return fmt.Errorf("file name is not valid UTF-8")
	case utf8.RuneCountInString(name) > max:
		return fmt.Errorf("file name %q is longer than %d characters", name, max)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("file name %q contains a path separator", name)
	case strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return fmt.Errorf("file name contains control characters")
	}
	ext := path.Ext(name)
	if ext == "" || ext == "." || len(name) == len(ext) {
		return fmt.Errorf("file name %q has no extension", name)
	}
	return nil
}
