package parser

import (
	"errors"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// Problem is what kept a document from being read, as another package
// decides on it (the router asks the supplier for a readable PDF, says what
// was wrong, holds the case). Document.Error keeps the technical detail, in
// English, for operators; nobody decides on its words.
type Problem string

// The problems of a document.
const (
	ProblemNone Problem = ""
	// ProblemDamaged: the file does not read (truncated, malformed, a
	// reader failure).
	ProblemDamaged Problem = "damaged"
	// ProblemEmpty: the file has no bytes.
	ProblemEmpty Problem = "empty"
	// ProblemEncrypted: an S/MIME encrypted message (enveloped data),
	// readable only with the recipient's key.
	ProblemEncrypted Problem = "encrypted"
	// ProblemPassword: a PDF or archive entry protected by a password.
	ProblemPassword Problem = "password"
	// ProblemImage: a picture (a photo or a scan of an invoice).
	ProblemImage Problem = "image"
	// ProblemOffice: a word-processor or spreadsheet file, an Outlook .msg
	// or another OLE compound document.
	ProblemOffice Problem = "office"
	// ProblemArchive: a ZIP archive or an Outlook TNEF (winmail.dat)
	// stream that could not be opened, or not entirely.
	ProblemArchive Problem = "archive"
	// ProblemLimit: reading it went over one of Options' limits; Limit
	// says which.
	ProblemLimit Problem = "limit"
	// ProblemUnsupported: a kind of file Facteur does not read.
	ProblemUnsupported Problem = "unsupported"
)

// Limit names the limit a document went over (with ProblemLimit).
type Limit string

// The limits of Options, by kind.
const (
	LimitNone Limit = ""
	// LimitSize: the bytes of a file or of the message.
	LimitSize Limit = "size"
	// LimitTime: the time allowed to read one document.
	LimitTime Limit = "time"
	// LimitPages: the pages of a PDF.
	LimitPages Limit = "pages"
	// LimitObjects: the objects of a PDF, its content operators, the
	// elements of an XML document.
	LimitObjects Limit = "objects"
	// LimitDecompressed: the bytes expanded from an archive or a stream,
	// or the compression ratio.
	LimitDecompressed Limit = "decompressed"
	// LimitEntries: the files of an archive.
	LimitEntries Limit = "entries"
	// LimitDepth: nesting (containers in containers, S/MIME layers, XML,
	// MIME entities).
	LimitDepth Limit = "depth"
	// LimitParts: the MIME entities of a message.
	LimitParts Limit = "parts"
	// LimitHeader: the size of a header section (the rest of it, its
	// Content-Type included, is not read).
	LimitHeader Limit = "header"
	// LimitField: the length of a field read from a document.
	LimitField Limit = "field"
)

// problemError is an error of the parser's readers that carries the
// problem it stands for, so that the document it ends gets the right one.
type problemError struct {
	problem Problem
	limit   Limit
	err     error
}

func (e *problemError) Error() string { return e.err.Error() }
func (e *problemError) Unwrap() error { return e.err }

// withProblem marks err as problem p (and limit l, for ProblemLimit).
func withProblem(p Problem, l Limit, err error) error {
	if err == nil {
		return nil
	}
	return &problemError{problem: p, limit: l, err: err}
}

// overLimit marks err as a limit of kind l reached.
func overLimit(l Limit, err error) error { return withProblem(ProblemLimit, l, err) }

// problemOf tells the problem an error of a reader stands for: the one it
// was marked with, else what pdfcpu's own errors say, else fallback.
func problemOf(err error, fallback Problem) (Problem, Limit) {
	var pe *problemError
	switch {
	case errors.As(err, &pe):
		return pe.problem, pe.limit
	case errors.Is(err, pdfcpu.ErrWrongPassword), errors.Is(err, pdfcpu.ErrEncrypted):
		return ProblemPassword, LimitNone
	case errors.Is(err, model.ErrMaxRecursionDepthExceeded):
		return ProblemLimit, LimitDepth
	case err != nil && strings.Contains(err.Error(), "exceeds limit"):
		// pdfcpu's resource limits (object count, xref entries, image
		// pixels) are plain errors worded this way.
		return ProblemLimit, LimitObjects
	}
	return fallback, LimitNone
}

// fail records why doc could not be read: its problem, the limit reached
// (for ProblemLimit) and the technical detail.
func (doc *Document) fail(p Problem, l Limit, detail string) {
	doc.Problem, doc.Limit, doc.Error = p, l, detail
}

// failErr records err as why doc could not be read, with the problem err
// stands for (fallback when it says none); prefix introduces the detail.
func (doc *Document) failErr(prefix string, err error, fallback Problem) {
	p, l := problemOf(err, fallback)
	doc.fail(p, l, prefix+err.Error())
}
