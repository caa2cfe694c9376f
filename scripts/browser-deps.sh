#!/usr/bin/env bash
# Makes the browser tests runnable: Debian's `chromium` (installed with apt, as root or with
# sudo, when /usr/bin/chromium is missing; never a downloaded browser build) and the pinned npm
# packages of tests/browser (playwright-core, axe-core) from the npm registry. Also Debian's
# `poppler-utils`, whose pdftotext the proposal PDF tests use.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

apt_install() {
  if ! command -v apt-get >/dev/null; then
    echo "browser-deps.sh: please install $* yourself (no apt-get here)" >&2
    exit 1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium..."
  apt_install chromium
fi

# pdftotext reads back the text layer of the proposal PDFs in the services tests.
if ! command -v pdftotext >/dev/null; then
  echo "installing Debian's poppler-utils (pdftotext)..."
  apt_install poppler-utils
fi

if ! command -v npm >/dev/null; then
  echo "browser-deps.sh: node and npm (Node 20 or later) are needed for the browser tests" >&2
  exit 1
fi
cd tests/browser
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
  # npm ci keeps the folder's old time when it only refreshes its content.
  touch node_modules
fi
