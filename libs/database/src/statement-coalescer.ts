import { isDatabaseUnavailable } from './database-unavailable';
import { reportedByServer } from './sql-client';

export interface CoalescerOptions {
  /** The most items one statement carries. */
  maxItems: number;
  /** Statements running at once; items arriving meanwhile wait for the next one. */
  maxInFlight: number;
}

/**
 * The row of each item, in the items' order: the batch functions answer in their own (lock) order, each row
 * numbered by `request`, its item's 1-based position.
 */
export function inRequestOrder<Row extends { request: number }>(rows: Row[], count: number): Row[] {
  const byRequest = new Map(rows.map((row) => [row.request, row]));
  return Array.from({ length: count }, (_, index) => byRequest.get(index + 1)!);
}

interface Waiting<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit at the application level: the items of concurrent requests (sends, verifies, refreshes) go to
 * Postgres as ONE statement that handles them all, and one commit. An item submitted while `maxInFlight`
 * statements run waits for the next, which carries everything that arrived meanwhile; alone, it goes at once.
 * Each caller's promise settles when the statement carrying its item has committed (or failed).
 *
 * `run` must answer one result per item, in the items' order. When a statement with several items fails with
 * an error the server reported (it changed nothing), each item is run again on its own, so that one item's
 * failure (a bad value, a deadlock) is its own; any other failure (an outage, a connection lost mid-statement,
 * the server shutting down) reaches every caller as it is.
 */
export class StatementCoalescer<Item, Result> {
  private readonly waiting: Waiting<Item, Result>[] = [];
  private inFlight = 0;

  constructor(
    private readonly run: (items: Item[]) => Promise<Result[]>,
    private readonly options: CoalescerOptions = { maxItems: 100, maxInFlight: 2 },
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.startStatements();
    });
  }

  private startStatements(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxItems);
      this.inFlight += 1;
      void this.execute(batch).finally(() => {
        this.inFlight -= 1;
        this.startStatements();
      });
    }
  }

  private async execute(batch: Waiting<Item, Result>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((waiting) => waiting.item));
      batch.forEach((waiting, index) => waiting.resolve(results[index]));
    } catch (error) {
      if (batch.length === 1 || !reportedByServer(error) || isDatabaseUnavailable(error)) {
        for (const waiting of batch) waiting.reject(error);
        return;
      }
      // One after the other, within this statement's slot: the pool and maxInFlight hold for the retries too.
      for (const waiting of batch) {
        try {
          const [result] = await this.run([waiting.item]);
          waiting.resolve(result);
        } catch (itemError) {
          waiting.reject(itemError);
        }
      }
    }
  }
}
