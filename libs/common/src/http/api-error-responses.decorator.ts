import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorCode } from '../error-code';
import { ERROR_EXAMPLES, ERROR_HTTP_STATUS } from '../error-status';
import { ErrorResponseDto } from './error-response.dto';

/**
 * Bodies the body parsers refuse before any route, whatever the method: VALIDATION_FAILED with these statuses
 * (DomainErrorFilter keeps the parser's status and gives its `type` as `reason`).
 */
const BODY_PARSER_ERRORS: Record<number, { message: string; reason: string }> = {
  413: { message: 'request entity too large', reason: 'entity.too.large' },
  415: { message: 'unsupported content encoding "br"', reason: 'encoding.unsupported' },
};

/**
 * Documents the error responses a route can give, grouped by status, with an example body per code.
 * Every route can answer VALIDATION_FAILED (an unreadable body, a NUL in the URL or a header: refused before
 * routing, whatever the method) and INTERNAL, so both are always listed.
 */
export function ApiErrorResponses(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set([ErrorCode.ValidationFailed, ...codes, ErrorCode.Internal])) {
    const status = ERROR_HTTP_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const bodyParserErrors = Object.entries(BODY_PARSER_ERRORS).map(([status, { message, reason }]) =>
    ApiResponse({
      status: Number(status),
      description: `${ErrorCode.ValidationFailed} (a body the parser refused)`,
      content: {
        'application/json': {
          schema: { $ref: `#/components/schemas/${ErrorResponseDto.name}` },
          examples: {
            [ErrorCode.ValidationFailed]: {
              value: { success: false, error: { code: ErrorCode.ValidationFailed, message, reason } },
            },
          },
        },
      },
    }),
  );
  return applyDecorators(
    ...bodyParserErrors,
    ...[...byStatus.entries()].map(([status, statusCodes]) =>
      ApiResponse({
        status,
        description: statusCodes.join(', '),
        // No `type`: @nestjs/swagger would rebuild `content` from it and drop the examples.
        // ErrorResponseDto is registered through `extraModels`, so the $ref resolves.
        // 429 always; 503 when the database is down (SERVICE_UNAVAILABLE), not for every vendor failure.
        ...(status === 429 || status === 503
          ? {
              headers: {
                'Retry-After': {
                  description: 'Seconds to wait',
                  required: status === 429,
                  schema: { type: 'integer' },
                },
              },
            }
          : {}),
        content: {
          'application/json': {
            schema: { $ref: `#/components/schemas/${ErrorResponseDto.name}` },
            examples: Object.fromEntries(
              statusCodes.map((code) => [
                code,
                {
                  value: {
                    success: false,
                    error: { code, message: ERROR_EXAMPLES[code].message, ...ERROR_EXAMPLES[code].details },
                  },
                },
              ]),
            ),
          },
        },
      }),
    ),
  );
}
