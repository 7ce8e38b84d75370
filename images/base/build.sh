#!/usr/bin/env bash
# images/base/build.sh — make debian:bookworm-slim from Debian's archive and
# import it into the Docker engine (for machines that can reach Debian's
# archive but no container registry). See README.md beside this file.
#
#   images/base/build.sh                 build and tag debian:bookworm-slim
#   BASE_TAG=test/base:dev build.sh      same, under another tag
#
# Environment:
#   BASE_TAG                image tag to create (default debian:bookworm-slim)
#   DEBIAN_SUITE            suite (default bookworm)
#   DEBIAN_MIRROR           archive mirror (default http://deb.debian.org/debian)
#   DEBIAN_SECURITY_MIRROR  security mirror written into the image's sources
#                           (default http://deb.debian.org/debian-security)
#   BOOTSTRAP               mmdebstrap or debootstrap (default: mmdebstrap if
#                           installed, else debootstrap)
#   TMPDIR                  where the root file system is assembled (default /var/tmp)
#
# Needs root for debootstrap; mmdebstrap can also run unprivileged (user
# namespaces). Talks to the engine with the docker CLI, so DOCKER_HOST is
# honoured.
set -euo pipefail

BASE_TAG=${BASE_TAG:-debian:bookworm-slim}
SUITE=${DEBIAN_SUITE:-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

say() { printf 'base: %s\n' "$*"; }
die() { printf 'base: error: %s\n' "$*" >&2; exit 1; }

# --- customisation of the root file system, the same for both bootstrappers.
# Mirrors what the official image (debuerreotype, "slim" variant) does.
customize() {
	local root=${1:?} mode=${2:-dir}
	[[ -d $root/etc && -d $root/usr ]] || die "customize: '$root' is not a root file system"

	# Sources like the official image: deb822, main + updates + security.
	rm -f "${root:?}/etc/apt/sources.list"
	mkdir -p "${root:?}/etc/apt/sources.list.d"
	cat >"${root:?}/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

	# apt settings of the official image.
	cat >"${root:?}/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
	echo 'Acquire::Languages "none";' >"${root:?}/etc/apt/apt.conf.d/docker-no-languages"
	echo 'Acquire::GzipIndexes "true";' >"${root:?}/etc/apt/apt.conf.d/docker-gzip-indexes"
	echo 'Apt::AutoRemove::SuggestsImportant "false";' >"${root:?}/etc/apt/apt.conf.d/docker-autoremove-suggests"

	# No services start inside a container during package installs.
	cat >"${root:?}/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
# installed by labctl images/base/build.sh, as in the official image
exit 101
EOF
	chmod 0755 "${root:?}/usr/sbin/policy-rc.d"

	# "slim": keep docs, man pages and translations out, now and later.
	mkdir -p "${root:?}/etc/dpkg/dpkg.cfg.d"
	cat >"${root:?}/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# This is the "slim" variant of the Debian base image.
# Many files which are normally unnecessary in containers are excluded,
# and this configuration file keeps them that way.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
EOF
	if [[ -d $root/usr/share/doc ]]; then
		find "${root:?}/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
		find "${root:?}/usr/share/doc" -mindepth 1 -depth -type d -empty -delete
	fi
	if [[ -d $root/usr/share/locale ]]; then
		find "${root:?}/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
	fi
	rm -rf "${root:?}"/usr/share/info/* "${root:?}"/usr/share/linda/* \
		"${root:?}"/usr/share/lintian/overrides/* "${root:?}"/usr/share/man/*

	# No apt lists, caches or install logs in the image.
	rm -rf "${root:?}"/var/lib/apt/lists/* "${root:?}"/var/cache/apt/*.bin \
		"${root:?}"/var/cache/apt/archives/*.deb "${root:?}"/var/cache/apt/archives/partial/* \
		"${root:?}"/var/cache/debconf/*-old "${root:?}"/var/lib/dpkg/*-old \
		"${root:?}"/var/log/apt/* "${root:?}"/var/log/alternatives.log "${root:?}"/var/log/dpkg.log
	mkdir -p "${root:?}/var/lib/apt/lists/partial" "${root:?}/var/cache/apt/archives/partial"

	# mmdebstrap cleans the rest itself, and has /dev, /proc, /sys mounted in
	# the tree while hooks run: touch none of that in hook mode.
	[[ $mode == dir ]] || return 0
	# The engine provides hostname, hosts and resolv.conf; /dev, /proc, /sys
	# and /run are mounted by the runtime.
	rm -f "${root:?}/etc/hostname" "${root:?}/etc/resolv.conf" "${root:?}/var/log/bootstrap.log"
	rm -rf "${root:?}"/debootstrap "${root:?}"/tmp/* "${root:?}"/var/tmp/* \
		"${root:?}"/dev/* "${root:?}"/proc/* "${root:?}"/sys/* "${root:?}"/run/*
}

# Hook mode: mmdebstrap runs this script as "--customize ROOTDIR".
if [[ ${1:-} == --customize ]]; then
	customize "${2:?}" hook
	exit 0
fi

[[ $# -eq 0 ]] || die "usage: [BASE_TAG=tag] $0"
command -v docker >/dev/null 2>&1 || die "the docker CLI is needed (Debian: apt-get install docker.io)"

if [[ -z ${BOOTSTRAP:-} ]]; then
	if command -v mmdebstrap >/dev/null 2>&1; then BOOTSTRAP=mmdebstrap
	elif command -v debootstrap >/dev/null 2>&1; then BOOTSTRAP=debootstrap
	else die "neither mmdebstrap nor debootstrap is installed (Debian: apt-get install debootstrap)"
	fi
fi
if [[ $BOOTSTRAP == debootstrap && $(id -u) -ne 0 ]]; then
	die "debootstrap needs root (or install mmdebstrap, which can run unprivileged)"
fi
keyring_opt=()
[[ -r $KEYRING ]] && keyring_opt=(--keyring="$KEYRING")

work=$(mktemp -d "${TMPDIR:-/var/tmp}/labctl-base.XXXXXX")
log=$work/bootstrap.log
cleanup() {
	local rc=$? m
	# Never delete through a mount that a killed bootstrap left behind.
	while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(
		awk -v d="$work/" 'index($2, d) == 1 { print $2 }' /proc/mounts 2>/dev/null | sort -r)
	rm -rf --one-file-system "$work" 2>/dev/null || rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail_with_log() {
	printf 'base: error: %s; last lines of the log:\n' "$1" >&2
	tail -n 30 "$log" >&2 || true
	exit 1
}

say "building $BASE_TAG with $BOOTSTRAP ($SUITE from $MIRROR)"
start=$SECONDS
case $BOOTSTRAP in
mmdebstrap)
	# Writes a tarball; the customize hook runs inside its namespace. Merged
	# /usr the way debootstrap (and so the official image) does it, rather
	# than mmdebstrap's default of pulling in usrmerge and with it perl.
	# Our policy-rc.d stays: mmdebstrap would delete it at cleanup.
	hooks=()
	[[ -d /usr/share/mmdebstrap/hooks/merged-usr ]] &&
		hooks=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr)
	mmdebstrap --variant=minbase --format=tar "${keyring_opt[@]}" "${hooks[@]}" \
		--skip=chroot/policy-rc.d \
		--customize-hook="bash '$SELF' --customize \"\$1\"" \
		"$SUITE" "$work/rootfs.tar" "$MIRROR" >"$log" 2>&1 ||
		fail_with_log "mmdebstrap failed"
	;;
debootstrap)
	mkdir "$work/root"
	debootstrap --variant=minbase "${keyring_opt[@]}" "$SUITE" "$work/root" "$MIRROR" >"$log" 2>&1 ||
		fail_with_log "debootstrap failed"
	if awk -v d="$work/root/" 'index($2, d) == 1 { f = 1 } END { exit !f }' /proc/mounts; then
		die "debootstrap left file systems mounted under '$work/root'"
	fi
	customize "$work/root"
	tar --numeric-owner --xattrs -C "$work/root" -cf "$work/rootfs.tar" . ||
		die "could not pack the root file system"
	;;
*) die "BOOTSTRAP must be mmdebstrap or debootstrap, not '$BOOTSTRAP'" ;;
esac

id=$(docker import \
	-c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	-c 'CMD ["bash"]' \
	-m "labctl images/base/build.sh: $BOOTSTRAP --variant=minbase $SUITE $MIRROR" \
	"$work/rootfs.tar" "$BASE_TAG") || die "docker import failed"
say "imported $BASE_TAG (${id#sha256:}) in $((SECONDS - start)) s"
