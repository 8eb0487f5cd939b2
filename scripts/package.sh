#!/usr/bin/env bash
# Builds the release server for each VS Code platform named and packages it into that
# platform's .vsix (editors/vscode/vaultlink-VERSION-PLATFORM.vsix), which
# editors/vscode/scripts/package.mjs checks: the files it must hold, the manifest's
# targetPlatform, the server's architecture and format read from its ELF or PE header, and a
# size under 10 MB.
#
#   bash scripts/package.sh                        linux-x64
#   bash scripts/package.sh linux-arm64 alpine-x64 alpine-arm64 win32-x64
#
# linux-x64 is built with this machine's toolchain; the other platforms with cargo-zigbuild,
# Zig as the C compiler and linker (PyPI's ziglang and cargo-zigbuild, pinned, in a virtualenv
# under target/, installed only when missing), and the Rust target from rustup. The Linux
# ARM and Alpine servers are static musl binaries. darwin-x64 and darwin-arm64 are not built
# here: the server links Apple's Security and CoreFoundation frameworks, which come only with
# Apple's SDK (not part of Zig), so they are built on macOS with `cargo build --release`.
# One platform at a time, at low priority: a release build takes both cores for minutes. Builds
# go to CARGO_TARGET_DIR when it is set, else target/.
set -euo pipefail
cd "$(dirname "$0")/.."

ZIGLANG_VERSION=0.17.0
CARGO_ZIGBUILD_VERSION=0.24.0

rust_target() {
  case $1 in
    linux-x64) echo x86_64-unknown-linux-gnu ;;
    linux-arm64 | alpine-arm64) echo aarch64-unknown-linux-musl ;;
    alpine-x64) echo x86_64-unknown-linux-musl ;;
    win32-x64) echo x86_64-pc-windows-gnu ;;
    darwin-x64 | darwin-arm64)
      echo "vaultlink: $1 needs Apple's SDK (the Security and CoreFoundation frameworks): build it on macOS" >&2
      return 1 ;;
    *)
      echo "vaultlink: unknown platform $1 (linux-x64, linux-arm64, alpine-x64, alpine-arm64, win32-x64)" >&2
      return 1 ;;
  esac
}

install_zig() {
  local venv=target/zig-venv
  if [ "$("$venv/bin/python" -m pip show cargo-zigbuild 2>/dev/null | sed -n 's/^Version: //p')" != "$CARGO_ZIGBUILD_VERSION" ] ||
    [ "$("$venv/bin/python" -m pip show ziglang 2>/dev/null | sed -n 's/^Version: //p')" != "$ZIGLANG_VERSION" ]; then
    { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } &&
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
  fi
  export PATH="$PWD/$venv/bin:$PATH"
}

install_vscode_packages() {
  local dir=editors/vscode
  if [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund)
  fi
}

platforms=("$@")
[ ${#platforms[@]} -gt 0 ] || platforms=(linux-x64)
for platform in "${platforms[@]}"; do rust_target "$platform" >/dev/null; done
install_vscode_packages

export CARGO_INCREMENTAL=0
# Zig's C compiler makes __DATE__ an error (-Werror=date-time); mimalloc uses it on Windows.
export CFLAGS_x86_64_pc_windows_gnu="${CFLAGS_x86_64_pc_windows_gnu:-} -Wno-error=date-time"
# aws-lc's x86-64 assembly for Windows is NASM source; aws-lc-sys ships it assembled too, which
# it uses when asked, so no NASM is needed here.
export AWS_LC_SYS_PREBUILT_NASM=1
out=${CARGO_TARGET_DIR:-target}
for platform in "${platforms[@]}"; do
  target=$(rust_target "$platform")
  echo "==> $platform: vaultlink for $target"
  if [ "$platform" = linux-x64 ]; then
    nice -n 19 cargo build --release --locked -p vaultlink
    server=$out/release/vaultlink
  else
    install_zig
    rustup target list --installed | grep -qx "$target" || rustup target add "$target"
    nice -n 19 cargo zigbuild --release --locked -p vaultlink --target "$target"
    server=$out/$target/release/vaultlink
    [ "$target" != x86_64-pc-windows-gnu ] || server=$server.exe
  fi
  server=$(realpath "$server")
  (cd editors/vscode && node scripts/package.mjs --server "$server" --target "$platform")
done
