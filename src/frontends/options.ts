/**
 * What a caller may tell any front end: the input shape and which model of a file to build. It has its own
 * module, importing nothing, so every front end, the analysis worker's protocol, the CLI and training can
 * depend on it without depending on one particular front end.
 */

export interface FrontEndOptions {
  /** Overrides the file's own input shape. */
  input?: number[];
  /**
   * The input shape to use when the file states none (the editor's default-input setting). Weaker than the
   * file and than what a front end can infer (a block analysed alone takes its own channel parameter).
   */
  defaultInput?: number[];
  model?: string;
  args?: string;
  /**
   * Folders to resolve absolute imports from, in order, after the file's own package root: the workspace
   * folders (the CLI's working directory), each followed by its `src/` when it has one, then the extra paths
   * (the CLI's `--path`; in the editor `python.analysis.extraPaths`, then our own setting).
   */
  searchRoots?: string[];
  /** The Python interpreter whose `sys.path` locates installed packages (read statically, never imported). */
  python?: string;
}
