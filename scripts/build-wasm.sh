#!/bin/sh
# build-wasm.sh OUT PKG: builds PKG (a split-main go-app entry) as OUT, the
# app.wasm of a static site. The Makefile and the size/cold-start benchmark
# both build through here, so bpfplay and the minimal go-app baseline are built
# exactly the same way.
#
# The build uses a copy of the pinned cilium/ebpf module in which the files
# that cannot run in a browser are stubs (wasm/cilium-stubs/README.md), through an
# alternate go.mod (-modfile) that replaces the module with that copy. Native
# builds and tests use the module as published. The minimal app does not
# import cilium: for it the copy changes nothing.
set -eu
out=$1 pkg=$2
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
go=${GO:-go}
$go mod download github.com/cilium/ebpf
src=$($go list -m -f '{{.Dir}}' github.com/cilium/ebpf)
ver=$($go list -m -f '{{.Version}}' github.com/cilium/ebpf)
work="$root/build/wasm-deps"
copy="$work/cilium-ebpf-$ver"
stubs="$root/wasm/cilium-stubs"
stamp=$(cat "$stubs"/*.txt | cksum)
if [ "$(cat "$copy/.stubbed" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$copy"
	mkdir -p "$work"
	cp -R "$src" "$copy"
	chmod -R u+w "$copy"
	cp "$stubs/vdso.go.txt" "$copy/internal/linux/vdso.go"
	cp "$stubs/elf.go.txt" "$copy/internal/elf.go"
	cp "$stubs/testmain.go.txt" "$copy/internal/testutils/testmain/main.go"
	rm "$copy/internal/testutils/testmain/windows.go"
	echo "$stamp" >"$copy/.stubbed"
fi
sed '/^replace github.com\/cilium\/ebpf /d' go.mod >"$work/wasm.go.mod"
printf '\nreplace github.com/cilium/ebpf %s => %s\n' "$ver" "$copy" >>"$work/wasm.go.mod"
cp go.sum "$work/wasm.go.sum"
# bpfplay's packages except the VM are compiled without inlining: smaller
# code to download and to compile on first call (RATIONALE.md, "The browser
# build"). The VM's interpreter loop keeps the default. The patterns name
# bpfplay's packages only, so the minimal app's build is unchanged by them.
m=github.com/bpfplay/bpfplay
# BPFPLAY_WASM_NAMES=1 keeps the symbol names (no -s -w), for size reports.
strip="-s -w"
[ "${BPFPLAY_WASM_NAMES:-}" = 1 ] && strip=""
mkdir -p "$(dirname "$out")"
GOOS=js GOARCH=wasm $go build -modfile "$work/wasm.go.mod" -trimpath \
	-gcflags=$m/web=-l -gcflags=$m/lessons=-l -gcflags=$m/sim/scenario=-l -gcflags=$m/sim/bpfasm=-l -gcflags=$m/sim=-l \
	-ldflags="$strip" -o "$out" "$pkg"
