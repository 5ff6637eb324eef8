/**
 * What a token must say to be accepted (SPEC §3 "Authentication"). Each identity adapter states
 * its own (`identity/<provider>/<provider>-token-rules.ts`); the one verifier here checks them.
 */
export interface TokenRules {
  issuer: string
  /** When set, `aud` must contain it. Cognito access tokens carry no `aud`. */
  audience?: string
  /** When set, `token_use` must equal it: Cognito ID tokens say `id` and are refused. */
  tokenUse?: 'access'
  /** When set, `client_id` must equal it: tokens for another app client are refused. */
  clientId?: string
  usernameClaim: string
}
