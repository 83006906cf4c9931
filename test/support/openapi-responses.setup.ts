import { type Document, ResponseChecker } from './openapi-response-checker';
import { openApi, recordedResponses } from './response-recorder';

/**
 * After each integration test file: every response its test apps gave (createTestApp().http, recorded by
 * response-recorder.ts) must be as the OpenAPI document says. A failure fails the file, naming each response.
 */
afterAll(() => {
  if (recordedResponses.length === 0) return;
  if (!openApi.document) throw new Error('responses were recorded but no OpenAPI document was fetched');
  const checker = new ResponseChecker(openApi.document as Document);
  const failures = recordedResponses.flatMap((response) =>
    checker
      .problems(response)
      .map(
        (problem) =>
          `${response.method} ${response.path} → ${response.status} (${response.test ?? 'hooks'}): ${problem}`,
      ),
  );
  recordedResponses.length = 0;
  if (failures.length > 0)
    throw new Error(`responses not as /docs-json documents them:\n${[...new Set(failures)].join('\n')}`);
});
