/**
 * The CLI's on-disk cache of parsed Python files, the way Python keeps `__pycache__`: the syntax tree of a
 * file is stored under the CLI build and the file's text, so running the CLI again on an unchanged
 * file skips the parser (whose first run in a fresh process is the slowest part of the CLI). Only complete
 * parses are stored; anything unreadable is a miss, and any write failure only costs speed.
 *
 * `bin/resnet-studio.js` chooses the folder (the same one as its code cache) and only passes one that belongs
 * to the current user and is closed to everyone else.
 */
import { readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParseCache, ParsedModule } from '../frontends/pytorch/ast';

/** Bumped whenever the stored form changes; the build key also changes with every new CLI bundle. */
const FORMAT = 1;
/** Past this many stored trees, a write first removes the older half. */
const MAX_ENTRIES = 256;

/**
 * A 53-bit string hash (cyrb53), for file names only: each entry also stores its text and is used only for
 * exactly that text, so a collision costs a re-parse, never a wrong tree. (`node:crypto` would add several
 * milliseconds of loading to every run.)
 */
export function hash53(s: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

/** A `ParseCache` stored in `dir`, for trees made by the build identified by `buildKey`. */
export function diskParseCache(dir: string, buildKey: string): ParseCache {
  // A miss is followed by a set for the same text: hash it once.
  let last: { text: string; file: string } | null = null;
  const fileFor = (text: string): string => {
    if (last?.text !== text) last = { text, file: join(dir, `py-${hash53(`${FORMAT}\0${buildKey}\0${text}`)}.json`) };
    return last.file;
  };
  return {
    get(text) {
      let raw: string;
      try {
        raw = readFileSync(fileFor(text), 'utf8');
      } catch {
        return undefined;
      }
      try {
        const stored = JSON.parse(raw) as { format?: unknown; build?: unknown; text?: unknown; body?: unknown; errors?: unknown };
        if (stored.format !== FORMAT || stored.build !== buildKey || stored.text !== text) return undefined;
        if (!Array.isArray(stored.body) || !Array.isArray(stored.errors)) return undefined;
        return { body: stored.body, errors: stored.errors, text, truncatedAt: null } as ParsedModule;
      } catch {
        return undefined;
      }
    },
    set(text, parsed) {
      if (parsed.truncatedAt !== null) return;
      let exact = true;
      // JSON has no Infinity or NaN (a literal such as 1e999): such a tree is simply not stored.
      const json = JSON.stringify({ format: FORMAT, build: buildKey, text, body: parsed.body, errors: parsed.errors }, (_k, v: unknown) => {
        if (typeof v === 'number' && !Number.isFinite(v)) exact = false;
        return v;
      });
      if (!exact) return;
      try {
        prune(dir);
        const file = fileFor(text);
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, json, { mode: 0o600 });
        renameSync(tmp, file);
      } catch {
        // a full or read-only disk only costs speed
      }
    },
  };
}

function prune(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.startsWith('py-'));
  if (names.length < MAX_ENTRIES) return;
  const aged = names
    .map((n) => {
      try {
        return { n, t: statSync(join(dir, n)).mtimeMs };
      } catch {
        return { n, t: 0 };
      }
    })
    .sort((a, b) => a.t - b.t);
  for (const { n } of aged.slice(0, aged.length - MAX_ENTRIES / 2)) rmSync(join(dir, n), { force: true });
}
