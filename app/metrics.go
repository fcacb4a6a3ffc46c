package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"facteur/chorus"
	"facteur/gateway"
	"facteur/guard"
	"facteur/store"
)

// storeCollector reads the state counts from the store at scrape time, so
// that the figures are those of the database, whatever restarted when.
type storeCollector struct {
	st       *store.Store
	messages *prometheus.Desc
	cases    *prometheus.Desc
	outbox   *prometheus.Desc
	// unconfirmed counts the replies ever marked sent, unconfirmed.
	unconfirmed *prometheus.Desc
	// slow counts the cases depositing for more than an hour.
	slow *prometheus.Desc
	up   *prometheus.Desc
}

func newStoreCollector(st *store.Store) *storeCollector {
	return &storeCollector{
		st:       st,
		messages: prometheus.NewDesc("facteur_messages", "Ingested messages, by state.", []string{"state"}, nil),
		cases:    prometheus.NewDesc("facteur_cases", "Invoice cases, by state.", []string{"state"}, nil),
		outbox:   prometheus.NewDesc("facteur_replies", "Replies to suppliers, by state.", []string{"state"}, nil),
		unconfirmed: prometheus.NewDesc("facteur_replies_unconfirmed_total",
			"Replies whose sending was interrupted after DATA (crash, or no answer to the end of the message): marked sent, unconfirmed, not sent again.", nil, nil),
		slow: prometheus.NewDesc("facteur_cases_depositing_over_1h",
			"Cases in depositing for more than an hour (deposits in doubt whose searches on Chorus Pro have not settled them).", nil, nil),
		up: prometheus.NewDesc("facteur_store_up", "1 when the database answered the scrape.", nil, nil),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.messages
	ch <- c.cases
	ch <- c.outbox
	ch <- c.unconfirmed
	ch <- c.slow
	ch <- c.up
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.st.Counts(ctx)
	var unconfirmed int
	var slow []store.SlowDeposit
	if err == nil {
		unconfirmed, err = c.st.UnconfirmedSends(ctx)
	}
	if err == nil {
		slow, err = c.st.SlowDeposits(ctx, time.Now().Add(-gateway.SlowDepositAfter))
	}
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for st, n := range counts.Messages {
		ch <- prometheus.MustNewConstMetric(c.messages, prometheus.GaugeValue, float64(n), string(st))
	}
	for st, n := range counts.Cases {
		ch <- prometheus.MustNewConstMetric(c.cases, prometheus.GaugeValue, float64(n), string(st))
	}
	for st, n := range counts.Outbox {
		ch <- prometheus.MustNewConstMetric(c.outbox, prometheus.GaugeValue, float64(n), string(st))
	}
	ch <- prometheus.MustNewConstMetric(c.unconfirmed, prometheus.CounterValue, float64(unconfirmed))
	ch <- prometheus.MustNewConstMetric(c.slow, prometheus.GaugeValue, float64(len(slow)))
}

// passwordCollector exports the expiry of the Chorus Pro technical
// password (changed every 424 days), when its date is configured.
type passwordCollector struct {
	a      *App
	expiry *prometheus.Desc
}

func (c *passwordCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.expiry }

func (c *passwordCollector) Collect(ch chan<- prometheus.Metric) {
	setOn, ok := c.a.cfg.Chorus.PasswordSetOnDate()
	if !ok {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.expiry, prometheus.GaugeValue, float64(chorus.PasswordExpiry(setOn).Unix()))
}

// mailboxCollector exports when each mailbox was last read successfully.
type mailboxCollector struct {
	a    *App
	last *prometheus.Desc
	up   *prometheus.Desc
}

func (c *mailboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.last; ch <- c.up }

func (c *mailboxCollector) Collect(ch chan<- prometheus.Metric) {
	for _, w := range c.a.watchers {
		st := w.Status()
		up := 0.0
		if st.LastError == nil && !st.LastSuccess.IsZero() {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, st.Mailbox)
		if !st.LastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.last, prometheus.GaugeValue, float64(st.LastSuccess.Unix()), st.Mailbox)
		}
	}
}

// Handler serves /metrics (Prometheus) and /healthz for operators.
func (a *App) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newStoreCollector(a.store),
		&mailboxCollector{a: a,
			last: prometheus.NewDesc("facteur_mailbox_last_success_timestamp_seconds", "When the mailbox was last read successfully.", []string{"mailbox"}, nil),
			up:   prometheus.NewDesc("facteur_mailbox_up", "1 when the last cycle on the mailbox succeeded.", []string{"mailbox"}, nil)},
		&passwordCollector{a: a, expiry: prometheus.NewDesc("facteur_chorus_password_expiry_timestamp_seconds",
			"When the Chorus Pro technical password expires (chorus.password_set_on + 424 days).", nil, nil)},
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "facteur_panics_recovered_total",
			Help: "Panics recovered since the start: each set a message, case or reply aside (see the logs for the stack)."},
			func() float64 { return float64(guard.Total()) }),
	)
	if f := a.register; f != nil {
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "facteur_register_engagements",
				Help: "Engagements in the register as last read successfully."}, func() float64 {
				r, _ := f.Current(time.Now())
				return float64(r.Len())
			}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "facteur_register_up",
				Help: "1 when the latest read of the engagement register file succeeded."}, func() float64 {
				if _, err := f.Current(time.Now()); err != nil {
					return 0
				}
				return 1
			}),
		)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", a.serveHealth)
	return mux
}

// Health is the answer of /healthz.
type Health struct {
	Status   string            `json:"status"` // "ok", "warning" or "failing"
	Checks   map[string]string `json:"checks"`
	Warnings []string          `json:"warnings,omitempty"`
}

// health checks what an operator must know now: the database answers, the
// technical password is valid, the work is not piling up.
func (a *App) health(ctx context.Context) Health {
	h := Health{Status: "ok", Checks: map[string]string{}}
	fail := func(k, v string) { h.Checks[k], h.Status = v, "failing" }
	warn := func(k, v string) {
		h.Checks[k] = "warning"
		h.Warnings = append(h.Warnings, v)
		if h.Status == "ok" {
			h.Status = "warning"
		}
	}
	if err := a.store.Ping(ctx); err != nil {
		fail("store", err.Error())
	} else {
		h.Checks["store"] = "ok"
	}
	for _, w := range a.watchers {
		// A mailbox not read for a while: nothing is lost (the mail waits
		// on the server) but nothing is processed either.
		st := w.Status()
		key := "mailbox " + st.Mailbox
		switch {
		case st.LastError == nil && !st.LastSuccess.IsZero():
			h.Checks[key] = "ok"
		case st.LastSuccess.IsZero() && st.LastError == nil:
			h.Checks[key] = "starting"
		case time.Since(st.LastSuccess) > 15*time.Minute:
			fail(key, "not read since "+sinceText(st.LastSuccess)+": "+st.LastError.Error())
		default:
			warn(key, "last attempt failed: "+st.LastError.Error())
		}
	}
	h.Checks["chorus_password"] = "ok"
	if setOn, ok := a.cfg.Chorus.PasswordSetOnDate(); ok {
		now := time.Now()
		if w, expiry := chorus.PasswordNeedsWarning(setOn, now); w {
			if now.After(expiry) {
				fail("chorus_password", PasswordWarning(a.cfg, now))
			} else {
				warn("chorus_password", PasswordWarning(a.cfg, now))
			}
		}
	} else {
		h.Checks["chorus_password"] = "unknown (chorus.password_set_on not set)"
	}
	return h
}

func (a *App) serveHealth(w http.ResponseWriter, r *http.Request) {
	h := a.health(r.Context())
	w.Header().Set("Content-Type", "application/json")
	if h.Status == "failing" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(h)
}

// serveMetrics serves Handler on the configured address until ctx ends.
func (a *App) serveMetrics(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	a.log.Info("metrics and health served", "addr", ln.Addr().String())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

func sinceText(t time.Time) string {
	if t.IsZero() {
		return "start"
	}
	return t.Format(time.RFC3339)
}
