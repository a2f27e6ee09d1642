#!/usr/bin/env bash
# Install the Debian/Ubuntu packages coibot needs, only those that are missing.
#   scripts/system-deps.sh run    tesseract (the reader's OCR)
#   scripts/system-deps.sh test   also PostgreSQL and Dovecot, which the tests start as real peers
set -euo pipefail
mode="${1:-run}"

need=()
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr tesseract-ocr-eng)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
if [ "$mode" = test ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  command -v dovecot >/dev/null 2>&1 || need+=(dovecot-imapd)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing system packages: ${need[*]} (install them with your package manager)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
