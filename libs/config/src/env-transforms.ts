import { Transform } from 'class-transformer';

/** `Boolean('false')` is true, so env booleans are parsed explicitly. Anything unrecognised stays as-is and fails `@IsBoolean`. */
export const ToBoolean = () =>
  Transform(({ value }) => {
    if (typeof value === 'boolean' || value === undefined) return value;
    const text = String(value).trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off', ''].includes(text)) return false;
    return value;
  });

export const ToInt = () =>
  Transform(({ value }) => {
    if (value === undefined || value === '') return undefined;
    return /^-?\d+$/.test(String(value).trim()) ? Number(value) : value;
  });

/** A comma-separated list, trimmed and case-folded: `"KZ, uz"` → `['KZ', 'UZ']`; empty → `[]`. */
function toList(fold: (item: string) => string) {
  return Transform(({ value }) =>
    Array.isArray(value)
      ? value
      : String(value ?? '')
          .split(',')
          .map((item) => fold(item.trim()))
          .filter(Boolean),
  );
}

export const ToUpperList = () => toList((item) => item.toUpperCase());
export const ToLowerList = () => toList((item) => item.toLowerCase());

export const EmptyAsUndefined = () =>
  Transform(({ value }) => (typeof value === 'string' && value.trim() === '' ? undefined : value));
