#!/usr/bin/env bash
# Installs the system packages the tests use, when they are missing:
# Java (owlready2's HermiT reasoner).  Needs root (CI runs as root).
set -euo pipefail

need=()
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-system-deps: missing ${need[*]}; run as root or install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
