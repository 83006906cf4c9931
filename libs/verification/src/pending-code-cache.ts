/** A pending code as verify checks it: its id and its hash. */
export interface PendingCode {
  id: string;
  codeHash: string;
}

interface Remembered extends PendingCode {
  expiresAt: number;
}

/**
 * The pending code of each phone this instance reserved or read lately, so that a verify usually skips its read
 * (one round trip instead of two). Never trusted for the answer: the verify's write checks that the code it was
 * given is still the phone's pending one, and answers STALE otherwise (a resend through another instance, a block,
 * an expiry), after which the caller reads again from the database. Bounded: the oldest entries go first.
 */
export class PendingCodeCache {
  private readonly entries = new Map<string, Remembered>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  remember(phoneNumber: string, code: PendingCode): void {
    this.entries.delete(phoneNumber);
    this.entries.set(phoneNumber, { ...code, expiresAt: this.now() + this.ttlMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  recall(phoneNumber: string): PendingCode | null {
    const entry = this.entries.get(phoneNumber);
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(phoneNumber);
      return null;
    }
    return { id: entry.id, codeHash: entry.codeHash };
  }

  forget(phoneNumber: string): void {
    this.entries.delete(phoneNumber);
  }

  get size(): number {
    return this.entries.size;
  }
}
