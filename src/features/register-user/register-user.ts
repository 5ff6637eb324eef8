import { createHash } from 'node:crypto'
import type { Caller } from '../../auth/token-verifier.js'
import { isUniqueViolation } from '../../db/pg-errors.js'
import { normaliseEmail } from '../../domain/email.js'
import { appError } from '../../errors/error-catalogue.js'
import {
  createRegistrationsRepository,
  type Registration,
} from '../../repositories/registrations-repository.js'
import { resolveRoleGrants } from '../shared/resolve-role-grants.js'
import { advanceInline, type RecordDeps, recordingFailure, recordToAdvance } from './record-and-advance.js'
import { outcomeOf, type RegistrationOutcome } from './registration-outcome.js'

export interface RegisterUserInput {
  email: string
  name: string
  organisation: string
  roles: string[]
  trustId: string | null
}

export type RegisterUserDeps = RecordDeps

const hashOf = (input: RegisterUserInput): string =>
  createHash('sha256')
    .update(JSON.stringify([input.email, input.name, input.organisation, input.roles, input.trustId]))
    .digest('hex')

const replay = (registration: Registration, requestHash: string): RegistrationOutcome => {
  if (registration.requestHash !== requestHash) {
    throw appError(
      'registration.idempotency_mismatch',
      'This Idempotency-Key was already used with a different request body.',
      { extensions: { registrationId: registration.id } },
    )
  }
  return outcomeOf(registration)
}

/**
 * The register-user step function (SPEC §4). Validates roles before anything is written, records
 * the registration as `pending` before the IdP is called, then drives the saga.
 *
 * @throws BadRequest (invalid roles, Trust Admin rules, invalid email), NotFound (trust),
 *   Conflict (email registered or in flight), Unprocessable (Idempotency-Key reused with another
 *   body), Internal (FLIP's "User has been deleted" / "rollback also failed" / "Failed to register user")
 */
export const registerUser = async (
  deps: RegisterUserDeps,
  input: RegisterUserInput,
  caller: Caller,
  idempotencyKey: string | undefined,
): Promise<RegistrationOutcome> => {
  const registrations = createRegistrationsRepository(deps.db)
  const requestHash = hashOf(input)
  if (idempotencyKey !== undefined) {
    const earlier = await registrations.findByIdempotencyKey(caller.id, idempotencyKey)
    if (earlier) return replay(earlier, requestHash)
  }
  await resolveRoleGrants(deps.db, input.roles, input.trustId)

  let recorded: Awaited<ReturnType<typeof recordToAdvance>>
  try {
    recorded = await recordToAdvance(
      deps,
      {
        email: input.email.trim(),
        emailNormalised: normaliseEmail(input.email),
        name: input.name,
        organisation: input.organisation,
        roleIds: input.roles,
        trustId: input.trustId,
        requestedBy: caller.id,
        idempotencyKey: idempotencyKey ?? null,
        requestHash,
      },
      caller.id,
      'registration requested',
    )
  } catch (error) {
    if (idempotencyKey !== undefined && isUniqueViolation(error)) {
      // A concurrent request with the same key won the insert: answer as its replay. Which
      // unique index PostgreSQL names is not the key's to decide (it checks the active-email
      // index first, and the winner holds that too), so the key is looked up whichever fired.
      // The violation is raised only once the winner has committed, so this read sees it.
      const winner = await registrations.findByIdempotencyKey(caller.id, idempotencyKey)
      if (winner) return replay(winner, requestHash)
    }
    throw (
      (await recordingFailure(deps, error, {
        shown: input.email.trim(),
        normalised: normaliseEmail(input.email),
      })) ?? error
    )
  }
  return outcomeOf(await advanceInline(deps, recorded.registration, caller.id, recorded))
}
