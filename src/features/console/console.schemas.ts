import { Type } from 'typebox'

export const ConsoleSessionBody = Type.Object(
  {
    code: Type.String({
      pattern: '^[A-Za-z0-9_-]{16,128}$',
      description: 'the code of a one-time console link',
    }),
  },
  { additionalProperties: false },
)

/** An OAuth-style token answer, so the page handles this and Cognito's token endpoint alike. */
export const ConsoleSessionResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  email: Type.String(),
})

/** What the page needs to know to sign in: the backend, and the Hosted UI when COGNITO_DOMAIN is set. */
export const ConsoleConfigResponse = Type.Object({
  backend: Type.String(),
  hostedUi: Type.Union([Type.Object({ domain: Type.String(), clientId: Type.String() }), Type.Null()]),
})

export const ConsoleAssetParams = Type.Object({ asset: Type.String({ maxLength: 64 }) })
