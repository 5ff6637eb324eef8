import { type Static, Type } from 'typebox'

/** Page size bounds mirror Cognito's ListUsers (at most 60 a page) so callers behave alike. */
export const LOCAL_MAX_PAGE_SIZE = 60
export const LOCAL_DEFAULT_PAGE_SIZE = 60

/** The variables only `local` reads (SPEC §2). */
export const LocalEnvironment = Type.Object({
  LOCAL_TOKEN_ISSUER: Type.Optional(Type.String({ minLength: 1, description: 'a token issuer' })),
})
export type LocalEnvironment = Static<typeof LocalEnvironment>

/** AUTH_BACKEND=local: identities in the service's own database, tokens it signs itself. */
export interface LocalConfig {
  /** The `iss` of the tokens the service signs and accepts. */
  tokenIssuer: string
}

/** Reads `local`'s settings; it has nothing required, so it never adds a problem. */
export const parseLocalConfig = (env: LocalEnvironment, _problems: string[]): LocalConfig => ({
  tokenIssuer: env.LOCAL_TOKEN_ISSUER ?? 'flip-users',
})
