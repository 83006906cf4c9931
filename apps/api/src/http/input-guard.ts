import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError, ErrorCode } from '@app/common';

/** Deeper bodies are refused: no request of this API nests more than a few levels. */
const MAX_INPUT_DEPTH = 32;

interface Problem {
  field: string;
  message: string;
}

function fieldName(path: string): string {
  return path || 'body';
}

/**
 * Walks a parsed body or query iteratively (an explicit stack, never recursion, so depth cannot overflow
 * the call stack) and reports the first value nested deeper than `maxDepth` or any key or string holding
 * a NUL character, which Postgres cannot store in text and answers with an error.
 */
function findBadInput(root: unknown, rootPath: string, maxDepth = MAX_INPUT_DEPTH): Problem | null {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: root, depth: 0, path: rootPath }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { field: fieldName(path), message: `${fieldName(path)} contains a NUL` };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) {
      // The outermost field names the place; the full path would be `maxDepth` segments long.
      return { field: fieldName(path.split('.')[0]), message: `the input is nested deeper than ${maxDepth} levels` };
    }
    for (const [key, child] of Object.entries(value)) {
      if (key.includes('\u0000'))
        return { field: fieldName(path), message: `a key of ${fieldName(path)} contains a NUL` };
      stack.push({ value: child, depth: depth + 1, path: path ? `${path}.${key}` : key });
    }
  }
  return null;
}

/** Headers whose values reach SQL (the audit trail's IP and user agent) or identify the caller. */
const CHECKED_HEADERS = ['user-agent', 'x-forwarded-for', 'x-real-ip', 'forwarded', 'host'];

function badHeader(request: FastifyRequest): string | null {
  for (const name of CHECKED_HEADERS) {
    const value = request.headers[name];
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
    if (values.some((entry) => entry.includes('\u0000'))) return name;
  }
  return null;
}

function refuse(problem: Problem): DomainError {
  return new DomainError(ErrorCode.ValidationFailed, problem.message, {
    fields: [{ field: problem.field, messages: [problem.message] }],
  });
}

/**
 * Refuses bodies nested too deeply and any NUL in the path, query, body or client headers with 400
 * VALIDATION_FAILED, so no such value ever reaches SQL. A Fastify preValidation hook: it runs right after
 * the body parsers, on routed requests and 404s alike, before validation and every recursive helper (the
 * validation pipe's prototype-key stripping recurses).
 */
export function inputProblem(request: FastifyRequest): DomainError | undefined {
  // `%00` is the only way a NUL gets into a URL (Node's parser refuses a raw one); path params come from here.
  if (/%00/i.test(request.url)) return refuse({ field: 'url', message: 'the URL contains a NUL (%00)' });
  const header = badHeader(request);
  if (header) return refuse({ field: header, message: `the ${header} header contains a NUL` });
  const problem = findBadInput(request.body, '') ?? findBadInput(request.query, 'query');
  return problem ? refuse(problem) : undefined;
}

export function registerInputGuard(instance: FastifyInstance): void {
  instance.addHook('preValidation', (request, _reply, done) => done(inputProblem(request)));
}
