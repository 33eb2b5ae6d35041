#!/bin/sh
# Installs archive station as a systemd service: the binary, the unit, the udev rules and
# a default configuration that is never overwritten. Safe to run again: files whose
# content is already in place are left alone, and an edited configuration is kept.
#
#   cargo build --release -p station
#   sudo packaging/install.sh                      # into /, then: systemctl enable --now archive-station
#   DESTDIR=/tmp/stage packaging/install.sh        # into a staging tree (no users, no systemctl)
#
# Arguments: [BINARY] (default: target/release/station beside this folder).
# Environment: DESTDIR (a tree to install into instead of /), PREFIX (default /usr/local).
# The user `station` (in the groups dialout and lp) is created only when run as root into
# the real system (no DESTDIR).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
binary=${1:-$here/../target/release/station}
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}

if [ ! -f "$binary" ]; then
    echo "install.sh: no station binary at $binary (build it: cargo build --release -p station)" >&2
    exit 1
fi

say() {
    printf '%s\n' "$*"
}

# put MODE SOURCE TARGET: installs SOURCE as TARGET with MODE, atomically; a TARGET that
# already has SOURCE's content is left as it is (only its mode is set).
put() {
    if [ -f "$3" ] && cmp -s "$2" "$3"; then
        chmod "$1" "$3"
        say "unchanged  $3"
        return 0
    fi
    mkdir -p "$(dirname "$3")"
    cp "$2" "$3.new.$$"
    chmod "$1" "$3.new.$$"
    mv -f "$3.new.$$" "$3"
    say "installed  $3"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# The binary.
put 0755 "$binary" "$DESTDIR$PREFIX/bin/station"

# The unit, naming the binary where it was installed.
sed "s|/usr/local/bin/station|$PREFIX/bin/station|" "$here/archive-station.service" >"$work/unit"
put 0644 "$work/unit" "$DESTDIR/etc/systemd/system/archive-station.service"

# The udev rules.
put 0644 "$here/99-archive-station.rules" "$DESTDIR/etc/udev/rules.d/99-archive-station.rules"

# The configuration: installed once, never overwritten.
config="$DESTDIR/etc/archive-station/station.toml"
if [ -e "$config" ]; then
    say "kept       $config"
else
    put 0644 "$here/station.toml" "$config"
fi

# The data directory, owner-only (systemd's StateDirectory= makes it too).
data="$DESTDIR/var/lib/archive-station"
if [ ! -d "$data" ]; then
    mkdir -p "$data"
    say "created    $data"
fi
chmod 0700 "$data"

if [ -z "$DESTDIR" ] && [ "$(id -u)" = 0 ]; then
    for group in station dialout lp; do
        getent group "$group" >/dev/null || groupadd --system "$group"
    done
    if ! getent passwd station >/dev/null; then
        useradd --system --gid station --groups dialout,lp --home-dir /var/lib/archive-station \
            --no-create-home --shell /usr/sbin/nologin station
        say "created    user station (groups dialout, lp)"
    else
        usermod --append --groups dialout,lp station
    fi
    chown station:station "$data"
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
        systemctl daemon-reload
    fi
    if command -v udevadm >/dev/null && [ -d /run/udev ]; then
        udevadm control --reload || true
    fi
    say "next: edit /etc/archive-station/station.toml, then: systemctl enable --now archive-station"
else
    say "not creating the user station nor reloading systemd/udev (DESTDIR set, or not root)"
fi
