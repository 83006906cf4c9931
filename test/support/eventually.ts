/**
 * Polls until `check` holds, for at most `attempts` × `intervalMs` (a bounded wait, not a timing assertion);
 * throws naming `what` when it never does.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  { attempts = 200, intervalMs = 50 }: { attempts?: number; intervalMs?: number } = {},
): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting until ${what}`);
}
