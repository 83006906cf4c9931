import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorCode } from '../error-code';
import { ERROR_EXAMPLES, ERROR_HTTP_STATUS } from '../error-status';
import { ErrorResponseDto } from './error-response.dto';

/** Documents the error responses a route can give, grouped by status, with an example body per code. */
export function ApiErrorResponses(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, ErrorCode.Internal]) {
    const status = ERROR_HTTP_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus.entries()].map(([status, statusCodes]) =>
      ApiResponse({
        status,
        description: statusCodes.join(', '),
        // No `type`: @nestjs/swagger would rebuild `content` from it and drop the examples.
        // ErrorResponseDto is registered through `extraModels`, so the $ref resolves.
        ...(status === 429
          ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } }
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
