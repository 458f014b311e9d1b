#!/usr/bin/env bash
# Installs the system tools the test suite drives, from Debian's packages, when they are
# missing: Chromium (browser tests; Playwright drives /usr/bin/chromium because its own
# browser download does not work offline), LibreOffice Writer and Calc and poppler (the
# compiled report, the printed workbook and a printed directive rendered to PDF and PNG,
# with Liberation fonts, metric-compatible with the Times New Roman of Vietnamese
# documents), nginx (`nginx -t` on the proxy
# example, never started) and wrk (the web benchmark's load generator).
# The README's test command and .ci/run both call it. Needs root (or sudo) only when
# something is missing.
set -euo pipefail

packages=()
command -v chromium >/dev/null || packages+=(chromium)
dpkg -s libreoffice-writer-nogui >/dev/null 2>&1 || packages+=(libreoffice-writer-nogui)
dpkg -s libreoffice-calc-nogui >/dev/null 2>&1 || packages+=(libreoffice-calc-nogui)
command -v pdftoppm >/dev/null || packages+=(poppler-utils)
command -v wrk >/dev/null || packages+=(wrk)
[ -x /usr/sbin/nginx ] || packages+=(nginx)
dpkg -s fonts-liberation >/dev/null 2>&1 || packages+=(fonts-liberation)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || packages+=(fonts-dejavu-core)
[ ${#packages[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A package's maintainer script must not start a service (nginx would listen on port 80):
# policy-rc.d answering 101 forbids it. Only a policy file this script wrote is removed.
policy=/usr/sbin/policy-rc.d
ours=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    ours=1
fi
cleanup() { [ -z "$ours" ] || $sudo rm -f "$policy"; }
trap cleanup EXIT
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
