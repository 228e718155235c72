#!/usr/bin/env bash
# Installs the system packages the tests use, when they are missing:
# Java (owlready2's HermiT reasoner); Virtuoso Open Source (the external-store tests,
# started by scripts/virtuoso.sh).  Needs root (CI runs as root).
set -euo pipefail

need=()
# a JDK, not only a runtime: HermiT's justification of an inconsistency runs a
# single-file Java program (service/educluster/java/), which needs the compiler module
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
# headless Chromium and its WebDriver for the browser tests of the pages
# (tests/test_pages_browser.py uses /usr/bin/chromium and /usr/bin/chromedriver)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
command -v virtuoso-t >/dev/null 2>&1 || need+=(virtuoso-opensource)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-system-deps: missing ${need[*]}; run as root or install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # virtuoso-opensource asks for a DBA password: the test instance sets its own
  bash "$(dirname "$0")/virtuoso.sh" preseed
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
