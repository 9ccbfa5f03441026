#!/usr/bin/env bash
# Build the systemd test image for Molecule with debootstrap + docker import, when its tag is
# missing. No registry is needed. Usage: build-image.sh [debian-release]   (default: bookworm)
# Prints the image tag on the last line of stdout.
#
# The tag carries a hash of this script, so a change to the recipe builds a fresh image while an
# unchanged recipe reuses the cached one. Set MOLECULE_IMAGE to skip all of this and use your own.
set -euo pipefail

release="${1:-bookworm}"
case "$release" in
  bookworm) version=12 ;;
  trixie) version=13 ;;
  *) echo "build-image: unsupported release '$release' (bookworm or trixie)" >&2; exit 2 ;;
esac

here="$(cd "$(dirname "$0")" && pwd)"
# Local CA certificates of this machine (a TLS-inspecting proxy's, a company CA) go into the image,
# so that containers reach HTTPS package indexes the way the machine does.
extra_ca_dir="${WEBSTACK_EXTRA_CA_DIR:-/usr/local/share/ca-certificates}"
extra_cas=()
while IFS= read -r -d '' certificate; do extra_cas+=("$certificate"); done \
  < <(find "$extra_ca_dir" -maxdepth 1 -name '*.crt' -print0 2>/dev/null | sort -z)
recipe_hash="$(cat "$0" "${extra_cas[@]}" | sha256sum | cut -c1-12)"
tag="scalable-webstack/debian${version}-systemd:${recipe_hash}"

"$here/ensure-docker.sh" >&2

if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "build-image: reusing cached image $tag" >&2
  echo "$tag"
  exit 0
fi

# The mirror comes from this machine's own apt sources unless DEBIAN_MIRROR is given.
mirror="${DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
  mirror="$(grep -hoE '^(URIs:|deb) +[a-z]+://[^ ]+/debian/?( |$)' \
              /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
            | awk '{print $2}' | head -n 1 || true)"
fi
if [ -z "$mirror" ]; then
  echo "build-image: no Debian mirror found in /etc/apt; set DEBIAN_MIRROR" >&2
  exit 2
fi
security_mirror="${DEBIAN_SECURITY_MIRROR:-${mirror%/debian*}/debian-security}"

if ! command -v debootstrap >/dev/null 2>&1; then
  echo "build-image: installing debootstrap" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

packages=python3,python3-apt,systemd,systemd-sysv,sudo,iproute2,ca-certificates,curl,procps,gnupg,netbase
rootfs="$(mktemp -d /var/tmp/webstack-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT

echo "build-image: debootstrap $release from $mirror into $rootfs" >&2
debootstrap --variant=minbase --include="$packages" "$release" "$rootfs" "$mirror" >&2

cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $release main
deb $mirror $release-updates main
deb $security_mirror $release-security main
SOURCES

# dpkg is the cost of every install in a scenario: skip fsync and the files nobody reads in a test
# container (docs, man pages, translations), as Debian's own slim images do.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/01-webstack-test-image" <<'DPKG'
force-unsafe-io
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
rm -rf "$rootfs"/usr/share/doc/*/[!c]* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*

# Units that slow a container's boot or make no sense in one.
for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
            systemd-remount-fs.service sys-kernel-debug.mount sys-kernel-tracing.mount \
            sys-kernel-config.mount dev-hugepages.mount dev-mqueue.mount systemd-firstboot.service \
            systemd-modules-load.service systemd-sysusers.service systemd-hwdb-update.service \
            systemd-journal-flush.service systemd-timesyncd.service apt-daily.timer \
            apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
ln -sf /lib/systemd/system/multi-user.target "$rootfs/etc/systemd/system/default.target"
mkdir -p "$rootfs/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=32M\n' \
  >"$rootfs/etc/systemd/journald.conf.d/10-container.conf"

# Each container gets its own machine-id at boot.
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"

if [ "${#extra_cas[@]}" -gt 0 ]; then
  echo "build-image: trusting ${#extra_cas[@]} local CA certificate(s) from $extra_ca_dir" >&2
  cp "${extra_cas[@]}" "$rootfs/usr/local/share/ca-certificates/"
  chroot "$rootfs" update-ca-certificates >/dev/null
fi
# pip in the containers trusts the system bundle (with those CAs), not its own copy.
printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$rootfs/etc/pip.conf"

chroot "$rootfs" apt-get -o APT::Sandbox::User=root update -qq >&2
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/tmp/* "$rootfs"/var/log/*.log

echo "build-image: importing $tag" >&2
tar -C "$rootfs" --numeric-owner -c . | docker import \
  --change 'ENV container=docker' \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --message "scalable.webstack test image, Debian $version, recipe $recipe_hash" \
  - "$tag" >&2
docker tag "$tag" "scalable-webstack/debian${version}-systemd:latest"
echo "$tag"
