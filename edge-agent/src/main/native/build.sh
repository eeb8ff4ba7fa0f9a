#!/usr/bin/env bash
# Builds the eBPF sensor: the BPF object (clang -target bpf, CO-RE) and peregrine-loader (the
# object embedded as a libbpf skeleton; libbpf, libelf and zlib linked statically when their
# archives exist, so agent hosts need no libbpf package).
#
#   build.sh OUT_DIR [WORK_DIR]
#
# OUT_DIR receives peregrine-loader and peregrine.bpf.o (the Maven build passes
# target/classes/native, so both go into the agent jar); WORK_DIR (default OUT_DIR/../native-build)
# holds vmlinux.h, the skeleton and objects.
#
# Without the toolchain (clang, bpftool, a C compiler, libbpf headers) or without a kernel BTF to
# generate vmlinux.h from, it prints ONE notice line and exits 0 having built nothing: the build
# succeeds and the agent runs procfs-only, saying so once at start.
#
# Environment:
#   BTF_FILE   vmlinux BTF to generate vmlinux.h from (default /sys/kernel/btf/vmlinux)
#   VMLINUX_H  a ready vmlinux.h to use instead of generating one
#   CLANG, CC, BPFTOOL, LLVM_STRIP   tool overrides
set -euo pipefail

notice() { echo "peregrine eBPF sensor: $*" >&2; }

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 OUT_DIR [WORK_DIR]" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bpf_src="$(cd "$here/../bpf" && pwd)"
out="$1"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="${2:-$out/../native-build}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"

CLANG="${CLANG:-clang}"
CC="${CC:-cc}"
BPFTOOL="${BPFTOOL:-bpftool}"
BTF_FILE="${BTF_FILE:-/sys/kernel/btf/vmlinux}"
if [ -z "${LLVM_STRIP:-}" ]; then
  LLVM_STRIP="$(command -v llvm-strip || ls /usr/bin/llvm-strip-* 2>/dev/null | sort -V | tail -1 || true)"
fi

missing=()
command -v "$CLANG" >/dev/null 2>&1 || missing+=(clang)
command -v "$CC" >/dev/null 2>&1 || missing+=("C compiler")
# Debian puts bpftool in /usr/sbin, which is not on every PATH.
if ! command -v "$BPFTOOL" >/dev/null 2>&1; then
  if [ -x /usr/sbin/bpftool ]; then BPFTOOL=/usr/sbin/bpftool; else missing+=(bpftool); fi
fi
[ -f /usr/include/bpf/libbpf.h ] || pkg-config --exists libbpf 2>/dev/null || missing+=(libbpf-dev)
[ -f /usr/include/gelf.h ] || [ -f /usr/include/libelf.h ] || missing+=(libelf-dev)
if [ ${#missing[@]} -gt 0 ]; then
  notice "not built, missing ${missing[*]} (apt-get install clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev); the agent will run procfs-only"
  exit 0
fi
if [ -z "${VMLINUX_H:-}" ] && [ ! -r "$BTF_FILE" ]; then
  notice "not built, no kernel BTF at $BTF_FILE to generate vmlinux.h from (set BTF_FILE or VMLINUX_H); the agent will run procfs-only"
  exit 0
fi

# Up to date: both outputs newer than every source and than this script.
loader="$out/peregrine-loader"
object="$out/peregrine.bpf.o"
if [ -x "$loader" ] && [ -f "$object" ] && \
   [ -z "$(find "$bpf_src" "$here" -newer "$loader" -type f -print -quit)" ] && \
   [ -z "$(find "$bpf_src" "$here" -newer "$object" -type f -print -quit)" ]; then
  exit 0
fi

case "$(uname -m)" in
  x86_64) arch=x86 ;;
  aarch64) arch=arm64 ;;
  *) notice "not built, unsupported architecture $(uname -m); the agent will run procfs-only"; exit 0 ;;
esac

if [ -n "${VMLINUX_H:-}" ]; then
  cp "$VMLINUX_H" "$work/vmlinux.h"
else
  "$BPFTOOL" btf dump file "$BTF_FILE" format c > "$work/vmlinux.h.tmp"
  mv "$work/vmlinux.h.tmp" "$work/vmlinux.h"
fi

# -mcpu=v3: 32-bit ALU and jumps (Linux 5.1+; the ring buffer already needs 5.8) verify better.
"$CLANG" -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_"$arch" -Wall -Werror \
  -I"$work" -I"$bpf_src" -c "$bpf_src/peregrine.bpf.c" -o "$work/peregrine.bpf.o"
# DWARF is not needed at run time; .BTF/.BTF.ext (CO-RE relocations) survive strip -g.
if [ -n "$LLVM_STRIP" ]; then
  "$LLVM_STRIP" -g "$work/peregrine.bpf.o"
fi
"$BPFTOOL" gen skeleton "$work/peregrine.bpf.o" name peregrine > "$work/peregrine.skel.h.tmp"
mv "$work/peregrine.skel.h.tmp" "$work/peregrine.skel.h"

libdir="$("$CC" -print-multiarch 2>/dev/null || true)"
static_ok=true
for a in libbpf.a libelf.a libz.a; do
  [ -f "/usr/lib/$libdir/$a" ] || [ -f "/usr/lib/$a" ] || [ -f "/usr/lib64/$a" ] || static_ok=false
done
if $static_ok; then
  libs=(-Wl,-Bstatic -lbpf -lelf -lz -Wl,-Bdynamic)
else
  libs=(-lbpf -lelf -lz)
fi

"$CC" -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
  -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE -pie -Wl,-z,relro,-z,now \
  -I"$work" -I"$bpf_src" "$here/loader.c" -o "$work/peregrine-loader" "${libs[@]}"

cp "$work/peregrine.bpf.o" "$object.tmp" && mv "$object.tmp" "$object"
cp "$work/peregrine-loader" "$loader.tmp" && mv "$loader.tmp" "$loader"
chmod 0755 "$loader"
notice "built $loader ($( $static_ok && echo 'libbpf static' || echo 'libbpf shared'))"
