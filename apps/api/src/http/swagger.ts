import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ErrorResponseDto } from '@app/common';

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
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponseDto] });
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
