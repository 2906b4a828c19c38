#!/bin/sh
# Installs what `make CROSS=aarch64-linux-gnu` and the arm64 test need:
# Debian's cross compiler, qemu-user, and the arm64 libraries through
# multiarch (dpkg --add-architecture arm64). Idempotent; prints nothing when
# everything is present. Run by scripts/install-deps.sh only when a cross
# build is asked for (install-deps.sh arm64), never for a native build.
#
# Multiarch: a package marked "Multi-Arch: same" installs for arm64 beside
# its amd64 twin. libevent-dev and libwolfssl-dev are not (each has one
# architecture-dependent header: event2/event-config.h, wolfssl/options.h),
# so installing their arm64 builds would remove the amd64 ones the native
# build needs. Their arm64 runtime libraries are Multi-Arch: same and are
# installed; the -dev packages themselves are unpacked (never installed)
# into $CROSS_DEV and their pkg-config files pointed there.
set -eu

ARCH=arm64
TRIPLET=aarch64-linux-gnu
CROSS_DEV=${CROSS_DEV:-/usr/local/lib/outpost-cross/$TRIPLET}

HOST_PKGS="gcc-$TRIPLET binutils-$TRIPLET qemu-user pkg-config dpkg-dev"
ARM_PKGS="libc6-dev libcoap3-dev liblmdb-dev libinih-dev libcjson-dev
libcbor-dev libxml2-dev libevent-2.1-7 libevent-core-2.1-7 libevent-extra-2.1-7
libevent-pthreads-2.1-7 libevent-openssl-2.1-7 libwolfssl35 libmosquitto-dev"
UNPACK_PKGS="libevent-dev libwolfssl-dev"
# tzdata is Architecture: all: the native one (install-deps.sh) serves the
# arm64 binaries under qemu-user too, and "tzdata:arm64" names no package.

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null |
	    grep -q 'install ok installed'
}

missing=""
for p in $HOST_PKGS; do
	installed "$p" || missing="$missing $p"
done
for p in $ARM_PKGS; do
	installed "$p:$ARCH" || missing="$missing $p:$ARCH"
done
if [ -n "$missing" ]; then
	echo "install-cross-deps: installing$missing" >&2
	if ! dpkg --print-foreign-architectures | grep -qx "$ARCH"; then
		$SUDO dpkg --add-architecture "$ARCH"
	fi
	$SUDO apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The two -dev packages that are not Multi-Arch: same, unpacked at the
# version of their installed runtime libraries. A stamp file holds the
# versions unpacked; a change of version unpacks again.
want=""
for p in $UNPACK_PKGS; do
	v=$(apt-cache policy "$p:$ARCH" | sed -n 's/^ *Candidate: //p')
	want="$want $p=$v"
done
[ -f "$CROSS_DEV/stamp" ] && [ "$(cat "$CROSS_DEV/stamp")" = "$want" ] &&
    exit 0
echo "install-cross-deps: unpacking$want for $ARCH into $CROSS_DEV" >&2
tmp=$(mktemp -d)
chmod 755 "$tmp"	# apt-get download runs as _apt
trap 'rm -rf "$tmp"' EXIT
$SUDO rm -rf "$CROSS_DEV"
$SUDO mkdir -p "$CROSS_DEV"
for pv in $want; do
	(cd "$tmp" && apt-get download -qq "${pv%%=*}:$ARCH=${pv#*=}" \
	    >/dev/null)
done
for deb in "$tmp"/*.deb; do
	$SUDO dpkg-deb -x "$deb" "$CROSS_DEV"
done
# Point the .pc files at the unpacked headers, and the unpacked .so links
# (relative, to files that are not there) at the installed libraries.
for pc in "$CROSS_DEV/usr/lib/$TRIPLET/pkgconfig/"*.pc; do
	$SUDO sed -i "s|^prefix=/usr\$|prefix=$CROSS_DEV/usr|" "$pc"
done
for so in "$CROSS_DEV/usr/lib/$TRIPLET/"*.so; do
	[ -L "$so" ] || continue
	$SUDO ln -sf "/usr/lib/$TRIPLET/$(readlink "$so")" "$so"
done
echo "$want" | $SUDO tee "$CROSS_DEV/stamp" >/dev/null
