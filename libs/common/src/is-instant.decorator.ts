import { applyDecorators } from '@nestjs/common';
import { buildMessage, IsISO8601, ValidateBy } from 'class-validator';

/** True when `value` names a real instant: `new Date(value)` reads it (ISO-8601 alone also admits `2026-W01`). */
export function isInstant(value: unknown): value is string {
  return typeof value === 'string' && Number.isFinite(Date.parse(value));
}

/**
 * An ISO-8601 date-time that also parses to an instant: week dates (`2026-W01`), basic format (`20260101`),
 * hour-only times (`2026-01-01T00Z`) and decimal commas pass the ISO check but not `new Date()`.
 */
export function IsInstant(): PropertyDecorator {
  return applyDecorators(
    IsISO8601({ strict: true }),
    ValidateBy({
      name: 'isInstant',
      validator: {
        validate: isInstant,
        defaultMessage: buildMessage((each) => `${each}$property must be a date and time such as 2026-01-01T00:00:00Z`),
      },
    }),
  );
}
