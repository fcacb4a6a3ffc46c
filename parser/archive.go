package parser

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Containers: ZIP archives and Outlook TNEF (winmail.dat) streams hold
// the documents a supplier meant to send. They are opened within the
// limits of Options (entries, decompressed size and ratio); an archive
// inside an archive is listed but not opened.

// More formats.
const (
	FormatZIP  = "zip"
	FormatTNEF = "tnef"
)

// ParseDocuments reads a file like ParseDocument and, when it is a ZIP
// archive or a TNEF stream, the documents inside it, which follow the
// container in the result (each with a warning naming its container).
func ParseDocuments(name string, data []byte, opts Options) []Document {
	return parseDocuments(name, data, opts.withDefaults(), 0)
}

// maxContainerDepth: containers are opened two deep (an Outlook
// winmail.dat holding a ZIP archive); one deeper is not opened, and is a
// document with a problem (a person must look), never skipped.
const maxContainerDepth = 2

func parseDocuments(name string, data []byte, opts Options, depth int) []Document {
	doc := parseDocument(name, data, opts)
	var inner []namedData
	var err error
	switch doc.Sniffed {
	case typeZIP:
		if doc.Format == FormatUnsupported { // an office document
			return []Document{doc}
		}
		doc.Format = FormatZIP
		inner, err = readZIP(data, opts)
	case typeTNEF:
		doc.Format = FormatTNEF
		var files []tnefFile
		files, err = readTNEF(data, opts.MaxDecompressedBytes)
		for i, f := range files {
			n := f.name
			if n == "" || n == "Untitled Attachment" {
				n = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(doc.Name, nameExt(doc.Name)), i+1, extFor(sniff(f.data)))
			}
			inner = append(inner, namedData{n, f.data})
		}
	default:
		return []Document{doc}
	}
	// The container's own "not opened" warning no longer applies.
	doc.Warnings = dropPrefixed(doc.Warnings, "ZIP archive content is not opened", "Outlook TNEF")
	if depth >= maxContainerDepth {
		doc.Warnings = append(doc.Warnings, "container inside a container: not opened")
		doc.fail(ProblemLimit, LimitDepth, fmt.Sprintf("container nested more than %d deep: not opened", maxContainerDepth))
		return []Document{doc}
	}
	if err != nil {
		doc.failErr("", err, ProblemArchive)
	}
	doc.Warnings = append(doc.Warnings, fmt.Sprintf("contains %d file(s)", len(inner)))
	out := []Document{doc}
	for _, f := range inner {
		for _, d := range parseDocuments(f.name, f.data, opts, depth+1) {
			d.Warnings = append(d.Warnings, "found in "+doc.Name)
			out = append(out, d)
		}
	}
	return out
}

// isOfficeZIP tells an OOXML (Word, Excel) or OpenDocument file from a
// ZIP archive: by its name, else by its marker entry ("[Content_Types].xml",
// "mimetype").
func isOfficeZIP(name string, data []byte) bool {
	switch nameExt(name) {
	case ".docx", ".docm", ".xlsx", ".xlsm", ".pptx", ".odt", ".ods", ".odp":
		return true
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return false
	}
	for _, f := range zr.File {
		if f.Name == "[Content_Types].xml" || f.Name == "mimetype" && f.UncompressedSize64 < 100 {
			return true
		}
	}
	return false
}

type namedData struct {
	name string
	data []byte
}

func dropPrefixed(ws []string, prefixes ...string) []string {
	out := ws[:0]
	for _, w := range ws {
		keep := true
		for _, p := range prefixes {
			if strings.HasPrefix(w, p) {
				keep = false
			}
		}
		if keep {
			out = append(out, w)
		}
	}
	return out
}

// readZIP returns the files of a ZIP archive, bounded by the number of
// entries, the total decompressed size and the compression ratio.
func readZIP(data []byte, opts Options) ([]namedData, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, withProblem(ProblemArchive, LimitNone, fmt.Errorf("zip: %w", err))
	}
	var out []namedData
	var total int64
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		if len(out) >= opts.MaxArchiveEntries {
			return out, overLimit(LimitEntries, fmt.Errorf("zip: more than %d files; the rest is ignored", opts.MaxArchiveEntries))
		}
		limit := opts.MaxDecompressedBytes - total
		if ratioLimit := int64(f.CompressedSize64)*int64(opts.MaxRatio) + 4096; ratioLimit < limit {
			limit = ratioLimit
		}
		if f.Flags&0x1 != 0 {
			// General purpose bit 0: the entry is encrypted (APPNOTE 4.4.4).
			return out, withProblem(ProblemPassword, LimitNone, fmt.Errorf("zip: %s: encrypted entry", sanitizeName(f.Name)))
		}
		rc, err := f.Open()
		if err != nil {
			return out, fmt.Errorf("zip: %s: %w", sanitizeName(f.Name), err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, limit+1))
		rc.Close()
		if int64(len(b)) > limit {
			return out, overLimit(LimitDecompressed, fmt.Errorf("zip: %s expands beyond the limits (%d bytes in all, ratio %d)", sanitizeName(f.Name), opts.MaxDecompressedBytes, opts.MaxRatio))
		}
		if err != nil {
			return out, fmt.Errorf("zip: %s: %w", sanitizeName(f.Name), err)
		}
		total += int64(len(b))
		out = append(out, namedData{f.Name, b})
	}
	return out, nil
}
