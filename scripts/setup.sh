#!/usr/bin/env bash
# Installs the Debian packages LiftWatch needs, when they are missing. Safe to run again.
#   mosquitto, mosquitto-clients  the broker (tests, demo, production) and mosquitto_sub/pub
#   libmosquitto-dev              the MQTT client library LiftWatch links
#   libsqlite3-dev, sqlite3       the store
#   openssl                       test certificates for the TLS tests
#   libjs-chart.js, libjs-leaflet the dashboard's charts and map, served from /usr/share/javascript
#   python3-paho-mqtt             the plain-Python peer of the benchmark harness
set -euo pipefail

packages=(mosquitto mosquitto-clients libmosquitto-dev libsqlite3-dev sqlite3 openssl libjs-chart.js libjs-leaflet libqrcodegen-dev python3-paho-mqtt curl)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all system packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts a system-wide mosquitto on 1883 where systemd runs; LiftWatch never relies on it.
echo "setup: done"
