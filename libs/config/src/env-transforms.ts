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

/** `"KZ, uz"` → `['KZ', 'UZ']`; empty → `[]`. */
export const ToUpperList = () =>
  Transform(({ value }) =>
    Array.isArray(value)
      ? value
      : String(value ?? '')
          .split(',')
          .map((item) => item.trim().toUpperCase())
          .filter(Boolean),
  );

export const ToLowerList = () =>
  Transform(({ value }) =>
    Array.isArray(value)
      ? value
      : String(value ?? '')
          .split(',')
          .map((item) => item.trim().toLowerCase())
          .filter(Boolean),
  );

export const EmptyAsUndefined = () =>
  Transform(({ value }) => (typeof value === 'string' && value.trim() === '' ? undefined : value));
