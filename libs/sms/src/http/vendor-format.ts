/** `+77001234567` → `77001234567`, the form most vendors want. */
export function digitsOnly(e164: string): string {
  return e164.replace(/\D/g, '');
}

/** A JSON object (not null, not an array): vendor replies are checked with this before reading fields. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON array, its items still to be checked (`Array.isArray` alone would type them `any`). */
export function isArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

/** A field of a JSON object reply, or undefined when the reply is not an object. */
export function field(json: unknown, key: string): unknown {
  return isRecord(json) ? json[key] : undefined;
}

/** A JSON scalar as text (ids, status words and codes arrive as strings or numbers); null for anything else. */
export function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return null;
}
