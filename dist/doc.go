// Package dist holds what Facteur ships beside its binary: the systemd unit
// (facteur.service) and the Debian packaging. Its Go files are only the
// tests of those files.
package dist
