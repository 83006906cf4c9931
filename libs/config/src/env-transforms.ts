import { Transform } from 'class-transformer';

/** Env values are strings; a number or boolean may come from a test's plain object. Anything else is left alone. */
function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * `Boolean('false')` is true, so env booleans are parsed explicitly.
 * Anything unrecognised stays as-is and fails `@IsBoolean`.
 */
export const ToBoolean = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value === 'boolean' || value === undefined) return value;
    const text = asText(value)?.trim().toLowerCase();
    if (text === undefined) return value;
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off', ''].includes(text)) return false;
    return value;
  });

export const ToInt = () =>
  Transform(({ value }: { value: unknown }) => {
    if (value === undefined || value === '') return undefined;
    const text = asText(value)?.trim();
    return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : value;
  });

/** A decimal such as `0.05`; anything else stays as-is and fails `@IsNumber`. */
export const ToFloat = () =>
  Transform(({ value }: { value: unknown }) => {
    if (value === undefined || value === '') return undefined;
    const text = asText(value)?.trim();
    return text !== undefined && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : value;
  });

/** A comma-separated list, trimmed and case-folded: `"KZ, uz"` → `['KZ', 'UZ']`; empty → `[]`. */
function toList(fold: (item: string) => string) {
  return Transform(({ value }: { value: unknown }): unknown =>
    Array.isArray(value)
      ? value
      : (asText(value) ?? '')
          .split(',')
          .map((item) => fold(item.trim()))
          .filter(Boolean),
  );
}

export const ToUpperList = () => toList((item) => item.toUpperCase());
export const ToLowerList = () => toList((item) => item.toLowerCase());

export const EmptyAsUndefined = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && value.trim() === '' ? undefined : value));
