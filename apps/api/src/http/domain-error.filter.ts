import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger, Optional } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, ERROR_HTTP_STATUS, ErrorCode } from '@app/common';
import { DATABASE_RETRY_AFTER_SECONDS, DatabaseAvailabilityService, isDatabaseUnavailable } from '@app/database';

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthorized,
  404: ErrorCode.NotFound,
  413: ErrorCode.ValidationFailed,
  415: ErrorCode.ValidationFailed,
  429: ErrorCode.RateLimited,
};

/**
 * The one place errors become HTTP: `{success:false, error:{code, message, ...details}}`.
 * Unknown errors are logged with their stack and answered with a bland 500.
 */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  /** Optional so unit specs can build the filter bare; the app always has it. */
  constructor(@Optional() private readonly database?: DatabaseAvailabilityService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { status, body, retryAfter } = this.describe(exception);
    if (retryAfter !== undefined) response.setHeader('Retry-After', String(retryAfter));
    response.status(status).json({ success: false, error: body });
  }

  private describe(exception: unknown): { status: number; body: Record<string, unknown>; retryAfter?: number } {
    if (exception instanceof DomainError) {
      return {
        status: ERROR_HTTP_STATUS[exception.code],
        body: { code: exception.code, message: exception.message, ...exception.details },
        retryAfter: exception.retryAfterSeconds,
      };
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const status = exception.getStatus();
      const code = STATUS_CODES[status] ?? (status === 403 ? ErrorCode.Unauthorized : ErrorCode.ValidationFailed);
      return { status, body: { code, message: this.httpMessage(exception) } };
    }
    const clientError = this.bodyParserError(exception);
    if (clientError) return clientError;
    if (exception instanceof HttpException && exception.getStatus() === Number(HttpStatus.SERVICE_UNAVAILABLE)) {
      // Readiness checks (terminus) report which dependency is down; that is for operators, not a crash.
      const response = exception.getResponse() as { details?: unknown };
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        body: { code: ErrorCode.ServiceUnavailable, message: 'Not ready', checks: response.details },
        retryAfter: DATABASE_RETRY_AFTER_SECONDS,
      };
    }
    if (isDatabaseUnavailable(exception)) {
      // An outage, not a bug: one warning when it starts (DatabaseAvailability), no stack per request.
      this.database?.reportFailure(exception);
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        body: { code: ErrorCode.ServiceUnavailable, message: 'The database is unavailable; try again shortly' },
        retryAfter: DATABASE_RETRY_AFTER_SECONDS,
      };
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: { code: ErrorCode.Internal, message: 'Internal server error' },
    };
  }

  /** Express's body parser rejects bodies before Nest sees them, with http-errors (`status`, `expose`). */
  private bodyParserError(exception: unknown): { status: number; body: Record<string, unknown> } | null {
    const error = exception as { status?: unknown; expose?: unknown; message?: unknown; type?: unknown };
    if (
      exception instanceof HttpException ||
      typeof error?.status !== 'number' ||
      error.status < 400 ||
      error.status >= 500 ||
      error.expose !== true
    ) {
      return null;
    }
    return {
      status: error.status,
      body: { code: ErrorCode.ValidationFailed, message: String(error.message), reason: error.type },
    };
  }

  private httpMessage(exception: HttpException): string {
    const response = exception.getResponse();
    const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    const text = Array.isArray(message)
      ? message.join('; ')
      : typeof message === 'string'
        ? message
        : exception.message;
    // The router's 404 says `Cannot GET /path?query`: the query string is not echoed back.
    return exception.getStatus() === Number(HttpStatus.NOT_FOUND) ? text.replace(/\?.*$/s, '') : text;
  }
}
