import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { RecordedResponse } from './response-recorder';

/**
 * Checks a recorded response against the OpenAPI document: path and method, status, required headers,
 * content type, and a body matching the documented schema, with no undocumented field.
 */

/** Served on purpose outside the document: not JSON, or not ours to describe. */
const UNDOCUMENTED_BY_DESIGN: { pattern: RegExp; why: string }[] = [
  { pattern: /^\/docs(-json|\/.*)?$/, why: 'the Swagger UI and the document itself' },
  { pattern: /^\/metrics$/, why: 'Prometheus text exposition' },
  { pattern: /^\/admin(\/[^/]*)?$/, why: 'the dashboard page and its static files (HTML, JS, CSS)' },
  { pattern: /^\/api\/v1\/sms-auth\/webhooks\//, why: "delivery reports in each vendor's own format" },
];

const ERROR_SCHEMA = '#/components/schemas/ErrorResponseDto';

type Schema = Record<string, unknown>;
interface Operation {
  responses: Record<
    string,
    { content?: Record<string, { schema?: Schema }>; headers?: Record<string, { required?: boolean }> }
  >;
}
export interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** Objects with declared properties admit no others: an undocumented field is a gap in the document. */
function closeObjects(schema: unknown): void {
  if (Array.isArray(schema)) return schema.forEach(closeObjects);
  if (!schema || typeof schema !== 'object') return;
  const object = schema as Schema;
  if (object.properties && typeof object.properties === 'object' && object.additionalProperties === undefined)
    object.additionalProperties = false;
  for (const [key, value] of Object.entries(object)) if (key !== 'example' && key !== 'examples') closeObjects(value);
}

function pointer(...segments: string[]): string {
  return '#/' + segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
}

export class ResponseChecker {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: { template: string; regex: RegExp; literals: number }[];

  constructor(private readonly document: Document) {
    addFormats(this.ajv);
    const copy = structuredClone(document);
    closeObjects(copy.components.schemas);
    for (const item of Object.values(copy.paths))
      for (const operation of Object.values(item))
        for (const response of Object.values(operation.responses ?? {}))
          for (const media of Object.values(response.content ?? {})) closeObjects(media.schema);
    this.ajv.addSchema(copy, 'openapi');
    this.templates = Object.keys(document.paths).map((template) => ({
      template,
      regex: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      literals: template.split('/').filter((segment) => segment && !segment.startsWith('{')).length,
    }));
  }

  /** What is wrong with this response, by the document; empty when it is documented as given. */
  problems(response: RecordedResponse): string[] {
    if (UNDOCUMENTED_BY_DESIGN.some(({ pattern }) => pattern.test(response.path))) return [];
    const template = this.templates
      .filter(({ regex }) => regex.test(response.path))
      .sort((a, b) => b.literals - a.literals)[0]?.template;
    const operation = template ? this.document.paths[template][response.method.toLowerCase()] : undefined;
    if (!template || !operation) {
      // An unknown route or method: the API's error body (404 NOT_FOUND, or a 4xx refused before routing).
      if (response.status < 400 || response.status >= 500)
        return [`${response.status} for an undocumented route or method`];
      return this.bodyProblems(response, ERROR_SCHEMA);
    }
    const status = String(response.status);
    const key = [status, `${status[0]}XX`, 'default'].find((candidate) => operation.responses[candidate]);
    if (!key) return [`status ${status} is not documented for ${response.method} ${template}`];
    const documented = operation.responses[key];
    const problems: string[] = [];
    for (const [header, { required }] of Object.entries(documented.headers ?? {}))
      if (required && response.headers[header.toLowerCase()] === undefined)
        problems.push(`required header ${header} missing`);
    const media = Object.keys(documented.content ?? {});
    if (media.length === 0 || response.method === 'HEAD') return problems;
    const type = media.find((name) => response.contentType?.startsWith(name));
    if (!type) return [...problems, `content type ${response.contentType} is not one of ${media.join(', ')}`];
    const schemaPointer = pointer(
      'paths',
      template,
      response.method.toLowerCase(),
      'responses',
      key,
      'content',
      type,
      'schema',
    );
    return [...problems, ...this.bodyProblems(response, schemaPointer)];
  }

  private bodyProblems(response: RecordedResponse, schemaPointer: string): string[] {
    let validate = this.validators.get(schemaPointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi${schemaPointer}` });
      this.validators.set(schemaPointer, validate);
    }
    if (validate(response.body)) return [];
    return (validate.errors ?? []).map(
      (error) =>
        `body${error.instancePath} ${error.message}` +
        (error.keyword === 'additionalProperties' ? ` (${JSON.stringify(error.params)})` : ''),
    );
  }
}
