import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** A public signing key (RFC 7517); which members it has depends on `kty`. */
export class JwkDto {
  @ApiProperty({ enum: ['EC', 'RSA', 'OKP'], example: 'EC', description: 'Key type' }) kty: string;
  @ApiProperty({
    example: 'nD3ugC0a2BpJ7mVhZxw1t6cQy8kF5sLrE4oWjT9uHiA',
    description: 'Key id: the `kid` header of the tokens this key signed (RFC 7638 thumbprint unless configured)',
  })
  kid: string;
  @ApiProperty({ enum: ['ES256', 'RS256', 'EdDSA'], example: 'ES256' }) alg: string;
  @ApiProperty({ enum: ['sig'], example: 'sig' }) use: 'sig';
  @ApiPropertyOptional({ enum: ['P-256', 'Ed25519'], example: 'P-256', description: 'EC and OKP keys' }) crv?: string;
  @ApiPropertyOptional({ example: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', description: 'EC and OKP keys' })
  x?: string;
  @ApiPropertyOptional({ example: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', description: 'EC keys' }) y?: string;
  @ApiPropertyOptional({
    example: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPF…',
    description: 'RSA modulus',
  })
  n?: string;
  @ApiPropertyOptional({ example: 'AQAB', description: 'RSA exponent' }) e?: string;
}

/** The JSON Web Key Set of the access tokens; empty with JWT_ALGORITHM=HS256 (a secret is never published). */
export class JwksResponseDto {
  @ApiProperty({
    type: [JwkDto],
    description: 'Newest first: the first signs new tokens; the others verify tokens issued before a rotation',
    example: [
      {
        kty: 'EC',
        crv: 'P-256',
        x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
        y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
        kid: 'nD3ugC0a2BpJ7mVhZxw1t6cQy8kF5sLrE4oWjT9uHiA',
        alg: 'ES256',
        use: 'sig',
      },
    ],
  })
  keys: JwkDto[];
}
