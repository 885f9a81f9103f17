/**
 * Backup and restore of the in-cluster PostgreSQL: the shell text that goes into the manifests as
 * `command: ['/bin/sh', '-c', SCRIPT]`. It runs in the postgres:16-alpine image, so it is POSIX sh
 * for busybox ash and uses only busybox applets besides the image's pg_dump and pg_restore. The
 * connection comes from the libpq variables PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE.
 * (Template literals: `\${` is a shell `${`.)
 */

/** A finished dump's file name: `<database>-<UTC time, YYYYmmddTHHMMSSZ>.dump`. */
export const BACKUP_FILE_PATTERN = /^(.+)-(\d{8}T\d{6}Z)\.dump$/;

/**
 * Dumps PGDATABASE into BACKUP_DIR and keeps BACKUP_KEEP_DAYS days of dumps.
 *
 * - Consistency: `pg_dump` reads the whole database in one snapshot, so the server keeps running.
 * - Atomic rename: the dump is written to a hidden `.<name>.partial`, read back in full by
 *   `pg_restore` (every data block, which catches a truncated file that `--list` alone accepts),
 *   synced, and only then renamed in the same directory. A file with the final name is always a
 *   complete, readable dump; any failure exits nonzero and removes the partial file.
 * - Retention: only after a dump succeeded, dumps older than BACKUP_KEEP_DAYS days are deleted
 *   (`find -mtime +(N-1)`: at least N×24 h old), so failing backups never thin out the old ones.
 *   A run killed outright (SIGKILL, node loss) cannot clean up after itself: the next run deletes
 *   its partial file first. Runs must not overlap (the CronJob's concurrencyPolicy: Forbid); one
 *   that did would fail cleanly rather than write a bad dump.
 */
export const BACKUP_SCRIPT = `set -eu
: "\${PGDATABASE:?must be set}" "\${BACKUP_DIR:?must be set}" "\${BACKUP_KEEP_DAYS:?must be set}"
log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) backup: $*"; }
fail() { log "$*" >&2; exit 2; }
flush() { if command -v sync >/dev/null 2>&1; then sync "$@"; fi; }
case $BACKUP_KEEP_DAYS in ''|*[!0-9]*) fail "BACKUP_KEEP_DAYS must be a whole number of days, not '$BACKUP_KEEP_DAYS'" ;; esac
[ "$BACKUP_KEEP_DAYS" -ge 1 ] || fail "BACKUP_KEEP_DAYS must be at least 1"
[ -d "$BACKUP_DIR" ] || fail "BACKUP_DIR $BACKUP_DIR is not a directory"
umask 077
name="$PGDATABASE-$(date -u +%Y%m%dT%H%M%SZ).dump"
tmp="$BACKUP_DIR/.$name.partial"
trap 'status=$?; rm -f "$tmp"; [ "$status" -eq 0 ] || log "FAILED with exit status $status" >&2' EXIT
trap 'exit 130' INT; trap 'exit 143' TERM
find "$BACKUP_DIR" -maxdepth 1 -type f -name '.*.dump.partial' -exec rm -f {} ';'
log "dumping $PGDATABASE (host \${PGHOST:-default}, port \${PGPORT:-5432}, user \${PGUSER:-default})"
pg_dump --no-password --format=custom --file="$tmp"
pg_restore --file=/dev/null "$tmp"
flush "$tmp"
mv "$tmp" "$BACKUP_DIR/$name"
flush "$BACKUP_DIR"
log "wrote $BACKUP_DIR/$name ($(wc -c <"$BACKUP_DIR/$name") bytes)"
old=$(find "$BACKUP_DIR" -maxdepth 1 -type f -name '*.dump' -mtime "+$((BACKUP_KEEP_DAYS - 1))")
[ -z "$old" ] || printf '%s\\n' "$old" | while IFS= read -r f; do
  rm -f "$f"
  log "deleted $f (older than $BACKUP_KEEP_DAYS days)"
done
log "done"
`;

/**
 * Restores BACKUP_FILE (a file name in BACKUP_DIR; by default the newest `*.dump`) into
 * PGDATABASE, which may be empty or hold the damaged data: `--clean --if-exists` drops what the
 * dump recreates (quietly where it is missing), and `--single-transaction` with `--exit-on-error`
 * makes it all or nothing, so a failed restore leaves the database as it was. `--no-owner` makes
 * the connecting user own what it creates. Refuses when the file does not exist.
 */
export const RESTORE_SCRIPT = `set -eu
: "\${PGDATABASE:?must be set}" "\${BACKUP_DIR:?must be set}"
log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) restore: $*"; }
fail() { log "$*" >&2; exit 2; }
file=\${BACKUP_FILE:-}
if [ -z "$file" ]; then
  file=$(ls -1t "$BACKUP_DIR" | grep -e '[.]dump$' | head -n 1)
  [ -n "$file" ] || fail "no *.dump in $BACKUP_DIR to restore"
fi
case $file in */*|.*) fail "BACKUP_FILE must be a file name in $BACKUP_DIR, not '$file'" ;; esac
[ -f "$BACKUP_DIR/$file" ] || fail "no such dump: $BACKUP_DIR/$file; nothing restored"
log "restoring $file into $PGDATABASE (host \${PGHOST:-default}, port \${PGPORT:-5432})"
pg_restore --no-password --dbname="$PGDATABASE" --clean --if-exists --no-owner --single-transaction --exit-on-error "$BACKUP_DIR/$file"
log "restored $file into $PGDATABASE"
`;
