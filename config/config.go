// Package config turns Facteur's TOML configuration file into a typed,
// validated [Config].
//
// Parsing is strict: unknown keys are rejected, values of the wrong type are
// reported, defaults are applied, and then every remaining problem is
// reported at once, each with the key path it concerns
// (e.g. "mailbox[0].port: must be between 1 and 65535"). Secrets are never
// read by [Parse]; they are resolved on demand from a file, an environment
// variable or a systemd credential (see [Secret]).
package config

import (
	"bytes"
	"errors"
	"facteur/ident"
	"facteur/parser"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// Config is the whole configuration of one Facteur instance.
type Config struct {
	Instance   Instance   `toml:"instance"`
	Mailboxes  []Mailbox  `toml:"mailbox"` // [[mailbox]], at least one
	SMTP       SMTP       `toml:"smtp"`
	Chorus     Chorus     `toml:"chorus"`
	Budgets    []Budget   `toml:"budget"` // [[budget]], at least one
	Routing    Routing    `toml:"routing"`
	Engagement Engagement `toml:"engagement"`
	Limits     Limits     `toml:"limits"`
	Register   Register   `toml:"register"`
	Digest     Digest     `toml:"digest"`
	Replies    Replies    `toml:"replies"`
	Metrics    Metrics    `toml:"metrics"`
	Retention  Retention  `toml:"retention"`
	Web        Web        `toml:"web"`
}

// Limits bound what one message may make Facteur read; beyond one, the
// document (or the message) is set aside with the reason. Absent or 0: the
// parser's defaults.
type Limits struct {
	MaxParts            int      `toml:"max_parts"`             // MIME parts visited in one message
	MaxDepth            int      `toml:"max_depth"`             // nesting of multiparts and forwarded messages
	MaxArchiveEntries   int      `toml:"max_archive_entries"`   // files taken from one ZIP or winmail.dat
	MaxDecompressedSize ByteSize `toml:"max_decompressed_size"` // what one archive may expand to
	MaxRatio            int      `toml:"max_ratio"`             // its expansion ratio
	MaxPDFSize          ByteSize `toml:"max_pdf_size"`
	MaxPDFPages         int      `toml:"max_pdf_pages"`
	MaxPDFObjects       int      `toml:"max_pdf_objects"`
	DocumentTimeout     Duration `toml:"document_timeout"` // time spent on one document
}

// Register is the engagement register: the public body's open engagements
// exported as CSV by its finance software (see package register).
type Register struct {
	// File is the CSV file's absolute path; empty: no register. It is read
	// again whenever it changes.
	File string `toml:"file"`
}

// Digest is the digest e-mailed to finance staff: what Facteur did since
// the previous one and the cases that need a person.
type Digest struct {
	// To are the addresses receiving it; empty: no digest.
	To []string `toml:"to"`
	// Schedule is when it is sent (cron expression, server local time),
	// default "0 8 * * 1-5" (working days at 8:00).
	Schedule string `toml:"schedule"`
	// WaitingDays: requests unanswered for longer are listed (default 7).
	WaitingDays int `toml:"waiting_days"`
}

// Defaults of the digest.
const (
	DefaultDigestSchedule    = "0 8 * * 1-5"
	DefaultDigestWaitingDays = 7
)

// Replies bounds the automatic replies to suppliers.
type Replies struct {
	// PerSenderPerDay bounds the replies to one address in 24 hours (a
	// guard against mail loops); a supplier over it is told the next day,
	// in one summary of its invoices of the day (default 10).
	PerSenderPerDay int `toml:"per_sender_per_day"`
}

// DefaultRepliesPerSenderPerDay is the default of replies.per_sender_per_day.
const DefaultRepliesPerSenderPerDay = 10

// MaxRepliesPerSenderPerDay bounds replies.per_sender_per_day: beyond it
// the limit no longer stops a loop.
const MaxRepliesPerSenderPerDay = 1000

// Instance describes the public body running Facteur.
type Instance struct {
	Name       string `toml:"name"`        // e.g. "Agglomération du Saint-Quentinois" (required)
	DataDir    string `toml:"data_dir"`    // default "/var/lib/facteur"
	CasePrefix string `toml:"case_prefix"` // default "FAC"; [A-Z]{2,8}
	LogLevel   string `toml:"log_level"`   // debug|info|warn|error, default info
}

// Mailbox is one IMAP mailbox watched for supplier invoices.
type Mailbox struct {
	Name            string   `toml:"name"`             // unique, [a-z0-9_-]+, required
	Address         string   `toml:"address"`          // public address, required, addr-spec
	Host            string   `toml:"host"`             // required
	Port            int      `toml:"port"`             // default 993 for tls, 143 otherwise
	Security        string   `toml:"security"`         // "tls" (default) | "starttls" | "plain" (loopback hosts only)
	Username        string   `toml:"username"`         // default: address
	Password        Secret   `toml:"password"`         // required
	CAFile          string   `toml:"ca_file"`          // optional extra roots (PEM)
	Folder          string   `toml:"folder"`           // default "INBOX"
	Poll            string   `toml:"poll"`             // cron spec, default "@every 1m"
	ProcessedFolder string   `toml:"processed_folder"` // default "Facteur/Traitees"
	ReviewFolder    string   `toml:"review_folder"`    // default "Facteur/A-verifier"
	IgnoredFolder   string   `toml:"ignored_folder"`   // default "Facteur/Ignorees"
	MaxMessageSize  ByteSize `toml:"max_message_size"` // default 40 MiB

	Auth   string        `toml:"auth"`   // "password" (default) | "xoauth2"
	OAuth2 MailboxOAuth2 `toml:"oauth2"` // [mailbox.oauth2], for auth = "xoauth2" only
	// TLSInsecureSkipVerify disables certificate verification (tests
	// against throwaway servers only; a warning is logged at every
	// connection). Prefer ca_file.
	TLSInsecureSkipVerify bool `toml:"tls_insecure_skip_verify"`
}

// MailboxOAuth2 is the OAuth2 client-credentials grant used with SASL
// XOAUTH2 (Microsoft 365 app-only access: application permission
// IMAP.AccessAsApp).
type MailboxOAuth2 struct {
	TokenURL     string `toml:"token_url"`     // required; https (http only towards loopback)
	ClientID     string `toml:"client_id"`     // required
	ClientSecret Secret `toml:"client_secret"` // required
	Scope        string `toml:"scope"`         // default "https://outlook.office365.com/.default"
}

// SMTP is the submission server used to send replies.
type SMTP struct {
	Host         string   `toml:"host"`          // required
	Port         int      `toml:"port"`          // default 587 for starttls, 465 for tls, 25 for plain
	Security     string   `toml:"security"`      // "starttls" (default) | "tls" | "plain" (loopback hosts only)
	Username     string   `toml:"username"`      // optional (no AUTH when empty)
	Password     Secret   `toml:"password"`      // required when username is set
	CAFile       string   `toml:"ca_file"`       // optional extra roots (PEM)
	From         string   `toml:"from"`          // header From address, required
	FromName     string   `toml:"from_name"`     // default: instance.name
	EnvelopeFrom string   `toml:"envelope_from"` // MAIL FROM; default "" = null sender <>
	Bcc          []string `toml:"bcc"`           // copy of every reply to finance staff
	Timeout      Duration `toml:"timeout"`       // default 30s
}

// Chorus holds the Chorus Pro (PISTE) API settings.
type Chorus struct {
	Environment       string   `toml:"environment"`        // "sandbox" (default) | "production" | "custom"
	APIURL            string   `toml:"api_url"`            // required for custom; overrides the named environment otherwise
	TokenURL          string   `toml:"token_url"`          // same
	ClientID          string   `toml:"client_id"`          // required
	ClientSecret      Secret   `toml:"client_secret"`      // required
	TechnicalLogin    string   `toml:"technical_login"`    // required
	TechnicalPassword Secret   `toml:"technical_password"` // required
	Timeout           Duration `toml:"timeout"`            // default 60s
	StatusPoll        string   `toml:"status_poll"`        // cron spec, default "@every 5m"
	// PasswordSetOn is the date ("YYYY-MM-DD") the technical password was
	// last changed; it expires 424 days later. Optional: no expiry warning
	// without it. See [Chorus.PasswordSetOnDate].
	PasswordSetOn    string   `toml:"password_set_on"`
	StructureRefresh Duration `toml:"structure_refresh"` // recipient structure rules cache TTL, default 24h
	SupplierID       int64    `toml:"supplier_id"`       // idFournisseur override; 0 = learn it from Chorus Pro
	LifecyclePoll    string   `toml:"lifecycle_poll"`    // cron spec for invoice lifecycle polling, default "@every 6h"
}

// Budget is one of the public body's budgets, identified on Chorus Pro by
// its SIRET.
type Budget struct {
	Name     string   `toml:"name"`     // required, unique
	SIRET    string   `toml:"siret"`    // 14 digits, Luhn-valid, unique; spaces, dots and dashes removed (ident.Compact)
	Keywords []string `toml:"keywords"` // optional words pointing to this budget (e.g. "eau potable")
	// EngagementRequired is the public body's own rule: every invoice of
	// this budget must carry an engagement number, whatever Chorus Pro's
	// structure says. Absent: true (a public body's usual rule).
	EngagementRequired *bool `toml:"engagement_required"`
}

// EngagementMandatory reports the budget's engagement_required, true when
// absent.
func (b Budget) EngagementMandatory() bool {
	return b.EngagementRequired == nil || *b.EngagementRequired
}

// Routing holds the budget routing options.
type Routing struct {
	// DefaultBudget is an optional budget name, used only when the buyer
	// SIRET is not ours and no keyword matches.
	DefaultBudget string `toml:"default_budget"`
	// CannotDeposit says what becomes of an invoice Facteur may not deposit
	// itself (a PDF without structured data from a supplier the technical
	// account cannot submit for, or a structured file whose engagement
	// number is only in the e-mail): "guide" (default) answers the supplier
	// with what to enter on Chorus Pro; "hold" leaves it to finance staff.
	CannotDeposit string `toml:"cannot_deposit"`
}

// The values of routing.cannot_deposit.
const (
	CannotDepositGuide = "guide"
	CannotDepositHold  = "hold"
)

// Metrics is the operator's HTTP endpoint: Prometheus metrics on /metrics
// and a health check on /healthz.
type Metrics struct {
	// Listen is a host:port, e.g. "127.0.0.1:9464"; empty disables it.
	Listen string `toml:"listen"`
}

// Engagement holds the engagement-number extraction options.
type Engagement struct {
	// Patterns are Go regexps, each with exactly one capture group (the
	// number). Empty means the parser's default patterns (French first:
	// "N° d'engagement : 24-00123", "bon de commande n° BC-2026-117", ...).
	Patterns []string `toml:"patterns"`
}

// Defaults.
const (
	DefaultDataDir         = "/var/lib/facteur"
	DefaultCasePrefix      = "FAC"
	DefaultLogLevel        = "info"
	DefaultFolder          = "INBOX"
	DefaultPoll            = "@every 1m"
	DefaultProcessedFolder = "Facteur/Traitees"
	DefaultReviewFolder    = "Facteur/A-verifier"
	DefaultIgnoredFolder   = "Facteur/Ignorees"
	DefaultMaxMessageSize  = 40 * MiB
	DefaultMailboxAuth     = "password"
	DefaultOAuth2Scope     = "https://outlook.office365.com/.default"
	DefaultSMTPTimeout     = 30 * time.Second
	DefaultChorusTimeout   = 60 * time.Second
	DefaultStatusPoll      = "@every 5m"
)

// Defaults of the Chorus Pro structure-rules cache and lifecycle polling.
const (
	DefaultStructureRefresh = 24 * time.Hour
	DefaultLifecyclePoll    = "@every 6h"
)

// Problem is one thing wrong with a configuration, with the key path it
// concerns ("mailbox[0].port"); Key is empty for file-level problems.
type Problem struct {
	Key     string
	Message string
}

func (p Problem) String() string {
	if p.Key == "" {
		return p.Message
	}
	return p.Key + ": " + p.Message
}

// Problems is the list of every problem found; it implements error with one
// "key: message" per line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps *Problems) add(key, format string, args ...any) {
	*ps = append(*ps, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

// keys returns the key path of every problem, in order.
func (ps Problems) keys() []string {
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = p.Key
	}
	return keys
}

// Load reads the file at path and parses it with [Parse]. Problems in the
// file are returned as [Problems].
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data)
}

// Parse decodes a TOML configuration, applies defaults and validates it.
// Secrets are not resolved (see [Config.CheckSecrets]). When anything is
// wrong, Parse returns (nil, Problems) listing every problem found.
func Parse(data []byte) (*Config, error) {
	c, ps := parse(data)
	if len(ps) > 0 {
		return nil, ps
	}
	return c, nil
}

// parse is [Parse], but returns what could be decoded along with the
// problems: the configuration is nil only when the file is not TOML at
// all; otherwise it holds every well-typed value, defaults applied, so that
// [Check] can go on to what the file names on this host.
func parse(data []byte) (*Config, Problems) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM left by some editors

	// Pass 1: a generic decode, then a walk against the Config type that
	// reports unknown keys and type mismatches with indexed key paths, and
	// fills a Config with what is well typed.
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return nil, Problems{decodeProblem(data, err)}
	}
	var (
		c     Config
		shape Problems
	)
	checkShape("", raw, reflect.ValueOf(&c).Elem(), &shape)

	if len(shape) == 0 {
		// Pass 2: the typed decode by the library. Pass 1 makes errors
		// here unexpected; they are still reported, as is any key the
		// decoder left aside.
		c = Config{}
		md, err := toml.Decode(string(data), &c)
		if err != nil {
			return nil, Problems{decodeProblem(data, err)}
		}
		for _, k := range md.Undecoded() {
			shape.add(k.String(), "unknown key")
		}
		if len(shape) > 0 {
			c.applyDefaults()
			return &c, shape
		}
	}

	// Defaults and validation also run when the shape is wrong, so that
	// every problem is reported at once; a key whose value was rejected
	// above is not reported again.
	c.applyDefaults()
	ps := shape
	for _, p := range c.validate() {
		if !underAny(p.Key, shape) {
			ps = append(ps, p)
		}
	}
	return &c, ps
}

// underAny reports whether key is, or is inside, the key of one of ps.
func underAny(key string, ps Problems) bool {
	for _, p := range ps {
		if key == p.Key || strings.HasPrefix(key, p.Key+".") || strings.HasPrefix(key, p.Key+"[") {
			return true
		}
	}
	return false
}

// decodeProblem turns a decoder error on data into a Problem. A syntax
// error is a problem of the file, not of a key: it names the line and
// column, counted from the error's byte offset. The decoder's own line
// number is one too far when the offending character is the end of a line
// ("[smtp" without its "]"), and its last key may be the key before the
// mistake, in another table.
func decodeProblem(data []byte, err error) Problem {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return Problem{Message: err.Error()}
	}
	line, col := pe.Position.Line, pe.Position.Col
	if off := pe.Position.Start; off >= 0 && off <= len(data) && (off > 0 || line <= 1) {
		before := data[:off]
		line = bytes.Count(before, []byte("\n")) + 1
		col = utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	}
	if line < 1 {
		return Problem{Message: pe.Message}
	}
	return Problem{Message: fmt.Sprintf("line %d, column %d: %s", line, col, pe.Message)}
}

func (c *Config) applyDefaults() {
	for i := range c.Budgets {
		if c.Budgets[i].EngagementRequired == nil {
			yes := true
			c.Budgets[i].EngagementRequired = &yes
		}
	}
	l := &c.Limits
	for _, d := range []struct {
		v   *int
		def int
	}{{&l.MaxParts, parser.DefaultMaxParts}, {&l.MaxDepth, parser.DefaultMaxDepth}, {&l.MaxArchiveEntries, parser.DefaultMaxArchiveEntries},
		{&l.MaxRatio, parser.DefaultMaxRatio}, {&l.MaxPDFPages, parser.DefaultMaxPDFPages}, {&l.MaxPDFObjects, parser.DefaultMaxPDFObjects}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if l.MaxDecompressedSize == 0 {
		l.MaxDecompressedSize = parser.DefaultMaxDecompressed
	}
	if l.MaxPDFSize == 0 {
		l.MaxPDFSize = parser.DefaultMaxPDFBytes
	}
	if l.DocumentTimeout.Duration == 0 {
		l.DocumentTimeout.Duration = parser.DefaultDocumentTimeout
	}
	setDefault(&c.Routing.CannotDeposit, CannotDepositGuide)
	c.Web.applyDefaults()
	setDefault(&c.Digest.Schedule, DefaultDigestSchedule)
	if c.Digest.WaitingDays == 0 {
		c.Digest.WaitingDays = DefaultDigestWaitingDays
	}
	if c.Replies.PerSenderPerDay == 0 {
		c.Replies.PerSenderPerDay = DefaultRepliesPerSenderPerDay
	}
	in := &c.Instance
	setDefault(&in.DataDir, DefaultDataDir)
	setDefault(&in.CasePrefix, DefaultCasePrefix)
	setDefault(&in.LogLevel, DefaultLogLevel)

	for i := range c.Mailboxes {
		m := &c.Mailboxes[i]
		setDefault(&m.Security, "tls")
		if m.Port == 0 {
			if m.Security == "tls" {
				m.Port = 993
			} else {
				m.Port = 143
			}
		}
		setDefault(&m.Username, m.Address)
		setDefault(&m.Folder, DefaultFolder)
		setDefault(&m.Poll, DefaultPoll)
		setDefault(&m.ProcessedFolder, DefaultProcessedFolder)
		setDefault(&m.ReviewFolder, DefaultReviewFolder)
		setDefault(&m.IgnoredFolder, DefaultIgnoredFolder)
		if m.MaxMessageSize == 0 {
			m.MaxMessageSize = DefaultMaxMessageSize
		}
		setDefault(&m.Auth, DefaultMailboxAuth)
		if m.Auth == "xoauth2" {
			setDefault(&m.OAuth2.Scope, DefaultOAuth2Scope)
		}
	}

	s := &c.SMTP
	setDefault(&s.Security, "starttls")
	if s.Port == 0 {
		switch s.Security {
		case "tls":
			s.Port = 465
		case "plain":
			s.Port = 25
		default:
			s.Port = 587
		}
	}
	setDefault(&s.FromName, c.Instance.Name)
	if s.Timeout.Duration == 0 {
		s.Timeout.Duration = DefaultSMTPTimeout
	}

	ch := &c.Chorus
	setDefault(&ch.Environment, "sandbox")
	if ch.Timeout.Duration == 0 {
		ch.Timeout.Duration = DefaultChorusTimeout
	}
	setDefault(&ch.StatusPoll, DefaultStatusPoll)
	if ch.StructureRefresh.Duration == 0 {
		ch.StructureRefresh.Duration = DefaultStructureRefresh
	}
	setDefault(&ch.LifecyclePoll, DefaultLifecyclePoll)

	for i := range c.Budgets {
		c.Budgets[i].SIRET = ident.Compact(c.Budgets[i].SIRET)
	}
}

func setDefault(p *string, def string) {
	if *p == "" {
		*p = def
	}
}

// BudgetBySIRET returns the budget whose SIRET is siret (compared in their
// normal form, ident.Compact: spaces, dots and dashes ignored).
func (c *Config) BudgetBySIRET(siret string) (Budget, bool) {
	siret = ident.Compact(siret)
	if siret == "" {
		return Budget{}, false
	}
	for _, b := range c.Budgets {
		if ident.Compact(b.SIRET) == siret {
			return b, true
		}
	}
	return Budget{}, false
}

// PasswordSetOnDate returns chorus.password_set_on as a date (midnight UTC),
// and false when it is not set or not a valid date.
func (ch Chorus) PasswordSetOnDate() (time.Time, bool) {
	if ch.PasswordSetOn == "" {
		return time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(ch.PasswordSetOn))
	if err != nil {
		return time.Time{}, false
	}
	return d, true
}
