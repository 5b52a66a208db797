/**
 * Which files of a workspace may hold models, found the way `ruff check` and `eslint` find files: walk the
 * given folders, skip virtual environments, installed packages, VCS and tool folders, and the user's own
 * exclude globs (VS Code's `files.exclude`). Shared by `resnet-studio check`, the analysis worker's
 * workspace index and its benchmark. Pure Node (`fs`, `path`); it reads names, never file contents.
 */
import { type Dirent, existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Folder names never walked into, whatever their depth: ruff's default excludes, plus the folders where
 * Debian and our own training runs keep files that are not the user's models.
 */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  '.bzr', '.direnv', '.eggs', '.git', '.git-rewrite', '.hg', '.ipynb_checkpoints', '.mypy_cache', '.nox', '.pants.d',
  '.pyenv', '.pytest_cache', '.pytype', '.ruff_cache', '.svn', '.tox', '.venv', '.vscode', '__pypackages__', '_build',
  'buck-out', 'dist', 'node_modules', 'site-packages', 'venv',
  'dist-packages', '__pycache__', '.resnet-studio',
]);

/** Files some front end may read: PyTorch source, our designs, and JSON that may be a Keras topology. */
export function mayHoldModel(file: string): boolean {
  return file.endsWith('.py') || file.endsWith('.json');
}

/** A virtual environment or conda environment whatever its name: venv writes `pyvenv.cfg`, conda `conda-meta/`. */
function isEnvironment(entries: readonly Dirent[]): boolean {
  return entries.some((e) => (e.name === 'pyvenv.cfg' && !e.isDirectory()) || (e.name === 'conda-meta' && e.isDirectory()));
}

/**
 * A VS Code glob as a regular expression over a `/`-separated relative path: `**` spans folders, `*` and
 * `?` stay within one, `{a,b}` alternates, `[...]` is a class (`[!...]` negated). Matching is whole-path.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let inBraces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        i++;
        if (glob[i + 1] === '/' && atStart) {
          i++;
          re += '(?:[^/]*/)*';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      inBraces++;
      re += '(?:';
    } else if (c === '}' && inBraces > 0) {
      inBraces--;
      re += ')';
    } else if (c === ',' && inBraces > 0) re += '|';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A test of relative paths against exclude globs; a folder that matches excludes everything under it. */
export function excludeMatcher(globs: readonly string[]): (relative: string) => boolean {
  const res = globs.map((g) => globToRegExp(g.replace(/^\.\//, '').replace(/\/+$/, '')));
  return (relative) => res.some((r) => r.test(relative));
}

export interface DiscoverOptions {
  /** Globs relative to each root folder (VS Code's `files.exclude` keys that are on). */
  exclude?: readonly string[];
  /** Stops after this many files (a safety net for a home folder opened as a workspace). */
  maxFiles?: number;
}

export interface Discovery {
  files: string[];
  /** True when `maxFiles` cut the walk short. */
  truncated: boolean;
}

/**
 * Every file under `roots` that may hold a model, in a stable order (each root's files sorted by path).
 * A root that is a file is taken as given, as linters take a file named on the command line; a root folder
 * is walked even when its own name is one that would be skipped inside a walk. Symbolic links to folders are
 * not followed, so a link cycle cannot trap the walk.
 */
export function discoverModelFiles(roots: readonly string[], opts: DiscoverOptions = {}): Discovery {
  const excluded = excludeMatcher(opts.exclude ?? []);
  const max = opts.maxFiles ?? 20_000;
  const seen = new Set<string>();
  const files: string[] = [];
  let truncated = false;
  const add = (f: string): void => {
    if (seen.has(f)) return;
    if (files.length >= max) {
      truncated = true;
      return;
    }
    seen.add(f);
    files.push(f);
  };
  const walk = (root: string, dir: string): void => {
    if (truncated) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (dir !== root && isEnvironment(entries)) return;
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      const rel = path.relative(root, full).split(path.sep).join('/');
      if (excluded(rel)) continue;
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) walk(root, full);
      } else if (e.isFile() || (e.isSymbolicLink() && isFile(full))) {
        if (mayHoldModel(e.name)) add(full);
      }
    }
  };
  for (const r of roots) {
    const root = path.resolve(r);
    let st;
    try {
      st = statSync(root);
    } catch {
      continue;
    }
    if (st.isDirectory()) walk(root, root);
    else add(root);
  }
  return { files, truncated };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Whether a path inside `root` would be skipped by the walk (the extension checks single changed files). */
export function isSkippedPath(root: string, file: string, exclude: readonly string[] = []): boolean {
  const rel = path.relative(root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return true;
  const parts = rel.split(path.sep);
  if (parts.slice(0, -1).some((p) => SKIPPED_DIRS.has(p))) return true;
  const excluded = excludeMatcher(exclude);
  for (let i = 1; i <= parts.length; i++) if (excluded(parts.slice(0, i).join('/'))) return true;
  for (let i = 1; i < parts.length; i++) {
    const dir = path.join(root, ...parts.slice(0, i));
    if (existsSync(path.join(dir, 'pyvenv.cfg')) || existsSync(path.join(dir, 'conda-meta'))) return true;
  }
  return false;
}

/**
 * The ordered import search roots the front ends take (`FrontEndOptions.searchRoots`): each workspace folder
 * followed by its `src/` when it has one (the src layout), then the extra paths, without repeats.
 */
export function searchRootsFor(workspaceFolders: readonly string[], extraPaths: readonly string[] = []): string[] {
  const roots: string[] = [];
  for (const f of workspaceFolders) {
    const abs = path.resolve(f);
    roots.push(abs);
    const src = path.join(abs, 'src');
    if (existsSync(src) && statSync(src).isDirectory()) roots.push(src);
  }
  for (const p of extraPaths) roots.push(path.resolve(p));
  return [...new Set(roots)];
}
