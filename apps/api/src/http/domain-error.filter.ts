import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
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

  /** The database is optional so unit specs can leave it out; the app always has it. */
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Optional() private readonly database?: DatabaseAvailabilityService,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response: unknown = host.switchToHttp().getResponse();
    const { status, body, retryAfter } = this.describe(exception);
    if (retryAfter !== undefined) httpAdapter.setHeader(response, 'Retry-After', String(retryAfter));
    httpAdapter.reply(response, { success: false, error: body }, status);
  }

  private describe(exception: unknown): { status: number; body: Record<string, unknown>; retryAfter?: number } {
    if (exception instanceof DomainError) {
      return {
        status: ERROR_HTTP_STATUS[exception.code],
        body: { code: exception.code, message: exception.message, ...exception.details },
        retryAfter: exception.retryAfterSeconds,
      };
    }
    if (exception instanceof HttpException && exception.getStatus() === Number(HttpStatus.PAYLOAD_TOO_LARGE)) {
      const body = {
        code: ErrorCode.ValidationFailed,
        message: 'request entity too large',
        reason: 'entity.too.large',
      };
      return { status: HttpStatus.PAYLOAD_TOO_LARGE, body };
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

  /**
   * Bodies refused before Nest sees them, answered as Express's body-parser answered them: by our parsers
   * (BodyRefusedError, shaped like http-errors: `status`, `expose`, `type`), or by Fastify itself when a
   * body is over the limit (Nest hands that on as an HttpException 413).
   */
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
