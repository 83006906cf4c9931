import { type ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, ErrorCode } from '@app/common';

function flatten(errors: ValidationError[], parent = ''): { field: string; messages: string[] }[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Rejects unknown and malformed fields with VALIDATION_FAILED and a list of what is wrong with each. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      const summary = fields.map((field) => field.messages.join(', ')).join('; ');
      return new DomainError(ErrorCode.ValidationFailed, summary || 'The request is not valid', { fields });
    },
  });
}
