package imapwatch

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// wait returns when the next cycle is due: new mail announced in IDLE, a
// Trigger, the next time of the schedule, or ctx done. It returns an error
// when the connection failed while idling (the session is then dropped).
func (w *Watcher) wait(ctx context.Context) error {
	next := w.schedule.Next(time.Now())
	w.mu.Lock()
	s := w.sess
	w.mu.Unlock()
	if s != nil && s.idle && !w.opts.DisableIdle {
		return w.idle(ctx, s, next)
	}
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	case <-w.trigger:
	}
	return nil
}

// idleEnd says why an IDLE command was ended.
type idleEnd int

const (
	idleCycle    idleEnd = iota // a cycle is due (news, Trigger, schedule, token renewal)
	idleCheck                   // liveness check or IDLE restart: idle again afterwards
	idleShutdown                // ctx done
)

// idle runs IDLE on s until a cycle is due, holding the cycle semaphore so
// that nothing else uses the connection meanwhile (Cycle interrupts it
// through Trigger). Every LivenessInterval, and at most after IdleRestart,
// it ends IDLE and sends NOOP, each answer bounded by LivenessTimeout.
func (w *Watcher) idle(ctx context.Context, s *session, next time.Time) error {
	select {
	case w.sem <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	defer func() { <-w.sem }()
	w.mu.Lock()
	current := w.sess == s && !w.closed
	w.mu.Unlock()
	if !current {
		return nil
	}

	for {
		select {
		case <-s.updates:
			return nil // news arrived after the last cycle's SELECT
		default:
		}
		err := w.idleOnce(ctx, s, next)
		if err == nil {
			return nil
		}
		if errors.Is(err, errKeepIdling) {
			continue
		}
		w.dropSession(s)
		w.mu.Lock()
		closed := w.closed
		w.mu.Unlock()
		if closed || ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("imapwatch: mailbox %s: %w", w.opts.Name, err)
	}
}

// errKeepIdling: the liveness check passed and no cycle is due.
var errKeepIdling = errors.New("keep idling")

// idleOnce runs one IDLE command and the liveness check after it. It
// returns nil when a cycle is due (or ctx is done), errKeepIdling to idle
// again, or the error that ended the connection.
func (w *Watcher) idleOnce(ctx context.Context, s *session, next time.Time) error {
	now := time.Now()
	wake := min(next.Sub(now), w.opts.LivenessInterval, w.opts.IdleRestart)
	if !s.renewAt.IsZero() {
		wake = min(wake, s.renewAt.Sub(now))
	}
	if wake <= 0 {
		return nil
	}

	// The server must acknowledge IDLE within LivenessTimeout.
	guard := time.AfterFunc(w.opts.LivenessTimeout, func() { s.c.Close() })
	cmd, err := s.c.Idle()
	if !guard.Stop() && err == nil {
		err = errors.New("no answer to IDLE")
	}
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}

	timer := time.NewTimer(wake)
	defer timer.Stop()
	end := idleCheck
	select {
	case <-ctx.Done():
		end = idleShutdown
	case <-s.updates:
		end = idleCycle
	case <-w.trigger:
		end = idleCycle
	case <-s.c.Closed():
		cmd.Close()
		return errors.New("connection closed while idling")
	case <-timer.C:
		if now := time.Now(); !now.Before(next) || !s.renewAt.IsZero() && !now.Before(s.renewAt) {
			end = idleCycle
		}
	}
	if end == idleShutdown {
		// Run ends; Close logs out (or cuts) the connection.
		cmd.Close()
		return nil
	}

	// DONE, then the server's OK, then (for a check) NOOP: each within
	// LivenessTimeout, else the connection is cut and reported dead.
	guard = time.AfterFunc(w.opts.LivenessTimeout, func() { s.c.Close() })
	err = cmd.Close()
	if err == nil {
		err = cmd.Wait()
	}
	if err == nil && end == idleCheck {
		err = s.c.Noop().Wait()
	}
	if !guard.Stop() {
		return fmt.Errorf("liveness check: no answer within %s", w.opts.LivenessTimeout)
	}
	if err != nil {
		return fmt.Errorf("end idle: %w", err)
	}
	s.justChecked = end == idleCycle
	if end == idleCheck {
		return errKeepIdling
	}
	return nil
}
