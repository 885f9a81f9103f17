/**
 * BACKUP_SCRIPT and RESTORE_SCRIPT against a real PostgreSQL server: Debian's postgresql package,
 * started here on 127.0.0.1 with a port, data directory and password of its own (never the
 * package's cluster on 5432), with the client tools of the same install first on PATH. The scripts
 * run under /bin/sh as they would in the image. CI installs the package (.ci/run); without it these
 * tests fail rather than skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BACKUP_FILE_PATTERN, BACKUP_SCRIPT, RESTORE_SCRIPT } from '../lib/chart/backup-scripts';
import { SEED_SCRIPT } from '../lib/chart/seed';
import { freePort } from './ports';

const PG_ROOT = '/usr/lib/postgresql';
const PASSWORD = 'correct horse battery staple';
const DB = 'vault';
const DAY = 24 * 60 * 60 * 1000;

/** The newest `/usr/lib/postgresql/<major>/bin` that has a server. */
function postgresBin(): string {
  const majors = fs.existsSync(PG_ROOT)
    ? fs.readdirSync(PG_ROOT).filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(PG_ROOT, v, 'bin', 'initdb')))
    : [];
  if (majors.length === 0) {
    throw new Error(
      `No PostgreSQL server under ${PG_ROOT}/<major>/bin. These tests run a real one: install Debian's package ` +
        '(apt-get install postgresql; .ci/run installs it in CI).',
    );
  }
  return path.join(PG_ROOT, majors.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

let bin = '';
let tmp = '';
let dataDir = '';
let port = 0;
let started = false;
/** postgres refuses to run as root: then the server runs as `nobody`. */
const serverUser = process.getuid?.() === 0 ? 'nobody' : undefined;

function asServerUser(command: string, args: string[]): string {
  const [file, argv] = serverUser ? ['runuser', ['-u', serverUser, '--', command, ...args]] : [command, args];
  return execFileSync(file, argv, { cwd: tmp, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The libpq variables for the test server, and nothing inherited that could point elsewhere. */
function pgEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: tmp,
    LC_ALL: 'C',
    PGCLIENTENCODING: 'UTF8',
    PGHOST: '127.0.0.1',
    PGPORT: String(port),
    PGUSER: 'postgres',
    PGPASSWORD: PASSWORD,
    PGDATABASE: DB,
    ...extra,
  };
}

function psql(database: string, sql: string): string {
  return execFileSync(path.join(bin, 'psql'), ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', database, '-f', '-'], {
    env: pgEnv(),
    input: sql,
    encoding: 'utf8',
  });
}

/** Every row of every table in a fixed order, the sequences' positions and the view's output. */
function contents(database: string): string {
  return psql(
    database,
    `SELECT * FROM authors ORDER BY id;
     SELECT * FROM notes ORDER BY id;
     SELECT * FROM settings ORDER BY key;
     SELECT 'authors_id_seq', last_value, is_called FROM authors_id_seq;
     SELECT 'notes_id_seq', last_value, is_called FROM notes_id_seq;
     SELECT 'ticket_number', last_value, is_called FROM ticket_number;
     SELECT * FROM note_counts ORDER BY name;`,
  );
}

function run(script: string, env: NodeJS.ProcessEnv) {
  return spawnSync('/bin/sh', ['-c', script], { env, encoding: 'utf8', timeout: 30_000 });
}

function newBackupDir(): string {
  return fs.mkdtempSync(path.join(tmp, 'backups-'));
}

function backup(dir: string, extra: Record<string, string> = {}) {
  return run(BACKUP_SCRIPT, pgEnv({ BACKUP_DIR: dir, BACKUP_KEEP_DAYS: '7', ...extra }));
}

/** Backs up into `dir` and returns the new dump's name. */
function backupOk(dir: string): string {
  const before = new Set(fs.readdirSync(dir));
  const result = backup(dir);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  const created = fs.readdirSync(dir).filter((f) => !before.has(f));
  expect(created).toHaveLength(1);
  return created[0];
}

function restore(extra: Record<string, string>) {
  return run(RESTORE_SCRIPT, pgEnv(extra));
}

function age(file: string, ms: number): void {
  const when = new Date(Date.now() - ms);
  fs.utimesSync(file, when, when);
}

let original = '';

beforeAll(async () => {
  bin = postgresBin();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-postgres-'));
  dataDir = path.join(tmp, 'data');
  port = await freePort();
  const pwfile = path.join(tmp, 'pwfile');
  fs.writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (serverUser) {
    const uid = Number(execFileSync('id', ['-u', serverUser], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', serverUser], { encoding: 'utf8' }));
    fs.chownSync(tmp, uid, gid);
    fs.chownSync(pwfile, uid, gid);
  }
  asServerUser(path.join(bin, 'initdb'), [
    '-D', dataDir, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256',
    '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions',
  ]);
  fs.rmSync(pwfile);
  // Its own port, loopback only, its socket in the temp directory; no durability needed here.
  fs.appendFileSync(
    path.join(dataDir, 'postgresql.conf'),
    `port = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${tmp}'\n` +
      'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n',
  );
  const log = path.join(tmp, 'server.log');
  try {
    asServerUser(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-l', log, '-w', '-t', '30', 'start']);
  } catch (e) {
    throw new Error(`the test server did not start: ${e}\n${fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''}`);
  }
  started = true;

  psql('postgres', `CREATE DATABASE ${DB}`);
  psql(
    DB,
    `CREATE TABLE authors (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
     CREATE SEQUENCE ticket_number START 1000 INCREMENT 7;
     CREATE TABLE notes (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       author_id int NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
       title text NOT NULL,
       body text,
       tags text[] NOT NULL DEFAULT '{}',
       meta jsonb,
       ticket int NOT NULL DEFAULT nextval('ticket_number')
     );
     CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);
     CREATE VIEW note_counts AS
       SELECT a.name, count(n.id) AS notes FROM authors a LEFT JOIN notes n ON n.author_id = a.id GROUP BY a.name;
     INSERT INTO authors (name) VALUES ('Zoë Ångström'), ('李小龙'), ('gone'), ('O''Brien');
     DELETE FROM authors WHERE name = 'gone'; -- a gap: the sequence is ahead of max(id)
     INSERT INTO notes (author_id, title, body, tags, meta) VALUES
       (1, 'Grüße', 'Straße — “quotes” & emoji 🔐', '{a,"b c"}', '{"k": "välue"}'),
       (2, '日本語', 'line one' || chr(10) || 'line two' || chr(9) || 'tab', '{}', NULL),
       (4, 'plain', NULL, '{x}', '{"n": 1}'),
       (4, 'second', '', '{}', '[]');
     INSERT INTO settings VALUES ('theme', 'dark'), ('ключ', 'значение');`,
  );
  original = contents(DB);
  expect(psql(DB, 'SELECT title FROM notes WHERE id = 1')).toBe('Grüße\n');
}, 60_000);

afterAll(() => {
  if (started) asServerUser(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop']);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('BACKUP_SCRIPT', () => {
  test('writes one verified <database>-<UTC time>.dump, readable by the owner only, and no partial file', () => {
    const dir = newBackupDir();
    const start = new Date();
    const result = backup(dir);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    const files = fs.readdirSync(dir);
    expect(files).toHaveLength(1);
    const match = BACKUP_FILE_PATTERN.exec(files[0]);
    expect(match?.[1]).toBe(DB);
    const stamp = match![2].replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z');
    expect(Date.parse(stamp)).toBeGreaterThanOrEqual(Math.floor(start.getTime() / 1000) * 1000);
    expect(Date.parse(stamp)).toBeLessThanOrEqual(Date.now());
    expect(fs.statSync(path.join(dir, files[0])).mode & 0o777).toBe(0o600);
    expect(result.stdout).toContain(`wrote ${dir}/${files[0]}`);
    const toc = execFileSync(path.join(bin, 'pg_restore'), ['--list', path.join(dir, files[0])], { encoding: 'utf8' });
    for (const table of ['authors', 'notes', 'settings']) expect(toc).toMatch(new RegExp(`TABLE DATA public ${table} `));
  });

  test('deletes dumps older than BACKUP_KEEP_DAYS days and partial files of killed runs, and keeps the rest', () => {
    const dir = newBackupDir();
    const put = (name: string, ms: number) => {
      fs.writeFileSync(path.join(dir, name), 'x');
      age(path.join(dir, name), ms);
    };
    put(`${DB}-20000101T000000Z.dump`, 10 * DAY);
    put(`${DB}-20000102T000000Z.dump`, 7 * DAY + 60 * 60 * 1000);
    put(`${DB}-20000103T000000Z.dump`, 7 * DAY - 60 * 60 * 1000);
    put(`other-20000104T000000Z.dump`, 2 * DAY);
    put('README.txt', 30 * DAY);
    put(`.${DB}-20000105T000000Z.dump.partial`, 60 * 1000);
    const created = backupOk(dir);
    expect(fs.readdirSync(dir).sort()).toEqual(
      [created, `${DB}-20000103T000000Z.dump`, 'other-20000104T000000Z.dump', 'README.txt'].sort(),
    );
  });

  test.each([
    ['a port nothing listens on', async () => ({ PGPORT: String(await freePort()) })],
    ['a wrong password', async () => ({ PGPASSWORD: 'wrong' })],
    ['a database that does not exist', async () => ({ PGDATABASE: 'missing' })],
  ])('fails against %s, leaving no dump and no partial file', async (_, env) => {
    const dir = newBackupDir();
    const result = backup(dir, await env());
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/pg_dump: error: .*failed/);
    expect(result.stderr).toContain('backup: FAILED with exit status');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('fails, leaving no dump, when the dump does not read back in full', () => {
    // A pg_dump that reports success but leaves a short file, as a full or failing volume can;
    // `pg_restore --list` alone would accept it (the table of contents comes first).
    const shortBin = path.join(tmp, 'short-pg_dump');
    fs.mkdirSync(shortBin);
    fs.writeFileSync(
      path.join(shortBin, 'pg_dump'),
      `#!/bin/sh\nset -e\n"${bin}/pg_dump" "$@"\nfor a; do case $a in --file=*) truncate -s -200 "\${a#--file=}" ;; esac; done\n`,
      { mode: 0o755 },
    );
    const dir = newBackupDir();
    const result = backup(dir, { PATH: `${shortBin}:${bin}:${process.env.PATH}` });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/pg_restore: error: /);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test.each(['0', '-1', 'seven', ''])('refuses BACKUP_KEEP_DAYS=%j before dumping', (days) => {
    const dir = newBackupDir();
    const result = backup(dir, { BACKUP_KEEP_DAYS: days });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('BACKUP_KEEP_DAYS');
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('RESTORE_SCRIPT', () => {
  test('restores the newest dump by default into a fresh, empty database', () => {
    const dir = newBackupDir();
    const dump = backupOk(dir);
    // Older by its time, though later by name: not a dump at all, so restoring it would fail.
    fs.writeFileSync(path.join(dir, `${DB}-29991231T235959Z.dump`), 'not a dump');
    age(path.join(dir, `${DB}-29991231T235959Z.dump`), DAY);
    psql('postgres', 'CREATE DATABASE fresh');
    const result = restore({ BACKUP_DIR: dir, PGDATABASE: 'fresh' });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toContain(`restored ${dump} into fresh`);
    expect(contents('fresh')).toBe(original);
    // The sequences carry on from where they were, past the deleted row.
    expect(psql('fresh', "INSERT INTO authors (name) VALUES ('new') RETURNING id")).toBe('5\n');
  });

  test('restores a chosen dump over the damaged original', () => {
    const dir = newBackupDir();
    const dump = backupOk(dir);
    psql(
      DB,
      `DROP VIEW note_counts;
       DROP TABLE settings;
       DELETE FROM authors WHERE id = 2;
       UPDATE notes SET body = 'overwritten' WHERE id = 1;
       INSERT INTO authors (name) VALUES ('intruder');
       SELECT nextval('ticket_number');`,
    );
    expect(psql(DB, 'SELECT count(*) FROM notes')).toBe('3\n');
    const result = restore({ BACKUP_DIR: dir, BACKUP_FILE: dump });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(contents(DB)).toBe(original);
  });

  test.each([
    ['a file that does not exist', { BACKUP_FILE: `${DB}-20000101T000000Z.dump` }, /no such dump/],
    ['a path outside BACKUP_DIR', { BACKUP_FILE: '../../etc/passwd' }, /must be a file name/],
    ['an empty BACKUP_DIR', {}, /no \*\.dump in/],
  ])('refuses %s and leaves the database as it was', (_, env, message) => {
    const before = contents(DB);
    const result = restore({ BACKUP_DIR: newBackupDir(), ...env });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(contents(DB)).toBe(before);
  });

  test('a dump that fails part-way changes nothing (one transaction)', () => {
    const dir = newBackupDir();
    const dump = backupOk(dir);
    const broken = `${DB}-20000101T000000Z.dump`;
    const bytes = fs.readFileSync(path.join(dir, dump));
    fs.writeFileSync(path.join(dir, broken), bytes.subarray(0, bytes.length - 200));
    psql(DB, "UPDATE settings SET value = 'light' WHERE key = 'theme'");
    const before = contents(DB);
    const result = restore({ BACKUP_DIR: dir, BACKUP_FILE: broken });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('could not read from input file');
    expect(contents(DB)).toBe(before);
  });
});

describe('SEED_SCRIPT (a preview\'s copy of the demo database)', () => {
  // One server holds both: the source under another name, which the script takes as SOURCE_DATABASE.
  const seed = (target: string, extra: Record<string, string> = {}) =>
    run(SEED_SCRIPT, pgEnv({ PGDATABASE: target, SOURCE_HOST: '127.0.0.1', SOURCE_PORT: String(port), SOURCE_DATABASE: DB, ...extra }));

  test('copies every row into an empty database', () => {
    psql('postgres', 'CREATE DATABASE preview_a');
    const result = seed('preview_a');
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toContain('copying');
    expect(contents('preview_a')).toBe(contents(DB));
  });

  test('leaves a database that has tables alone, so later syncs keep the preview\'s data', () => {
    psql('preview_a', "INSERT INTO settings VALUES ('preview-only', 'kept')");
    const before = contents('preview_a');
    const result = seed('preview_a');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('left as it is');
    expect(contents('preview_a')).toBe(before);
  });

  test('a failed dump copies nothing: the transaction rolls back', () => {
    psql('postgres', 'CREATE DATABASE preview_b');
    const result = seed('preview_b', { SOURCE_DATABASE: 'no_such_database' });
    expect(result.status).not.toBe(0);
    expect(psql('preview_b', "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'").trim()).toBe('0');
  });
});
