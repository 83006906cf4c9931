import type { ExecutionContext } from '@nestjs/common';
import { ErrorCode } from '@app/common';
import { AdminKeyGuard } from './admin-key.guard';

const KEY = 'k3y-Of-The-Operators-0123456789';

function contextWith(authorization?: string): ExecutionContext {
  // Fastify's request: Node's headers, lower-cased names.
  const request = { headers: authorization === undefined ? {} : { authorization } };
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

function guard(key: string | undefined): AdminKeyGuard {
  return new AdminKeyGuard({ get: () => key } as never);
}

describe(AdminKeyGuard.name, () => {
  it('lets the right bearer key through', () => {
    expect(guard(KEY).canActivate(contextWith(`Bearer ${KEY}`))).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['a wrong key', 'Bearer k3y-Of-The-Operators-0123456788'],
    ['a prefix of the key', `Bearer ${KEY.slice(0, 10)}`],
    ['the key with another scheme', `Basic ${KEY}`],
    ['the bare key', KEY],
  ])('refuses %s with UNAUTHORIZED', (_, header) => {
    expect(() => guard(KEY).canActivate(contextWith(header))).toThrow(
      expect.objectContaining({ code: ErrorCode.Unauthorized }),
    );
  });

  it('refuses everything when no ADMIN_API_KEY is configured', () => {
    expect(() => guard(undefined).canActivate(contextWith('Bearer '))).toThrow(
      expect.objectContaining({ code: ErrorCode.Unauthorized }),
    );
    expect(() => guard(undefined).canActivate(contextWith('Bearer undefined'))).toThrow(
      expect.objectContaining({ code: ErrorCode.Unauthorized }),
    );
  });
});
