package web

import (
	"net/http"
)

// pageCSP is the Content-Security-Policy of every page: nothing but the
// page's own style sheet and images; no script at all, no frame, forms
// posted to the page only.
const pageCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// documentCSP is the policy of a served document (a supplier's PDF):
// nothing may load or run from it.
const documentCSP = "default-src 'none'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"

// secureHeaders sets the security headers of every response; a document
// handler replaces the policy with documentCSP.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
		h.Set("Cache-Control", "no-store")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}
