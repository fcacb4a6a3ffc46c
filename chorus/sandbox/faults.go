package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind is what an injected fault does to a request.
type FaultKind string

// Fault kinds.
const (
	// FaultStatus answers Fault.Status (e.g. 503, 429, 500) without
	// processing the request.
	FaultStatus FaultKind = "status"
	// FaultHang holds the request for Fault.Delay (or until the client
	// gives up), without processing it, then answers 504: a timeout when
	// Delay exceeds the client's timeout.
	FaultHang FaultKind = "hang"
	// FaultSlow waits Fault.Delay, then processes the request and answers
	// normally. When Delay exceeds the client's timeout, the request is
	// processed (a deposit recorded) although the client saw a timeout.
	FaultSlow FaultKind = "slow"
	// FaultDrop closes the connection before processing the request: the
	// client gets no answer and nothing was recorded.
	FaultDrop FaultKind = "drop"
	// FaultCommitDrop processes the request (a deposit is recorded), then
	// closes the connection without answering.
	FaultCommitDrop FaultKind = "commit_drop"
)

// Fault is an injected failure of API requests (the token endpoint is never
// affected). It applies to the next Count matching requests, or, when
// Probability is set, to each matching request with that probability
// (drawn from the sandbox's seeded generator, Options.Seed), at most Count
// times when Count > 0.
type Fault struct {
	Path        string        // API path, e.g. "/cpro/factures/v1/deposer/flux"; "" = any API path
	Kind        FaultKind     // default FaultStatus
	Status      int           // FaultStatus: HTTP status; default 503
	Delay       time.Duration // FaultHang, FaultSlow; default 2 minutes for FaultHang
	Count       int           // remaining applications; 0 with Probability = unlimited
	Probability float64       // 0 = always (Count then required); else in (0, 1]
}

func (f *Fault) normalize() error {
	if f.Kind == "" {
		f.Kind = FaultStatus
	}
	switch f.Kind {
	case FaultStatus:
		if f.Status == 0 {
			f.Status = http.StatusServiceUnavailable
		}
		if f.Status < 400 || f.Status > 599 {
			return fmt.Errorf("sandbox: fault status %d is not an HTTP error", f.Status)
		}
	case FaultHang:
		if f.Delay == 0 {
			f.Delay = 2 * time.Minute
		}
	case FaultSlow, FaultDrop, FaultCommitDrop:
	default:
		return fmt.Errorf("sandbox: unknown fault kind %q", f.Kind)
	}
	switch {
	case f.Delay < 0:
		return fmt.Errorf("sandbox: negative fault delay")
	case f.Probability < 0 || f.Probability > 1:
		return fmt.Errorf("sandbox: fault probability %v is not in [0, 1]", f.Probability)
	case f.Count < 0:
		return fmt.Errorf("sandbox: negative fault count")
	case f.Probability == 0 && f.Count == 0:
		return fmt.Errorf("sandbox: a fault needs a count or a probability")
	}
	if f.Path != "" && !strings.HasPrefix(f.Path, "/") {
		return fmt.Errorf("sandbox: fault path %q must start with /", f.Path)
	}
	return nil
}

// ParseFault reads a fault written as comma-separated key=value pairs, for
// the command line: "path=/cpro/factures/v1/deposer/flux,kind=commit_drop,count=1",
// "kind=status,status=503,p=0.3", "kind=slow,delay=3s,count=2". Keys: path,
// kind, status, delay, count, p (probability).
func ParseFault(spec string) (Fault, error) {
	var f Fault
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return f, fmt.Errorf("sandbox: fault %q: %q is not key=value", spec, kv)
		}
		var err error
		switch strings.TrimSpace(k) {
		case "path":
			f.Path = v
		case "kind":
			f.Kind = FaultKind(v)
		case "status":
			f.Status, err = strconv.Atoi(v)
		case "delay":
			f.Delay, err = time.ParseDuration(v)
		case "count":
			f.Count, err = strconv.Atoi(v)
		case "p", "probability":
			f.Probability, err = strconv.ParseFloat(v, 64)
		default:
			err = fmt.Errorf("unknown key")
		}
		if err != nil {
			return f, fmt.Errorf("sandbox: fault %q: %s: %v", spec, k, err)
		}
	}
	return f, f.normalize()
}

// Inject adds a fault; faults are tried in the order they were added.
func (s *Server) Inject(f Fault) error {
	if err := f.normalize(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
	return nil
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// FailNext makes the next n API requests to apiPath ("" for any API path,
// e.g. "/cpro/factures/v1/deposer/flux") fail with the given HTTP status
// (e.g. 503 or 429) before any processing: fault injection for tests of the
// retry logic. The token endpoint is not affected.
func (s *Server) FailNext(apiPath string, status, n int) {
	if n <= 0 {
		return
	}
	_ = s.Inject(Fault{Path: apiPath, Kind: FaultStatus, Status: status, Count: n})
}

// takeFault returns the fault to apply to a request for path, if any.
func (s *Server) takeFault(path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < len(s.faults); i++ {
		f := &s.faults[i]
		if f.Path != "" && f.Path != path {
			continue
		}
		if f.Probability > 0 && s.rng.Float64() >= f.Probability {
			continue
		}
		got := *f
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		s.faultsApplied++
		return got, true
	}
	return Fault{}, false
}

// FaultsApplied returns how many faults were applied so far.
func (s *Server) FaultsApplied() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faultsApplied
}

// dropConnection closes the client connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// Not hijackable (HTTP/2): abort the response, which resets the stream.
	panic(http.ErrAbortHandler)
}
