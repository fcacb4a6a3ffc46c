package parser

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // registers the charsets for decoding
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// maxHeaderBytes bounds one header section.
const maxHeaderBytes = 1 << 20

// Parse reads an e-mail (RFC 5322 / MIME). It returns an error only when
// nothing at all can be read (no header field); every other problem becomes
// a warning on the message or a document error.
func Parse(raw []byte, opts Options) (msg *Message, err error) {
	opts = opts.withDefaults()
	defer func() {
		if r := recover(); r != nil {
			msg, err = nil, fmt.Errorf("parser: internal error: %v", r)
		}
	}()
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errors.New("parser: empty message")
	}
	raw = skipMboxFromLine(raw)
	h, body, n, warns := splitHeader(raw)
	if n == 0 {
		return nil, errors.New("parser: no message header found")
	}
	w := &walker{opts: opts, msg: &Message{Documents: []Document{}}}
	w.msg.Warnings = append(w.msg.Warnings, warns...)
	w.headerLimit(warns)
	hdr := mail.Header{Header: message.Header{Header: h}}
	w.readHeaders(hdr)

	if len(raw) > opts.MaxMessageBytes {
		// Too large to be read safely: the headers are kept (to answer
		// the sender), the content is one document in error.
		w.warnf("message of %d bytes, larger than the limit of %d; its content is not read", len(raw), opts.MaxMessageBytes)
		w.msg.Documents = append(w.msg.Documents, Document{
			Name: "message", Format: FormatOther, Size: len(raw), Problem: ProblemLimit, Limit: LimitSize,
			Error: fmt.Sprintf("message of %d bytes, larger than the limit of %d", len(raw), opts.MaxMessageBytes),
		})
	} else {
		w.walk(h, body, 0, false)
	}

	w.msg.Automatic = automatic(hdr, w.msg)
	w.msg.BodyText = w.bodyText()

	var c candidates
	c.find(opts.EngagementPatterns, w.msg.Subject, "subject")
	c.find(opts.EngagementPatterns, w.msg.BodyText, "body")
	for _, f := range w.forwarded {
		c.find(opts.EngagementPatterns, f, "forwarded message")
	}
	w.msg.Engagements = c.list
	return w.msg, nil
}

// walker walks the MIME tree of one message.
type walker struct {
	opts  Options
	msg   *Message
	parts int

	partsWarned, depthWarned bool

	texts     []textPart
	forwarded []string // subjects and texts of forwarded messages
}

type textPart struct {
	html      bool
	forwarded bool
	text      string
}

func (w *walker) warnf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	for _, old := range w.msg.Warnings {
		if old == s {
			return
		}
	}
	if len(w.msg.Warnings) < 100 {
		w.msg.Warnings = append(w.msg.Warnings, s)
	}
}

// readHeaders fills the message header fields.
// maxAuthResults bounds the Authentication-Results field kept.
const maxAuthResults = 1024

func (w *walker) readHeaders(h mail.Header) {
	m := w.msg
	if id, err := h.MessageID(); err == nil && id != "" {
		m.MessageID = id
	} else if ids := msgIDs(h.Get("Message-Id")); len(ids) > 0 {
		m.MessageID = ids[0]
	}
	if ids := msgIDs(h.Get("In-Reply-To")); len(ids) > 0 {
		m.InReplyTo = ids[0]
	}
	m.References = msgIDs(h.Get("References"))

	if from := w.addressList(h, "From"); len(from) > 0 {
		m.From = from[0]
	}
	m.ReplyTo = w.addressList(h, "Reply-To")
	m.To = w.addressList(h, "To")
	m.Cc = w.addressList(h, "Cc")
	if h.Has("Return-Path") {
		rp := strings.TrimSpace(h.Get("Return-Path"))
		if strings.ReplaceAll(rp, " ", "") == "<>" {
			rp = "<>"
		}
		m.ReturnPath = rp
	}
	m.Subject = w.headerText(h.Header, "Subject")
	if fields := h.Values("Authentication-Results"); len(fields) > 0 {
		m.AuthenticationResults = truncateUTF8(strings.TrimSpace(fields[0]), maxAuthResults)
	}
	if h.Has("Date") {
		if d, err := h.Date(); err == nil {
			m.Date = d
		} else {
			w.warnf("unparsable Date header %q", truncateUTF8(h.Get("Date"), 80))
		}
	}
}

// headerText decodes an unstructured header field (RFC 2047), tolerating
// unknown charsets.
func (w *walker) headerText(h message.Header, key string) string {
	s, err := h.Text(key)
	if err != nil {
		w.warnf("header %s: %v", key, err)
		s = h.Get(key)
	}
	return strings.TrimSpace(validUTF8(s))
}

var addrSpecRE = regexp.MustCompile(`[A-Za-z0-9._%+\-=/!#$&'*^` + "`" + `{|}~]+@[A-Za-z0-9.\-]+`)

// addressList parses an address header, falling back to picking the
// addr-specs out of a malformed one.
func (w *walker) addressList(h mail.Header, key string) []Address {
	if !h.Has(key) {
		return nil
	}
	list, err := h.AddressList(key)
	if err == nil {
		var res []Address
		for _, a := range list {
			if a == nil {
				continue
			}
			res = append(res, Address{Name: validUTF8(a.Name), Addr: validUTF8(a.Address)})
		}
		return res
	}
	raw := h.Get(key)
	var res []Address
	if m := nameAddrRE.FindStringSubmatch(raw); m != nil {
		// One "Name <addr>" the strict parser refused (8-bit name, …).
		name := strings.TrimSpace(m[1])
		if dec, err := (&mime.WordDecoder{CharsetReader: message.CharsetReader}).DecodeHeader(name); err == nil {
			name = dec
		}
		return []Address{{Name: validUTF8(name), Addr: m[2]}}
	}
	for _, a := range addrSpecRE.FindAllString(raw, 20) {
		res = append(res, Address{Addr: strings.Trim(a, ".")})
	}
	if len(res) == 0 {
		// "Name <local>" without a domain, or a bare word.
		if m := msgIDRE.FindStringSubmatch(raw); m != nil {
			res = append(res, Address{Addr: m[1]})
		} else if f := strings.Fields(raw); len(f) == 1 {
			res = append(res, Address{Addr: f[0]})
		}
	}
	if strings.TrimSpace(raw) != "" {
		w.warnf("malformed %s header %q", key, truncateUTF8(raw, 80))
	}
	return res
}

var msgIDRE = regexp.MustCompile(`<([^<>\s]+)>`)

// nameAddrRE is a single "Display Name <local@domain>".
var nameAddrRE = regexp.MustCompile(`^\s*"?([^"<>,]*?)"?\s*<([^<>\s@]+@[^<>\s@]+)>\s*$`)

// msgIDs extracts message ids from a Message-ID, In-Reply-To or References
// field, tolerating missing angle brackets.
func msgIDs(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	var ids []string
	for _, m := range msgIDRE.FindAllStringSubmatch(v, 200) {
		ids = append(ids, m[1])
	}
	if len(ids) == 0 {
		for _, f := range strings.Fields(v) {
			if strings.Contains(f, "@") {
				ids = append(ids, strings.Trim(f, "<>,"))
			}
		}
	}
	return ids
}

// walk visits one MIME entity. forwarded tells whether it belongs to a
// forwarded message.
func (w *walker) walk(h textproto.Header, body []byte, depth int, forwarded bool) {
	w.parts++
	if w.parts > w.opts.MaxParts {
		if !w.partsWarned {
			w.warnf("more than %d MIME parts; the rest is ignored", w.opts.MaxParts)
			w.partsWarned = true
			w.limit(LimitParts)
		}
		return
	}
	mh := message.Header{Header: h}
	mediaType, params := contentType(mh)
	if mediaType == "" {
		mediaType = "text/plain"
	}

	switch {
	case strings.HasPrefix(mediaType, "multipart/"):
		if depth >= w.opts.MaxDepth {
			w.depthOverflow()
			return
		}
		boundary := params["boundary"]
		if boundary == "" {
			w.warnf("%s part without boundary treated as text", mediaType)
			w.leaf(h, "text/plain", params, body, forwarded)
			return
		}
		parts, complete := splitMultipart(body, boundary)
		if !complete {
			w.warnf("multipart without closing boundary %q", truncateUTF8(boundary, 70))
		}
		for i, p := range parts {
			ph, pbody, _, warns := splitHeader(p)
			for _, s := range warns {
				w.warnf("%s", s)
			}
			w.headerLimit(warns)
			if mediaType == "multipart/digest" && !ph.Has("Content-Type") {
				ph.Set("Content-Type", "message/rfc822")
			}
			if mediaType == "multipart/signed" && i > 0 {
				// RFC 1847: the second part is the signature (S/MIME
				// smime.p7s, OpenPGP); what was signed is the first.
				w.parts++
				continue
			}
			if mediaType == "multipart/related" && len(pbody) < maxInlineImage && isBodyResource(ph, i, params["start"]) {
				// A logo or picture shown by the HTML body (RFC 2387):
				// part of the text, not an attachment.
				w.parts++
				continue
			}
			w.walk(ph, pbody, depth+1, forwarded)
			if w.parts > w.opts.MaxParts {
				return
			}
		}
	case mediaType == "message/partial":
		// RFC 2046 §5.2.2: one fragment of a message split in several
		// e-mails; its attachments cannot be read from this one alone.
		w.warnf("fragment %s of %s of a split message (message/partial): not reassembled, its attachments cannot be read",
			orQuestion(params["number"]), orQuestion(params["total"]))
	case mediaType == "message/rfc822" || mediaType == "message/global":
		data := w.decodeBody(h, body, false)
		if len(bytes.TrimSpace(data)) == 0 {
			w.warnf("attached message/rfc822 is empty")
			return
		}
		if depth >= w.opts.MaxDepth {
			w.depthOverflow()
			w.addDocument(h, mediaType, data, forwarded)
			return
		}
		ih, ibody, n, warns := splitHeader(data)
		if n == 0 {
			w.warnf("attached message/rfc822 has no header; kept as a document")
			w.addDocument(h, mediaType, data, forwarded)
			return
		}
		for _, s := range warns {
			w.warnf("%s", s)
		}
		w.headerLimit(warns)
		ihdr := message.Header{Header: ih}
		if s := w.headerText(ihdr, "Subject"); s != "" {
			w.forwarded = append(w.forwarded, s)
		}
		w.walk(ih, ibody, depth+1, true)
	case isSMIME(mediaType, h):
		w.smime(h, mediaType, body, depth, forwarded)
	default:
		w.leaf(h, mediaType, params, body, forwarded)
	}
}

// maxInlineImage is the encoded size under which an image shown by the
// HTML body is taken for a logo or a signature (about 100 KB decoded); a
// bigger one may be a scanned invoice pasted in the text, and is kept as a
// document, so that the supplier is asked for a PDF.
const maxInlineImage = 140 << 10

// isBodyResource reports whether the i-th part of a multipart/related is an
// image the root document refers to by Content-ID (a signature logo, a
// picture pasted in the text) rather than something attached. The root is
// the part named by the start parameter, else the first one. A part marked
// as an attachment stays a document.
func isBodyResource(h textproto.Header, i int, start string) bool {
	cid := strings.TrimSpace(h.Get("Content-Id"))
	if cid == "" {
		return false
	}
	if start != "" {
		if strings.Trim(start, "<> ") == strings.Trim(cid, "<> ") {
			return false
		}
	} else if i == 0 {
		return false
	}
	mh := message.Header{Header: h}
	if disp, _, _ := mh.ContentDisposition(); strings.EqualFold(disp, "attachment") {
		return false
	}
	t, _ := contentType(mh)
	return strings.HasPrefix(t, "image/")
}

// isSMIME reports an opaque S/MIME part (signed or encrypted content).
func isSMIME(mediaType string, h textproto.Header) bool {
	if mediaType == "application/pkcs7-mime" || mediaType == "application/x-pkcs7-mime" {
		return true
	}
	if mediaType != "application/octet-stream" {
		return false
	}
	_, params := lenientMediaType(h.Get("Content-Disposition"))
	_, ctParams := lenientMediaType(h.Get("Content-Type"))
	return strings.HasSuffix(strings.ToLower(params["filename"]), ".p7m") ||
		strings.HasSuffix(strings.ToLower(ctParams["name"]), ".p7m")
}

// smime reads the MIME entity of an opaque S/MIME signed part; an
// encrypted or broken one is kept as a document in error.
func (w *walker) smime(h textproto.Header, mediaType string, body []byte, depth int, forwarded bool) {
	data := w.decodeBody(h, body, false)
	inner, err := smimeContent(data, w.opts.MaxMessageBytes)
	if err == nil && depth >= w.opts.MaxDepth {
		w.depthOverflow()
		err = overLimit(LimitDepth, errors.New("S/MIME content nested too deep"))
	}
	var ih textproto.Header
	var ibody []byte
	if err == nil {
		var n int
		var warns []string
		ih, ibody, n, warns = splitHeader(inner)
		for _, s := range warns {
			w.warnf("%s", s)
		}
		w.headerLimit(warns)
		if n == 0 {
			err = errors.New("S/MIME signed content without a MIME header")
		}
	}
	if err != nil {
		name := w.filename(message.Header{Header: h})
		if name == "" {
			name = "smime.p7m"
		}
		doc := Document{Name: sanitizeName(name), ContentType: mediaType, Format: FormatUnsupported, Size: len(data)}
		doc.failErr("", err, ProblemDamaged)
		w.msg.Documents = append(w.msg.Documents, doc)
		return
	}
	w.warnf("S/MIME signed message: its content is read, the signature is not checked")
	w.walk(ih, ibody, depth+1, forwarded)
}

func orQuestion(s string) string {
	if s == "" {
		return "?"
	}
	return truncateUTF8(s, 10)
}

// warnHeaderTruncated is splitHeader's warning for a header section over
// maxHeaderBytes.
const warnHeaderTruncated = "header section too large; truncated"

// limit records a limit the message went over (once each).
func (w *walker) limit(l Limit) {
	for _, x := range w.msg.Limits {
		if x == l {
			return
		}
	}
	w.msg.Limits = append(w.msg.Limits, l)
}

// headerLimit records the header limit when splitHeader truncated one.
func (w *walker) headerLimit(warns []string) {
	for _, s := range warns {
		if s == warnHeaderTruncated {
			w.limit(LimitHeader)
		}
	}
}

func (w *walker) depthOverflow() {
	if !w.depthWarned {
		w.warnf("MIME nesting deeper than %d; deeper parts are ignored", w.opts.MaxDepth)
		w.depthWarned = true
		w.limit(LimitDepth)
	}
}

// leaf handles a non-multipart entity: body text or document.
func (w *walker) leaf(h textproto.Header, mediaType string, params map[string]string, body []byte, forwarded bool) {
	mh := message.Header{Header: h}
	disp, _, _ := mh.ContentDisposition()
	disp = strings.ToLower(disp)
	filename := w.filename(mh)

	isBodyText := (mediaType == "text/plain" || mediaType == "text/html") && disp != "attachment" && filename == ""
	if isBodyText {
		text := w.decodeText(h, params, body)
		if mediaType == "text/html" {
			text = htmlToText(text)
		} else {
			var files []uuFile
			text, files = extractUU(text, max(w.opts.MaxParts-w.parts, 0))
			for _, f := range files {
				w.parts++
				if f.cut {
					w.msg.Documents = append(w.msg.Documents, cutUUDocument(f))
					continue
				}
				for _, doc := range parseDocuments(sanitizeName(f.name), f.data, w.opts, 0) {
					doc.Warnings = append(doc.Warnings, "uuencoded in the message text")
					if forwarded {
						doc.Warnings = append(doc.Warnings, "found in a forwarded message")
					}
					w.msg.Documents = append(w.msg.Documents, doc)
				}
			}
		}
		w.texts = append(w.texts, textPart{html: mediaType == "text/html", forwarded: forwarded, text: text})
		if forwarded {
			w.forwarded = append(w.forwarded, truncateUTF8(text, maxBodyText))
		}
		return
	}
	if strings.HasPrefix(mediaType, "text/") && filename == "" && disp != "attachment" &&
		mediaType != "text/xml" {
		// text/rfc822-headers of a bounce, text/calendar, ...: not a document.
		return
	}
	if strings.HasPrefix(mediaType, "message/") && filename == "" && disp != "attachment" {
		// message/delivery-status, message/disposition-notification, ...
		return
	}
	w.addDocument(h, mediaType, w.decodeBody(h, body, false), forwarded)
}

// addDocument classifies a document leaf and appends it to the message.
func (w *walker) addDocument(h textproto.Header, mediaType string, data []byte, forwarded bool) {
	mh := message.Header{Header: h}
	name := w.filename(mh)
	if name == "" {
		name = fmt.Sprintf("document-%d%s", len(w.msg.Documents)+1, extFor(sniff(data)))
	}
	for i, doc := range parseDocuments(name, data, w.opts, 0) {
		if i == 0 {
			doc.ContentType = mediaType
		}
		if forwarded {
			doc.Warnings = append(doc.Warnings, "found in a forwarded message")
		}
		w.msg.Documents = append(w.msg.Documents, doc)
	}
}

// filename returns the decoded file name of a part (Content-Disposition
// filename, else Content-Type name; RFC 2231 and RFC 2047 decoded).
func (w *walker) filename(mh message.Header) string {
	ah := mail.AttachmentHeader{Header: mh}
	name, err := ah.Filename()
	if err == nil && name != "" {
		return validUTF8(name)
	}
	// Malformed parameters: pick the name leniently.
	for _, key := range []string{"Content-Disposition", "Content-Type"} {
		_, params := lenientMediaType(mh.Get(key))
		for _, p := range []string{"filename", "name"} {
			if v := params[p]; v != "" {
				dec := new(mime.WordDecoder)
				dec.CharsetReader = message.CharsetReader
				if d, err := dec.DecodeHeader(v); err == nil {
					v = d
				}
				return validUTF8(v)
			}
		}
	}
	return ""
}

// decodeBody undoes the Content-Transfer-Encoding of a part, without any
// charset conversion: documents keep their exact bytes.
func (w *walker) decodeBody(h textproto.Header, body []byte, _ bool) []byte {
	enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))
	switch enc {
	case "", "7bit", "8bit", "binary":
		return body
	}
	hh := textproto.Header{}
	hh.Set("Content-Type", "application/octet-stream")
	hh.Set("Content-Transfer-Encoding", enc)
	e, err := message.New(message.Header{Header: hh}, bytes.NewReader(body))
	if err != nil {
		w.warnf("unknown transfer encoding %q; part kept as is", truncateUTF8(enc, 40))
		return body
	}
	// Decoded content is at most 3/4 of base64 and never larger than
	// quoted-printable: one allocation of the right size.
	var buf bytes.Buffer
	buf.Grow(len(body)*3/4 + 64)
	_, err = io.Copy(&buf, e.Body)
	data := buf.Bytes()
	if err != nil {
		w.warnf("damaged %s content: %v", enc, err)
	}
	return data
}

// decodeText returns the body of a text part as UTF-8.
func (w *walker) decodeText(h textproto.Header, params map[string]string, body []byte) string {
	data := w.decodeBody(h, body, true)
	cs := strings.ToLower(strings.TrimSpace(params["charset"]))
	switch cs {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
	default:
		r, err := message.CharsetReader(cs, bytes.NewReader(data))
		if err != nil {
			w.warnf("unknown charset %q; text kept raw", truncateUTF8(cs, 40))
			break
		}
		if conv, err := io.ReadAll(r); err == nil {
			data = conv
		} else {
			w.warnf("charset %q: %v", truncateUTF8(cs, 40), err)
		}
	}
	if !utf8.Valid(data) {
		data = latin1ToUTF8(data)
	}
	return string(data)
}

// bodyText picks the message text: the first text/plain of the message
// itself, else its first text/html, else the same in forwarded messages.
func (w *walker) bodyText() string {
	for _, fwd := range []bool{false, true} {
		for _, html := range []bool{false, true} {
			for _, t := range w.texts {
				if t.forwarded == fwd && t.html == html && strings.TrimSpace(t.text) != "" {
					text := strings.TrimSpace(strings.ReplaceAll(t.text, "\r\n", "\n"))
					return truncateUTF8(text, maxBodyText)
				}
			}
		}
	}
	return ""
}

// contentType parses Content-Type leniently; the media type is lower case.
func contentType(mh message.Header) (string, map[string]string) {
	v := mh.Get("Content-Type")
	if strings.TrimSpace(v) == "" {
		return "", map[string]string{}
	}
	t, params, err := mh.ContentType()
	if err == nil && t != "" {
		return strings.ToLower(t), params
	}
	return lenientMediaType(v)
}

var paramRE = regexp.MustCompile(`(?i)([a-z0-9_\-*]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)`)

// lenientMediaType parses "type/subtype; k=v; ..." without failing.
func lenientMediaType(v string) (string, map[string]string) {
	params := map[string]string{}
	v = strings.TrimSpace(v)
	t := v
	i := strings.IndexByte(v, ';')
	if j := strings.IndexAny(v, " \t\r\n"); j > 0 && (i < 0 || j < i) && strings.Contains(v[:j], "/") {
		// "multipart/mixed boundary=x": the semicolon is missing.
		i = j
	}
	if i >= 0 {
		t = v[:i]
		for _, m := range paramRE.FindAllStringSubmatch(v[i+1:], 50) {
			k := strings.ToLower(strings.TrimRight(m[1], "*"))
			val := strings.TrimSpace(m[2])
			if strings.HasPrefix(val, `"`) && strings.HasSuffix(val, `"`) && len(val) >= 2 {
				val = strings.ReplaceAll(val[1:len(val)-1], `\"`, `"`)
			}
			if _, ok := params[k]; !ok {
				params[k] = val
			}
		}
	}
	t = strings.ToLower(strings.TrimSpace(t))
	if !strings.Contains(t, "/") || strings.ContainsAny(t, " \t\"") {
		t = ""
	}
	return t, params
}

// skipMboxFromLine removes an mbox "From " separator line.
func skipMboxFromLine(raw []byte) []byte {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			return raw[i+1:]
		}
	}
	return raw
}

// splitHeader separates a header section from the body, tolerantly: a
// line that is neither a field nor a continuation ends the header (with a
// warning) and starts the body. n is the number of fields read.
func splitHeader(b []byte) (h textproto.Header, body []byte, n int, warns []string) {
	var clean bytes.Buffer
	blank := false
	pos := 0
	for pos < len(b) {
		end := bytes.IndexByte(b[pos:], '\n')
		var line []byte
		next := len(b)
		if end >= 0 {
			line = b[pos : pos+end]
			next = pos + end + 1
		} else {
			line = b[pos:]
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			pos = next
			blank = true
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if n == 0 {
				// Continuation before any field: ignore it.
				pos = next
				continue
			}
			clean.WriteString("\r\n")
			clean.Write(line)
			pos = next
			continue
		}
		if !isFieldLine(line) {
			if n > 0 {
				warns = append(warns, "header ended by a malformed line")
			}
			break
		}
		if clean.Len() > maxHeaderBytes {
			warns = append(warns, warnHeaderTruncated)
			// Skip to the end of the header section.
			if i := bytes.Index(b[pos:], []byte("\n\r\n")); i >= 0 {
				pos += i + 3
			} else if i := bytes.Index(b[pos:], []byte("\n\n")); i >= 0 {
				pos += i + 2
			} else {
				pos = len(b)
			}
			break
		}
		if n > 0 {
			clean.WriteString("\r\n")
		}
		clean.Write(line)
		n++
		pos = next
	}
	if pos > len(b) {
		pos = len(b)
	}
	body = b[pos:]
	if n == 0 {
		if blank {
			// An empty header section: the body follows the blank line.
			return textproto.Header{}, body, 0, warns
		}
		return textproto.Header{}, b, 0, warns
	}
	clean.WriteString("\r\n\r\n")
	h, err := textproto.ReadHeader(bufio.NewReader(&clean))
	if err != nil {
		warns = append(warns, fmt.Sprintf("header: %v", err))
	}
	return h, body, n, warns
}

// isFieldLine reports whether line starts with a valid field name and a
// colon.
func isFieldLine(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	key := bytes.TrimRight(line[:i], " \t")
	if len(key) == 0 {
		return false
	}
	for _, c := range key {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// splitMultipart splits a multipart body on its boundary. complete is
// false when the closing delimiter is missing.
func splitMultipart(body []byte, boundary string) (parts [][]byte, complete bool) {
	delim := []byte("--" + boundary)
	start := -1 // start of the current part's content
	pos := 0
	for pos <= len(body) {
		end := bytes.IndexByte(body[pos:], '\n')
		lineEnd := len(body)
		next := len(body) + 1
		if end >= 0 {
			lineEnd = pos + end
			next = lineEnd + 1
		}
		line := bytes.TrimRight(body[pos:lineEnd], " \t\r")
		if bytes.HasPrefix(line, delim) {
			rest := line[len(delim):]
			closing := bytes.Equal(rest, []byte("--"))
			if closing || len(rest) == 0 {
				if start >= 0 {
					// The line break before the delimiter belongs to it.
					contentEnd := pos
					if contentEnd > start && body[contentEnd-1] == '\n' {
						contentEnd--
						if contentEnd > start && body[contentEnd-1] == '\r' {
							contentEnd--
						}
					}
					if contentEnd < start {
						contentEnd = start
					}
					parts = append(parts, body[start:contentEnd])
				}
				if closing {
					return parts, true
				}
				start = min(next, len(body))
			}
		}
		pos = next
	}
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:])
	}
	return parts, false
}

// validUTF8 makes s valid UTF-8: a byte that is not part of a UTF-8
// sequence is read as Windows-1252, the 8-bit header of older mail clients
// ("Facture n\xb0 12" → "Facture n° 12").
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.Write(latin1ToUTF8([]byte{s[i]}))
			i++
			continue
		}
		b.WriteRune(r)
		i += size
	}
	return b.String()
}
