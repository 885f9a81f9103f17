/**
 * What every command shares: its exit codes, reading options, and turning an error into one line on stderr.
 * Nothing a user can cause prints a stack trace.
 */
import { parseArgs, ParseArgsConfig } from 'node:util';
import { ConfigError } from '../config/types';
import { ValidationError } from './validate';
import { OutputError } from './write';

/** The documented exit codes (README, Command line). */
export const EXIT = { ok: 0, invalidOutput: 1, usage: 2, machine: 3, internal: 70 } as const;

export interface Io {
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(s: string): unknown };
}

/** The command line read strictly; a ConfigError (exit 2) names what is wrong. */
export function parseOptions(argv: readonly string[], options: NonNullable<ParseArgsConfig['options']>, positionals = false) {
  try {
    return parseArgs({ args: [...argv], strict: true, allowPositionals: positionals, options });
  } catch (error) {
    // node:util's messages may span lines; the command line error is one.
    throw new ConfigError(`${(error as Error).message.split('\n').join(' ').replace(/\.$/, '')}; run with --help for usage`);
  }
}

/** A system error of node's fs (duck-typed: such errors fail `instanceof Error` under jest's vm). */
function systemError(error: unknown): { code: string; path?: string; syscall?: string; message: string } | undefined {
  const e = error as { code?: unknown; message?: unknown };
  return typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code) ? (error as { code: string; message: string }) : undefined;
}

/** The exit code of `error`, after one line about it on stderr. */
export function fail(io: Io, error: unknown): number {
  if (error instanceof ConfigError) {
    io.stderr.write(`error: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof ValidationError) {
    io.stderr.write(`error: ${error.message}\n`);
    return EXIT.invalidOutput;
  }
  if (error instanceof OutputError) {
    io.stderr.write(`error: ${error.message}\n`);
    return EXIT.machine;
  }
  const system = systemError(error);
  if (system) {
    io.stderr.write(`error: cannot ${system.syscall ?? 'use'} ${system.path ?? 'a file'}: ${system.code}\n`);
    return EXIT.machine;
  }
  io.stderr.write(`internal error (please report it): ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.internal;
}
