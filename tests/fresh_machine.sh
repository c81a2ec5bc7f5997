#!/usr/bin/env bash
# The fresh-machine check: a minimal Debian root (debootstrap --variant=
# minbase), the Rust toolchain of this machine mounted in, a clean clone of
# this repository, and the README's two commands — nothing else. Needs
# root, debootstrap and Debian's mirror. Usage: tests/fresh_machine.sh [DIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/var/tmp/custody-fresh}
root=$dir/root
if [[ ! -x $root/bin/bash ]]; then
    mkdir -p "$dir"
    debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian > "$dir/debootstrap.log"
fi
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin
mkdir -p "$root/opt/rustup" "$root/opt/cargo/bin" "$root/proc" "$root/dev" "$root/sys"
cleanup() {
    for m in opt/rustup proc dev sys; do umount -l "$root/$m" 2> /dev/null || true; done
    umount -l "$root" 2> /dev/null || true
}
trap cleanup EXIT
# The root a machine boots is a mount point (what `unshare -m` changes the
# propagation of); a chroot's is one only when bound onto itself.
mount --bind "$root" "$root"
mount --bind "$rustup_home" "$root/opt/rustup"
mount -o remount,ro,bind "$root/opt/rustup"
cp -a "$cargo_bin"/. "$root/opt/cargo/bin/"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# A network that inspects TLS (this sandbox's egress proxy) has its own CA:
# hand it over the way an administrator would, for ca-certificates to pick
# up when tests/setup.sh installs it.
mkdir -p "$root/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2> /dev/null || true
rm -rf "$root/src/custody"
git clone -q "$repo" "$root/src/custody"
# The README's first two commands, exactly as it shows them.
mapfile -t commands < <(sed -n '/^```sh$/,/^```$/p' "$repo/README.md" | sed -n '2,3p' | sed 's/  *#.*$//')
echo "README commands:"; printf '  %s\n' "${commands[@]}"
for c in "${commands[@]}"; do
    chroot "$root" /usr/bin/env -i HOME=/root PATH=/opt/cargo/bin:/usr/local/bin:/usr/bin:/bin \
        RUSTUP_HOME=/opt/rustup CARGO_HOME=/opt/cargo-home RUSTUP_TOOLCHAIN=stable \
        /bin/bash -c "cd /src/custody && $c"
done
echo "fresh machine: both README commands passed"
