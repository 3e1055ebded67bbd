#!/bin/sh
# samples/postgres: mmdebstrap customize hook, run on the finished tree ($1) before it is archived.
# Purges what the server does not need to start: LLVM and libz3 (the JIT; jit = off), perl
# (Debian's pg_wrapper and cluster tools: the entrypoint calls the binaries directly), locales
# (C.UTF-8 is built into glibc) and ssl-cert/openssl (no TLS in a test database). Then configures
# the sample config the way the official image does and installs the entrypoint.
set -eu
root=$1
here=$(cd "$(dirname "$0")" && pwd)
pg=/usr/lib/postgresql/15

# Debian's postinst made a "main" cluster; the entrypoint makes its own in $PGDATA
rm -rf "$root/var/lib/postgresql/15" "$root/etc/postgresql/15"

purge="libllvm14 libz3-4 libedit2 perl perl-modules-5.36 libperl5.36 libgdbm6 libgdbm-compat4
  libjson-perl libjson-xs-perl libcommon-sense-perl libtypes-serialiser-perl locales ssl-cert openssl
  postgresql-client-common sensible-utils"
installed=
for p in $purge; do
    # shellcheck disable=SC2016 # ${Status} is dpkg-query's format, not the shell's
    chroot "$root" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' && installed="$installed $p"
done
# shellcheck disable=SC2086 # a list of package names
[ -z "$installed" ] || chroot "$root" dpkg --purge --force-depends $installed >/dev/null

conf=$root/usr/share/postgresql/15/postgresql.conf.sample
sed -ri -e "s/^#?(listen_addresses)[[:space:]]*=[[:space:]]*[^[:space:]]+/\1 = '*'/" \
    -e "s/^#?(jit)[[:space:]]*=[[:space:]]*[^[:space:]]+/\1 = off/" "$conf"
grep -q "^listen_addresses = '\*'" "$conf"
grep -q "^jit = off" "$conf"

install -m 0755 "$here/docker-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
mkdir -p "$root/docker-entrypoint-initdb.d" "$root/var/lib/postgresql/data"
chroot "$root" chown postgres:postgres /var/lib/postgresql/data

# every binary the entrypoint runs still finds its libraries
for b in postgres initdb pg_ctl psql; do
    if chroot "$root" ldd "$pg/bin/$b" | grep 'not found'; then
        echo "samples/postgres: $pg/bin/$b lost a library to the purge" >&2
        exit 1
    fi
done
chroot "$root" "$pg/bin/postgres" --version
