#!/usr/bin/env bash
# Builds the Debian package of Facteur with nfpm:
#
#     dist/build-deb.sh [OUTDIR]        # writes OUTDIR/facteur_VERSION_ARCH.deb (default: .)
#
# and prints the package's path on its last line. It needs Go and nfpm
# (github.com/goreleaser/nfpm/v2, a build tool, not a module of Facteur);
# when nfpm is not on the PATH nor in $(go env GOPATH)/bin, it is installed
# there at the pinned version below.
#
# The package holds:
#   /usr/bin/facteur                          the static binary (CGO_ENABLED=0)
#   /etc/facteur/facteur.toml                 a conffile, from config.example.toml (0640 root:facteur)
#   /lib/systemd/system/facteur.service       dist/facteur.service, when it exists
#   /usr/share/man/man1/facteur.1.gz          facteur(1), written by `facteur man`
#   /usr/share/doc/facteur/                   the finance staff's guide, copyright, changelog
#   /usr/share/lintian/overrides/facteur      dist/debian/lintian-overrides, each with its reason
# and the maintainer scripts of dist/debian/ (the system user facteur,
# /var/lib/facteur, kept on remove, deleted on purge).
#
# Environment:
#   VERSION        the package's version; default: from `git describe --tags`
#                  (v1.2.0 → 1.2.0, v1.2.0-3-gabc → 1.2.0+3.gabc), else
#                  0~gitDATE.REV (".dirty" when the tree has changes)
#   GOARCH         the architecture to build for (amd64, arm64...); default: go env GOARCH
#   DEB_MAINTAINER the Maintainer field; default below
#   SOURCE_DATE_EPOCH  the date written in the package; default: the last commit's
set -euo pipefail

NFPM_VERSION=v2.48.0
root=$(cd "$(dirname "$0")/.." && pwd)
outdir=$(mkdir -p "${1:-.}" && cd "${1:-.}" && pwd)
cd "$root"

export GOARCH="${GOARCH:-$(go env GOARCH)}"
maintainer="${DEB_MAINTAINER:-Facteur maintainers <maintainers@facteur.invalid>}"
rev=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"

if [ -z "${VERSION:-}" ]; then
	if tag=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
		VERSION=$(echo "${tag#v}" | sed -E 's/-([0-9]+)-g([0-9a-f]+)$/+\1.g\2/')
	else
		VERSION="0~git$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S).$(git rev-parse --short=7 HEAD 2>/dev/null || echo 0)"
	fi
	if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		VERSION="$VERSION.dirty"
	fi
fi
case "$VERSION" in
[0-9]*) ;;
*) echo "build-deb: VERSION $VERSION must begin with a digit" >&2; exit 1 ;;
esac

nfpm=$(command -v nfpm || true)
if [ -z "$nfpm" ]; then
	nfpm="$(go env GOPATH)/bin/nfpm"
	if [ ! -x "$nfpm" ]; then
		echo "build-deb: installing nfpm $NFPM_VERSION into $(go env GOPATH)/bin" >&2
		GOFLAGS= GOARCH= go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION"
	fi
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# The binary: static, stripped, its version set. (No -trimpath: the build
# then shares the Go build cache with .ci/run's CGO-free build.)
CGO_ENABLED=0 go build -buildvcs=false \
	-ldflags "-s -w -X main.version=$VERSION" -o "$stage/facteur" ./cmd/facteur

# The man page, from the commands' own help (a host binary when cross-building).
if [ "$GOARCH" = "$(GOARCH= go env GOARCH)" ]; then
	man_bin="$stage/facteur"
else
	GOARCH= CGO_ENABLED=0 go build -buildvcs=false -ldflags "-X main.version=$VERSION" -o "$stage/facteur-host" ./cmd/facteur
	man_bin="$stage/facteur-host"
fi
"$man_bin" man | gzip -9n >"$stage/facteur.1.gz"

# copyright (machine-readable), with the licence's text.
{
	cat <<-EOF
	Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
	Upstream-Name: facteur
	Comment: The binary also holds the Go modules listed in the README's "Licence"
	 section, each under its own licence (MIT, BSD-3-Clause, Apache-2.0; SQLite:
	 public domain), all compatible with the EUPL-1.2, and the Go standard
	 library (BSD-3-Clause).

	Files: *
	Copyright: the authors of Facteur
	License: EUPL-1.2
	EOF
	sed -e 's/^[[:space:]]*$/./' -e 's/^/ /' LICENSE
} >"$stage/copyright"

# changelog (a native package's: changelog.gz).
{
	printf 'facteur (%s) unstable; urgency=medium\n\n' "$VERSION"
	printf '  * Built from the Facteur repository at revision %s.\n\n' "$rev"
	printf ' -- %s  %s\n' "$maintainer" "$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$stage/changelog.gz"

unit=""
if [ -f dist/facteur.service ]; then
	unit="
  - src: $root/dist/facteur.service
    dst: /lib/systemd/system/facteur.service
    file_info: {mode: 0644}"
else
	echo "build-deb: dist/facteur.service does not exist: the package has no unit" >&2
fi

cat >"$stage/nfpm.yaml" <<EOF
name: facteur
arch: $GOARCH
platform: linux
version: "$VERSION"
version_schema: none
section: mail
priority: optional
maintainer: "$maintainer"
license: EUPL-1.2
description: |-
  supplier invoices from e-mail to Chorus Pro
  Facteur reads the supplier invoices e-mailed to a French public body's
  accounting mailbox (Factur-X, UBL, CII, PDF), deposits them on Chorus Pro,
  the State's e-invoicing portal, and answers every supplier in French:
  deposited, with the Chorus Pro reference, or what is missing. What it
  cannot decide on is held for finance staff, who see every case with
  "facteur cases".
depends:
  - adduser
contents:
  - src: $stage/facteur
    dst: /usr/bin/facteur
    file_info: {mode: 0755}
  - src: $root/config.example.toml
    dst: /etc/facteur/facteur.toml
    type: config
    file_info: {mode: 0640}
  - src: $stage/facteur.1.gz
    dst: /usr/share/man/man1/facteur.1.gz
    file_info: {mode: 0644}
  - src: $root/docs/guide-services-financiers.md
    dst: /usr/share/doc/facteur/guide-services-financiers.md
    file_info: {mode: 0644}
  - src: $stage/copyright
    dst: /usr/share/doc/facteur/copyright
    file_info: {mode: 0644}
  - src: $stage/changelog.gz
    dst: /usr/share/doc/facteur/changelog.gz
    file_info: {mode: 0644}
  - src: $root/dist/debian/lintian-overrides
    dst: /usr/share/lintian/overrides/facteur
    file_info: {mode: 0644}$unit
scripts:
  postinstall: $root/dist/debian/postinst
  preremove: $root/dist/debian/prerm
  postremove: $root/dist/debian/postrm
EOF

case "$GOARCH" in
386) debarch=i386 ;;
arm) debarch=armhf ;;
*) debarch=$GOARCH ;;
esac
deb="$outdir/facteur_${VERSION}_$debarch.deb"
"$nfpm" package --config "$stage/nfpm.yaml" --packager deb --target "$deb" >&2
echo "$deb"
