// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const PRINT_WIDTH = 120;

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', '.data/**', 'bench-results/**', 'test-results/**'] },
  eslint.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Tests poke at untyped HTTP bodies and private seams: the unsafe-* family would flag every `res.body.x`.
    files: ['test/**/*.ts', '**/*.spec.ts', '**/*-spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Response bodies of the service under test are untyped JSON.
      '@typescript-eslint/no-explicit-any': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }] },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
  {
    // The dashboard's browser JS: ES modules the page loads as they are (no bundler). Browser globals only:
    // the Node globals from the **/*.js block above are switched off, so `process` or `require` is an error.
    files: ['apps/api/src/admin/dashboard/public/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: { ...Object.fromEntries(Object.keys(globals.node).map((name) => [name, 'off'])), ...globals.browser },
    },
  },
  {
    files: ['scripts/**/*.js'],
    rules: { 'no-console': 'off' },
  },
  prettier,
  {
    // Prettier wraps code but not comments or long strings; this keeps every line outside the tests within its width.
    files: ['apps/**', 'libs/**', 'migrations/**', 'scripts/**'],
    ignores: ['**/*.spec.ts'],
    rules: { 'max-len': ['error', { code: PRINT_WIDTH, ignoreUrls: true }] },
  },
);
