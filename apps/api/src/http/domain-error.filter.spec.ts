import {
  type ArgumentsHost,
  BadRequestException,
  ForbiddenException,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { DomainError, ERROR_HTTP_STATUS, ErrorCode } from '@app/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { DatabaseAvailabilityService } from '@app/database';
import { DomainErrorFilter } from './domain-error.filter';

/** The two calls of the HTTP adapter the filter makes, onto the fake response below. */
type FakeResponse = { status: jest.Mock; json: jest.Mock; setHeader: jest.Mock };
const adapterHost = {
  httpAdapter: {
    setHeader: (response: FakeResponse, name: string, value: string) => response.setHeader(name, value),
    reply: (response: FakeResponse, body: unknown, status: number) => response.status(status).json(body),
  },
} as unknown as HttpAdapterHost;

function fakeHost() {
  const response = { status: jest.fn(), json: jest.fn(), setHeader: jest.fn() };
  response.status.mockReturnValue(response);
  response.json.mockReturnValue(response);
  const host = {
    switchToHttp: () => ({ getResponse: () => response, getRequest: () => ({}) }),
  } as unknown as ArgumentsHost;
  return { host, response };
}

/** Runs the filter and answers what the client would receive. */
function respond(exception: unknown) {
  const { host, response } = fakeHost();
  const sut = new DomainErrorFilter(adapterHost);
  sut.catch(exception, host);
  expect(response.status).toHaveBeenCalledTimes(1);
  expect(response.json).toHaveBeenCalledTimes(1);
  return {
    status: response.status.mock.calls[0][0] as number,
    body: response.json.mock.calls[0][0] as { success: false; error: Record<string, unknown> },
    setHeader: response.setHeader,
  };
}

describe(DomainErrorFilter.name, () => {
  let logError: jest.SpyInstance;

  beforeEach(() => {
    logError = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  describe('DomainError', () => {
    it.each(Object.values(ErrorCode))('answers %s with its status from ERROR_HTTP_STATUS', (code) => {
      expect(respond(new DomainError(code, 'whatever')).status).toBe(ERROR_HTTP_STATUS[code]);
    });

    it.each([
      [ErrorCode.RateLimited, 429],
      [ErrorCode.ResendTooSoon, 429],
      [ErrorCode.SmsProviderRejected, 502],
      [ErrorCode.SmsProviderUnavailable, 503],
      [ErrorCode.Unauthorized, 401],
    ])('answers %s with HTTP %i (SPEC)', (code, status) => {
      expect(respond(new DomainError(code, 'whatever')).status).toBe(status);
    });

    it('answers {success:false, error:{code, message, ...details}}', () => {
      const { status, body } = respond(
        new DomainError(ErrorCode.CodeInvalid, 'The code is wrong', { attempts_left: 4 }),
      );
      expect(status).toBe(400);
      expect(body).toEqual({
        success: false,
        error: { code: 'CODE_INVALID', message: 'The code is wrong', attempts_left: 4 },
      });
    });

    it('sets Retry-After when the error says when to retry', () => {
      const error = new DomainError(
        ErrorCode.ResendTooSoon,
        'A new code can be requested in 42 s',
        { retry_after: 42 },
        42,
      );
      const { status, body, setHeader } = respond(error);
      expect(status).toBe(429);
      expect(setHeader).toHaveBeenCalledWith('Retry-After', '42');
      expect(body.error).toMatchObject({ code: 'RESEND_TOO_SOON', retry_after: 42 });
    });

    it('sets no Retry-After otherwise', () => {
      expect(
        respond(new DomainError(ErrorCode.InvalidPhone, 'This is not a valid phone number')).setHeader,
      ).not.toHaveBeenCalled();
    });

    it('does not log expected errors', () => {
      respond(new DomainError(ErrorCode.CodeExpired, 'The code has expired'));
      expect(logError).not.toHaveBeenCalled();
    });
  });

  describe('HTTP exceptions', () => {
    it('answers NotFoundException with 404 NOT_FOUND', () => {
      const { status, body } = respond(new NotFoundException('Cannot POST /api/v1/nowhere'));
      expect(status).toBe(404);
      expect(body).toEqual({ success: false, error: { code: 'NOT_FOUND', message: 'Cannot POST /api/v1/nowhere' } });
    });

    it('answers a 400 with VALIDATION_FAILED and the joined messages', () => {
      const { status, body } = respond(
        new BadRequestException(['phone_number must be a string', 'locale must be one of ru, kk, uz, en']),
      );
      expect(status).toBe(400);
      expect(body.error).toEqual({
        code: 'VALIDATION_FAILED',
        message: 'phone_number must be a string; locale must be one of ru, kk, uz, en',
      });
    });

    it('answers a 403 with UNAUTHORIZED', () => {
      expect(respond(new ForbiddenException()).body.error.code).toBe(ErrorCode.Unauthorized);
    });

    it('answers a terminus readiness failure with 503 SERVICE_UNAVAILABLE and the failing checks', () => {
      const checks = { database: { status: 'down', message: 'connection refused' } };
      const { status, body } = respond(
        new ServiceUnavailableException({ status: 'error', info: {}, error: checks, details: checks }),
      );
      expect(status).toBe(503);
      expect(body).toEqual({ success: false, error: { code: 'SERVICE_UNAVAILABLE', message: 'Not ready', checks } });
      expect(logError).not.toHaveBeenCalled();
    });
  });

  describe('database outages', () => {
    const refused = () =>
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', errno: -111 });

    it('answers a connection failure with 503 SERVICE_UNAVAILABLE and Retry-After, without logging a stack', () => {
      const { status, body, setHeader } = respond(refused());
      expect(status).toBe(503);
      expect(body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(JSON.stringify(body)).not.toContain('127.0.0.1');
      expect(setHeader).toHaveBeenCalledWith('Retry-After', '5');
      expect(logError).not.toHaveBeenCalled();
    });

    it('reports the outage to DatabaseAvailability', () => {
      const database = { reportFailure: jest.fn() };
      const { host } = fakeHost();
      const error = refused();
      new DomainErrorFilter(adapterHost, database as unknown as DatabaseAvailabilityService).catch(error, host);
      expect(database.reportFailure).toHaveBeenCalledWith(error);
    });

    it('sets Retry-After on a failed readiness check too', () => {
      expect(respond(new ServiceUnavailableException({ status: 'error' })).setHeader).toHaveBeenCalledWith(
        'Retry-After',
        '5',
      );
    });
  });

  describe('unknown errors', () => {
    const crash = () => new Error('relation "users" does not exist at postgres://admin:hunter2@db/sms');

    it('answers a bland 500 INTERNAL', () => {
      const { status, body } = respond(crash());
      expect(status).toBe(500);
      expect(body).toEqual({ success: false, error: { code: 'INTERNAL', message: 'Internal server error' } });
    });

    it('keeps the original message out of the response', () => {
      const { body } = respond(crash());
      expect(JSON.stringify(body)).not.toContain('hunter2');
      expect(JSON.stringify(body)).not.toContain('relation');
    });

    it('logs the error with its stack', () => {
      const error = crash();
      respond(error);
      expect(logError).toHaveBeenCalledTimes(1);
      const logged = String(logError.mock.calls[0][0]);
      expect(logged).toContain('relation "users" does not exist');
      expect(logged).toContain(error.stack!.split('\n')[1].trim());
    });

    it('handles a thrown non-Error', () => {
      const { status, body } = respond('plain string');
      expect(status).toBe(500);
      expect(body.error.code).toBe(ErrorCode.Internal);
      expect(logError).toHaveBeenCalledWith('plain string');
    });
  });
});
