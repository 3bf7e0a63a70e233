/** Bad usage of the CLI that is not about one field (exit code 2, nothing changed). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
