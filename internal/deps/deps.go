// Package deps pins the module's dependencies while the packages that use them are written.
package deps

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/emersion/go-imap/v2"
	_ "github.com/emersion/go-imap/v2/imapclient"
	_ "github.com/emersion/go-imap/v2/imapserver"
	_ "github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	_ "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
	_ "github.com/emersion/go-message/mail"
	_ "github.com/emersion/go-sasl"
	_ "github.com/emersion/go-smtp"
	_ "github.com/go-pdf/fpdf"
	_ "github.com/pdfcpu/pdfcpu/pkg/api"
	_ "github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	_ "github.com/robfig/cron/v3"
	_ "modernc.org/sqlite"
)
