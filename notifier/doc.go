// Package notifier writes Facteur's French replies to suppliers and sends them
// over SMTP.
//
// [Compose] turns a [Reply] into a complete RFC 5322 message: a
// multipart/alternative body (text/plain and text/html, UTF-8,
// quoted-printable) written in the formal French of a public service, with the
// headers an automatic responder owes its correspondents under RFC 3834 and
// RFC 5230: Auto-Submitted: auto-replied, In-Reply-To and References pointing
// at the supplier's message, and a Message-ID that carries the case reference
// so that an answer can be matched to its case.
//
// [Mailer] delivers a composed message in one SMTP session (go-smtp): implicit
// TLS, STARTTLS (required when chosen) or plaintext to a loopback address only,
// optional AUTH PLAIN (LOGIN when it is the only mechanism offered), a null
// reverse path by default and NOTIFY=NEVER when the server supports DSN.
// [IsPermanent] tells a 5xx refusal from a failure worth retrying.
package notifier
