import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { Env } from './env.schema';
import { validateEnv } from './validate-env';

/** `.env.example` is the operator's list of settings: it must name every key the schema validates, and no other. */
describe('.env.example', () => {
  const schemaKeys = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(Env, '', true, false)
      .map((meta) => meta.propertyName),
  );
  const exampleKeys = new Set(
    readFileSync(join(__dirname, '../../../.env.example'), 'utf8')
      .split('\n')
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter((key): key is string => Boolean(key)),
  );

  it('lists every configuration key', () => {
    expect([...schemaKeys].filter((key) => !exampleKeys.has(key))).toEqual([]);
  });

  it('lists nothing the service does not read', () => {
    expect([...exampleKeys].filter((key) => !schemaKeys.has(key))).toEqual([]);
  });

  it('passes validation as shipped once secrets are filled in', () => {
    const values = Object.fromEntries(
      readFileSync(join(__dirname, '../../../.env.example'), 'utf8')
        .split('\n')
        .map((line) => /^([A-Z][A-Z0-9_]*)=(\S*)/.exec(line))
        .filter((match): match is RegExpExecArray => Boolean(match))
        .map((match) => [match[1], match[2]]),
    );
    expect(() =>
      validateEnv({
        ...values,
        JWT_SECRET: 'a'.repeat(16) + 'b'.repeat(16),
        OTP_SECRET: 'c'.repeat(16) + 'd'.repeat(16),
      }),
    ).not.toThrow();
  });
});
