/**
 * The error for a request that cannot be carried out as asked (a bad flag value, a model that cannot be
 * chosen, an unreadable file), as opposed to a fault in the program. It lives in the pure core because both
 * the command line (which exits 2 on it) and the training side (which raises it while resolving what to
 * train, and must not import the CLI) need it; the extension shows its message as it is.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
