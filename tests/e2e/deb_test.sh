#!/usr/bin/env bash
# End-to-end: the Debian package. Checks its control fields (name, version,
# architecture, and Depends naming the package of every shared library the
# executables link), installs it with apt-get, uses mlpipe from the installed
# paths alone (/usr/bin/mlpipe --version, man, the bash completion, the
# textstats example from /usr/share/mlpipe/examples, `mlpipe serve` through
# /usr/libexec), then removes it, leaving the machine as it was.
#   tests/e2e/deb_test.sh BUILD_DIR      (after `cpack -G DEB` in BUILD_DIR)
# Skips, saying why, where it cannot install a package: not root, no dpkg or
# apt-get, or an mlpipe package already installed (it is not ours to remove).
set -euo pipefail
BUILD=$(readlink -f "${1:?usage: $0 BUILD_DIR}")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
log() { printf '[deb-test] %s\n' "$*"; }
fail() { log "FAIL: $*"; exit 1; }
skip() { log "SKIP: $*"; exit 0; }

[[ $(id -u) -eq 0 ]] || skip "installing a package needs root (CI runs as root)"
command -v dpkg >/dev/null && command -v apt-get >/dev/null || skip "no dpkg or apt-get: not a Debian system"

# The file name says package, version and architecture.
version=$("$BUILD/src/mlpipe/cli/mlpipe" --version | cut -d' ' -f2)
arch=$(dpkg --print-architecture)
DEB=$BUILD/mlpipe_${version}_${arch}.deb
[[ -f $DEB ]] || fail "no $DEB (make package builds it)"

field() { dpkg-deb -f "$DEB" "$1"; }
[[ $(field Package) == mlpipe ]] || fail "Package: $(field Package)"
[[ $(field Version) == "$version" ]] || fail "Version: $(field Version), mlpipe --version says $version"
[[ $(field Architecture) == "$arch" ]] || fail "Architecture: $(field Architecture)"
depends=$(field Depends)
log "Depends: $depends"
# Every shared library the executables need comes from a package in Depends.
ldcache=$(ldconfig -p)
for exe in "$BUILD/src/mlpipe/cli/mlpipe" "$BUILD/src/mlpipe/cli/mlpipe-serve" "$BUILD/src/mlpipe/exec/mlpipe-spawn"; do
  while read -r lib; do
    path=$(awk -v l="$lib" '$1 == l {print $NF; exit}' <<<"$ldcache")
    [[ -n $path ]] || fail "cannot find $lib, needed by $exe"
    pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1) ||
      pkg=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1) || true
    [[ -n $pkg ]] || fail "no package owns $path ($lib)"
    [[ ", $depends," == *", $pkg "* || ", $depends," == *", $pkg,"* ]] || fail "$lib is in $pkg, which Depends does not name"
  done < <(objdump -p "$exe" | awk '$1 == "NEEDED" {print $2}')
done
contents=$(dpkg-deb -c "$DEB" | awk '{print $6}')
for f in ./usr/bin/mlpipe ./usr/libexec/mlpipe/mlpipe-serve ./usr/libexec/mlpipe/mlpipe-spawn ./usr/share/man/man1/mlpipe.1 \
  ./usr/share/man/man1/mlpipe-run.1 ./usr/share/bash-completion/completions/mlpipe \
  ./usr/share/zsh/vendor-completions/_mlpipe ./usr/share/doc/mlpipe/cli.md \
  ./usr/share/mlpipe/examples/textstats/pipeline.yaml; do
  grep -qxF "$f" <<<"$contents" || fail "the package has no $f"
done
log "control fields and contents of $(basename "$DEB") are right"

# One package test at a time on this machine (two would remove each other's).
exec 9>/tmp/mlpipe-deb-test.lock
flock -w 900 9 || fail "another package test holds /tmp/mlpipe-deb-test.lock"
if dpkg-query -W -f='${Status}' mlpipe 2>/dev/null | grep -q "install ok installed"; then
  skip "an mlpipe package is installed already; this test does not replace or remove it"
fi

WORK=$(mktemp -d /tmp/mlpipe-deb-test.XXXXXX)
installed=0
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true; fi
  if ((installed)); then
    apt-get -o DPkg::Lock::Timeout=600 remove -y -q mlpipe >"$WORK/remove.log" 2>&1 || dpkg -r mlpipe || true
  fi
  chmod -R u+w "$WORK" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
installed=1
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "$DEB" >"$WORK/install.log" 2>&1 ||
  { cat "$WORK/install.log"; fail "apt-get install $DEB"; }
log "installed $(dpkg-query -W -f='${Package} ${Version}' mlpipe)"

# Only the installed files: /usr/bin first on PATH, run outside the trees.
export PATH=/usr/bin:/bin:/usr/sbin:/sbin
unset MLPIPE_HOME
cd "$WORK"
[[ $(/usr/bin/mlpipe --version) == "mlpipe $version" ]] || fail "/usr/bin/mlpipe --version: $(/usr/bin/mlpipe --version)"
[[ $(command -v mlpipe) == /usr/bin/mlpipe ]] || fail "mlpipe on PATH is $(command -v mlpipe)"

if [[ -f /usr/share/man/man1/mlpipe.1 ]]; then
  [[ $(man -w mlpipe) == /usr/share/man/man1/mlpipe.1* ]] || fail "man -w mlpipe: $(man -w mlpipe)"
  MANWIDTH=100 man mlpipe-init 2>/dev/null | grep -q -- '--template' || fail "man mlpipe-init"
  log "man mlpipe: $(man -w mlpipe)"
elif grep -rqs 'path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/; then
  log "SKIP man check: dpkg is configured to leave out /usr/share/man (/etc/dpkg/dpkg.cfg.d)"
else
  fail "/usr/share/man/man1/mlpipe.1 was not installed"
fi

[[ -f /usr/share/bash-completion/completions/mlpipe ]] || fail "no bash completion in /usr/share/bash-completion/completions"
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
  got=$(bash --norc --noprofile -c 'source /usr/share/bash-completion/bash_completion; __load_completion mlpipe; complete -p mlpipe')
  [[ $got == *"-F _mlpipe mlpipe"* ]] || fail "bash-completion did not load the completion: '$got'"
fi
got=$(bash --norc --noprofile "$SRC/tests/e2e/bash_complete.sh" /usr/share/bash-completion/completions/mlpipe mlpipe init --template '')
[[ $got == "tabular textstats" ]] || fail "bash completion of 'mlpipe init --template' gave '$got'"
log "bash completion in place"

cp -r /usr/share/mlpipe/examples/textstats "$WORK/textstats"
cd "$WORK/textstats"
MLPIPE_DEBUG=1 mlpipe run pipeline.yaml >"$WORK/run1.log" 2>&1 || { cat "$WORK/run1.log"; fail "run textstats"; }
grep -q "run 1 succeeded" "$WORK/run1.log" || { cat "$WORK/run1.log"; fail "textstats did not succeed"; }
# The steps were forked by /usr/libexec/mlpipe/mlpipe-spawn.
! grep "steps forked by mlpipe itself" "$WORK/run1.log" || fail "the packaged mlpipe found no step spawner"
mlpipe run pipeline.yaml --json >"$WORK/run2.log" 2>&1 || fail "rerun textstats"
[[ $(grep -c '"event":"cached"' "$WORK/run2.log") -eq 4 ]] || { cat "$WORK/run2.log"; fail "rerun: not every step cached"; }
mlpipe artifacts cat textstats.merge.merged | grep -q "hello 2" || fail "textstats.merge.merged lacks the generated text"
log "textstats ran from /usr/share/mlpipe/examples, then every step was cached"

# mlpipe serve runs /usr/libexec/mlpipe/mlpipe-serve.
mlpipe serve --help >"$WORK/serve-help.log" 2>&1 || { cat "$WORK/serve-help.log"; fail "mlpipe serve --help"; }
grep -q -- '--deployment' "$WORK/serve-help.log" || fail "mlpipe serve --help did not come from the server"
log "mlpipe serve starts /usr/libexec/mlpipe/mlpipe-serve"

cd /
apt-get -o DPkg::Lock::Timeout=600 remove -y -q mlpipe >"$WORK/remove.log" 2>&1 || { cat "$WORK/remove.log"; fail "apt-get remove"; }
installed=0
[[ ! -e /usr/bin/mlpipe && ! -e /usr/libexec/mlpipe/mlpipe-serve ]] || fail "files left after removing the package"
log "removed; OK"
