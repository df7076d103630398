#!/bin/sh
# Lays out the runtime root file system of Verdict's image in ROOT: the stripped binary, every
# shared library `ldd` lists (copied to the path ldd names, symlinks resolved), the dynamic
# loader, CA certificates, passwd/group with the non-root user `verdict` (10001), /tmp.
# Used by the Dockerfile's build stage and by deploy/build-image.sh --from-host.
#   deploy/collect-runtime.sh BINARY ROOT
set -eu
bin="$1"; root="$2"
[ -x "$bin" ] || { echo "collect-runtime: $bin is not an executable" >&2; exit 1; }
mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/tmp" "$root/model"
chmod 1777 "$root/tmp"
cp "$bin" "$root/usr/local/bin/verdict"
strip --strip-unneeded "$root/usr/local/bin/verdict"

# "libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
libs=$(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
[ -n "$libs" ] || { echo "collect-runtime: ldd listed no libraries for $bin" >&2; exit 1; }
for lib in $libs; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

# libcurl (OpenSSL flavour) reads Debian's bundle at this path.
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/usr/sbin/nologin
verdict:x:10001:10001:verdict:/tmp:/usr/sbin/nologin
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
verdict:x:10001:
GROUP
# Hostname lookups (webhooks, pull): glibc's built-in files+dns services need no plugins.
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
