/**
 * Bad command-line input: the message says what to type instead, and `rlm` exits with
 * status 2. A module of its own, imported by every part of the CLI and importing nothing,
 * so that no two of them need each other for it.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
