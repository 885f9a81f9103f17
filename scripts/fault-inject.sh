#!/usr/bin/env bash
# Kills a command with SIGKILL at the 1st, 2nd, ... call of each file-system syscall (strace fault injection),
# and checks after every kill that each output file and state file is wholly old or wholly new, then that a
# normal run leaves exactly the new version with no stray file. Exits nonzero if any must-be-0 count is not 0.
#
#   scripts/fault-inject.sh [COMMAND...]     default: node .fault-inject/main.js --quiet (npm run synth)
#
# The copy's main.ts and lib/synth/commands.ts are compiled once into .fault-inject/ (esbuild, as
# scripts/run.js does in memory), so that kills land in the command, not in the compiler. E.g. a release:
#   scripts/fault-inject.sh node .fault-inject/commands.js release --namespace ov-demo --backend-tag pr-7 --quiet
#   with MAKE_OLD=true (dist/ as the old state renders it) and ROLLFWD='node .fault-inject/main.js --quiet':
#   after each kill, a synth must find the release wholly undone or wholly done.
#
# Environment:
#   WORK      folder the command runs in. Default: a temp copy of the project (packages linked), so the
#             project's own dist/ and caches are never touched.
#   OUTDIR    the output folder, relative to WORK. Default: dist
#   MAKE_OLD  shell command, run in WORK on OUTDIR as it was before the reference run, that makes the old state
#             every injected run starts from. Default: append a line to every file.
#   ROLLFWD   optional shell command run after each kill, e.g. a synth (which first repairs what the killed command
#             left). It must leave OUTDIR and the state files wholly old or wholly new: the "all replaced
#             together" property, which a full recovery run cannot show (it rewrites everything anyway).
#   SYSCALLS  default: open openat write fsync rename renameat renameat2 unlink unlinkat link linkat
#   MAX_N     stop a syscall after this many injected runs. Default: 3000
#   KEEP=1    keep the scratch folder (its path is printed).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -gt 0 ]; then cmd=("$@"); else cmd=(node .fault-inject/main.js --quiet); fi
outdir=${OUTDIR:-dist}
syscalls=${SYSCALLS:-open openat write fsync rename renameat renameat2 unlink unlinkat link linkat}
max_n=${MAX_N:-3000}
make_old=${MAKE_OLD:-'find "$OUTDIR" -type f ! -name ".*" -exec sh -c '\''printf "# old\n" >> "$1"'\'' _ {} \;'}

command -v strace >/dev/null || apt-get install -y strace >/dev/null || { echo "strace is needed" >&2; exit 2; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/fault-inject.XXXXXX")
[ "${KEEP:-}" = 1 ] && echo "scratch: $scratch" >&2 || trap 'rm -rf "$scratch"' EXIT
if [ -z "${WORK:-}" ]; then
  WORK=$scratch/work
  mkdir -p "$WORK"
  tar -C "$root" --exclude=./node_modules --exclude=./.git -cf - . | tar -C "$WORK" -xf -
  # Packages linked one by one, so that caches (node_modules/.cache) stay in the copy.
  mkdir "$WORK/node_modules"
  for entry in "$root"/node_modules/* "$root"/node_modules/.bin; do ln -s "$entry" "$WORK/node_modules/"; done
fi
cd "$WORK" || exit 2
export OUTDIR=$outdir
log=$scratch/log
"$root/node_modules/.bin/esbuild" main.ts lib/synth/commands.ts --bundle --packages=external --platform=node --target=node20 \
  --outdir=.fault-inject --entry-names=[name] --log-level=warning || exit 2
# The state files a release or a preview writes: checked and restored with OUTDIR.
state_files=(lib/config/releases.json lib/config/previews.json)
mkdir -p "$scratch/state-old" "$scratch/state-new"
cp "${state_files[@]}" "$scratch/state-old/"

# The new version: what a normal run writes. The old version: the folder as it was, after MAKE_OLD.
mkdir -p "$outdir" && cp -a "$outdir" "$scratch/before"
"${cmd[@]}" >"$log" 2>&1 || { echo "the reference run failed:" >&2; cat "$log" >&2; exit 2; }
cp -a "$outdir" "$scratch/new"
cp "${state_files[@]}" "$scratch/state-new/"
cp "$scratch/state-old/"* lib/config/
rm -rf "$outdir" && cp -a "$scratch/before" "$outdir"
sh -c "$make_old" || { echo "MAKE_OLD failed" >&2; exit 2; }
cp -a "$outdir" "$scratch/old"
if diff -r "$scratch/old" "$scratch/new" >/dev/null; then echo "MAKE_OLD left the new version: nothing to test" >&2; exit 2; fi
mapfile -t paths < <({ (cd "$scratch/old" && find . -type f); (cd "$scratch/new" && find . -type f); } | sort -u)

restore_old() { rm -rf "$outdir" && cp -a "$scratch/old" "$outdir" && cp "$scratch/state-old/"* lib/config/; }
# "old", "new" or "both" (the versions agree) for the state files together, else "bad".
state_version() {
  local o=0 n=0 f
  cmp -s <(cat "${state_files[@]}") <(cd "$scratch/state-old" && cat "${state_files[@]##*/}") && o=1
  cmp -s <(cat "${state_files[@]}") <(cd "$scratch/state-new" && cat "${state_files[@]##*/}") && n=1
  if [ $o = 1 ] && [ $n = 1 ]; then echo both; elif [ $o = 1 ]; then echo old; elif [ $n = 1 ]; then echo new; else echo bad; fi
}
# Prints "old", "new", "both" (the versions agree) or "bad" for one path.
state() {
  local cur=$outdir/$1 o=$scratch/old/$1 n=$scratch/new/$1 is_old=0 is_new=0
  if [ -f "$cur" ]; then
    [ -f "$o" ] && cmp -s "$cur" "$o" && is_old=1
    [ -f "$n" ] && cmp -s "$cur" "$n" && is_new=1
  else
    [ -f "$o" ] || is_old=1
    [ -f "$n" ] || is_new=1
  fi
  if [ $is_old = 1 ] && [ $is_new = 1 ]; then echo both; elif [ $is_old = 1 ]; then echo old; elif [ $is_new = 1 ]; then echo new; else echo bad; fi
}
# Compares OUTDIR with the new version: sets strays (files that should not be there) and wrong (missing or different).
compare_new() {
  local out
  out=$(diff -r --no-dereference "$outdir" "$scratch/new" 2>&1)
  strays=$(grep -c "^Only in $outdir" <<<"$out")
  wrong=$(($(grep -c . <<<"$out") - strays))
}

# The files of a folder and their checksums (empty folders do not count: they need not be removed).
files_of() { (cd "$1" && find . \( -type f -o -type l \) -print0 | sort -z | xargs -0r sha256sum); }

printf '%-10s %6s %6s %10s %9s %9s %9s %9s\n' syscall runs kills mixed bad-files strays wrong torn
printf '%-10s %6s %6s %10s %9s %9s %9s %9s\n' '' '' '' '(allowed)' '(0)' '(0)' '(0)' '(0)'
failed=0
for sc in $syscalls; do
  if ! strace -f -o /dev/null -e trace="$sc" -e inject="$sc:signal=SIGKILL:when=65535" true 2>/dev/null; then
    printf '%-10s %6s\n' "$sc" 'n/a (strace cannot trace or inject it here)'
    continue
  fi
  runs=0 kills=0 mixed=0 bad=0 bad_strays=0 bad_wrong=0 torn=0
  for ((n = 1; n <= max_n; n++)); do
    restore_old
    runs=$((runs + 1))
    # (in a command substitution, so that the shell's "Killed" notice goes to /dev/null)
    rc=$(exec 2>/dev/null; strace -f -o /dev/null -e trace="$sc" -e inject="$sc:signal=SIGKILL:when=$n" "${cmd[@]}" >"$log" 2>&1; echo $?)
    if [ $rc -ne 137 ]; then
      # Not killed: there is no Nth call. The run must have succeeded and written the new version.
      compare_new
      if [ $rc -ne 0 ] || [ "$strays" -ne 0 ] || [ "$wrong" -ne 0 ]; then
        echo "$sc when=$n: not killed, exit $rc, $strays strays, $wrong wrong:" >&2; tail -5 "$log" >&2
        bad_strays=$((bad_strays + strays)) bad_wrong=$((bad_wrong + wrong + (rc != 0)))
      fi
      break
    fi
    kills=$((kills + 1))
    saw_old=0 saw_new=0
    for p in "${paths[@]}"; do
      case $(state "$p") in
        old) saw_old=1 ;;
        new) saw_new=1 ;;
        bad) bad=$((bad + 1)); echo "$sc when=$n: $p is neither old nor new" >&2 ;;
      esac
    done
    case $(state_version) in
      old) saw_old=1 ;;
      new) saw_new=1 ;;
      bad) bad=$((bad + 1)); echo "$sc when=$n: the state files are neither old nor new" >&2 ;;
    esac
    [ $saw_old = 1 ] && [ $saw_new = 1 ] && mixed=$((mixed + 1))
    # synth's own files (lock, journal, temps) are in its work folder, which git ignores: never in what git add stages
    if [ -n "$(find "$outdir" -path "$outdir/.synth" -prune -o \( -name '*.synth-tmp' -o -name '.synth.lock*' -o -name '.synth-journal' \) -print)" ]; then
      bad=$((bad + 1)); echo "$sc when=$n: a temp, lock or journal file outside $outdir/.synth" >&2
    fi
    if [ -n "${ROLLFWD:-}" ]; then
      sh -c "$ROLLFWD" >"$log" 2>&1 || echo "$sc when=$n: ROLLFWD failed" >&2
      now=$(files_of "$outdir")$(state_version)
      if [ "$now" != "$(files_of "$scratch/old")old" ] && [ "$now" != "$(files_of "$scratch/new")new" ] && [ "$now" != "$(files_of "$scratch/old")both" ] && [ "$now" != "$(files_of "$scratch/new")both" ]; then
        torn=$((torn + 1)); echo "$sc when=$n: after ROLLFWD, neither wholly old nor wholly new" >&2
      fi
    fi
    # Recovery: a normal run must leave exactly the new version (a release undone by the repair is run again).
    rc=0
    "${cmd[@]}" >"$log" 2>&1 || rc=$?
    compare_new
    [ "$(state_version)" = old ] && wrong=$((wrong + 1))
    if [ $rc -ne 0 ] || [ "$strays" -ne 0 ] || [ "$wrong" -ne 0 ]; then
      echo "$sc when=$n: recovery exit $rc, $strays strays, $wrong wrong" >&2
      diff -r --no-dereference "$outdir" "$scratch/new" 2>&1 | head -5 >&2
    fi
    bad_strays=$((bad_strays + strays)) bad_wrong=$((bad_wrong + wrong + (rc != 0)))
  done
  [ $n -gt "$max_n" ] && echo "$sc: still killed after MAX_N=$max_n runs" >&2
  printf '%-10s %6d %6d %10d %9d %9d %9d %9s\n' "$sc" $runs $kills $mixed $bad $bad_strays $bad_wrong "${ROLLFWD:+$torn}"
  [ $((bad + bad_strays + bad_wrong + torn)) -ne 0 ] && failed=1
done
echo "mixed: runs where the kill left some files old and some new (allowed: the next run finishes);"
echo "bad-files: files neither old nor new after a kill; strays / wrong: extra / missing or different files after the recovery run;"
echo "torn: kills after which ROLLFWD left a mix of old and new files (blank: ROLLFWD not set)."
exit $failed
