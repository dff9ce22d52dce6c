#!/bin/bash
# Publish the kiosk's Debian packages into a signed apt repository (reprepro), from which kiosks
# update with `kiosk update` (kiosk/updates.py).
#
#   installer/apt-repo.sh REPO_DIR SIGNING_KEY PACKAGE.deb...
#
# REPO_DIR is created on first use (conf/distributions: suite "stable", component "main"). SIGNING_KEY
# is the fingerprint of the operator's OpenPGP key in the caller's keyring ($GNUPGHOME): the real key
# is the operator's and never in this repository (the tests make a throw-away one). The repository's
# public key is exported to REPO_DIR/kiosk-archive-keyring.gpg; a kiosk trusts only it for this source:
#
#   deb [signed-by=/usr/share/keyrings/kiosk-archive-keyring.gpg] https://updates.example/kiosk stable main
#
# Publishing a new version replaces the previous one in the suite; kiosks keep their installed
# version's .deb themselves for a rollback. Architectures: $KIOSK_REPO_ARCHS (default: this machine's).
set -euo pipefail

if [ "$#" -lt 3 ]; then
  echo "usage: $0 REPO_DIR SIGNING_KEY PACKAGE.deb..." >&2
  exit 2
fi
repo=$1 key=$2
shift 2
for deb in "$@"; do
  [ -f "$deb" ] || { echo "apt-repo: no such package file: $deb" >&2; exit 2; }
done
if ! gpg --batch --list-secret-keys "$key" >/dev/null 2>&1; then
  echo "apt-repo: no secret key $key in the keyring (GNUPGHOME=${GNUPGHOME:-~/.gnupg})" >&2
  exit 2
fi
mkdir -p "$repo/conf"
if [ ! -f "$repo/conf/distributions" ]; then
  cat > "$repo/conf/distributions" <<CONF
Origin: kiosk
Label: kiosk
Codename: stable
Suite: stable
Components: main
Architectures: ${KIOSK_REPO_ARCHS:-$(dpkg --print-architecture)}
Description: Self-service kiosk packages
SignWith: $key
CONF
fi
for deb in "$@"; do
  reprepro --silent -b "$repo" includedeb stable "$deb"
done
gpg --batch --yes --export "$key" > "$repo/kiosk-archive-keyring.gpg"
echo "published $# package(s) to $repo (suite stable, signed by $key)"
