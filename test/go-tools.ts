/** The Go programs of test/<name>, built by scripts/go-tools.js (scripts/test.js builds them all before jest starts). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const goTools = require('../scripts/go-tools.js') as { tool(name: string): string };

/** The path of the named program's binary, built first where this source has not been built on this machine. */
export const tool = (name: string): string => goTools.tool(name);
