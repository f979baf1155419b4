#!/usr/bin/env bash
# Installs the system packages the project needs (document rendering and its tests), once.
# As root it uses apt-get; otherwise it prints exactly what to install and fails.
set -euo pipefail
need=()
command -v wkhtmltopdf >/dev/null 2>&1 || need+=(wkhtmltopdf)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
# Read the font list once: `fc-list | grep -q` under pipefail fails when grep stops early (SIGPIPE).
fonts=$(fc-list 2>/dev/null || true)
grep -qi "Noto Sans CJK" <<<"$fonts" || need+=(fonts-noto-cjk)
grep -qi "Garuda\|Loma\|Kinnari" <<<"$fonts" || need+=(fonts-thai-tlwg)
python3 -c "import ensurepip" >/dev/null 2>&1 || need+=(python3-venv)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "missing system packages: ${need[*]}" >&2
  echo "install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
