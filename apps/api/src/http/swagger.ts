import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ErrorResponseDto } from '@app/common';
import { ADMIN_KEY_SECURITY } from '../admin/admin-key.guard';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Operations without a security requirement (no @ApiBearerAuth) are public: say so with `security: []`,
 * so that a reader never wonders whether a requirement was forgotten.
 */
function declarePublicOperations(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation && !operation.security) operation.security = [];
    }
  }
}

/** Swagger UI at /docs, OpenAPI JSON at /docs-json. */
export function setUpSwagger(app: INestApplication, appName: string): void {
  const config = new DocumentBuilder()
    .setTitle(`${appName} API`)
    .setDescription(
      'Phone-number login with one-time SMS codes. Flow: POST /api/v1/sms-auth/send-code → read the code ' +
        '(in development it is printed to the server console) → POST /api/v1/sms-auth/verify-code → use access_token ' +
        'as a bearer token; trade refresh_token at POST /api/v1/auth/refresh. Every error is ' +
        '`{success:false, error:{code, message, …}}` with a stable code.',
    )
    .setVersion('1.0')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'access_token from verify-code or refresh',
    })
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_API_KEY' }, ADMIN_KEY_SECURITY)
    .addServer('/', 'This server (the paths carry the /api/v1 prefix)')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponseDto] });
  declarePublicOperations(document);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
