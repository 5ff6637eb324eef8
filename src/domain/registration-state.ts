/**
 * THE lifecycle of a registration record (SPEC §4): its states, what each state means for the
 * rest of the service, and every transition any code may make. Everything else is derived from
 * this file: the active-email index (`db/schema/registrations.ts`), the repository's state lists,
 * the transition check in `RegistrationsRepository.transition`, the API's state schemas and the
 * diagram in docs/registration-saga.md (kept in step by test/guards/registration-lifecycle.test.ts).
 *
 * One record type serves three kinds of durable work, so one lease, one sweep, one event log and
 * one operator's listing cover all of them:
 * - `register`: the step function (`POST /api/step/users`): IdP user, then profile and grants;
 * - `identity`: phase 1 alone (`POST /api/users`): IdP user, then profile, no grants;
 * - `delete`: `DELETE /api/users/{id}` once its database side committed: the IdP delete.
 */
export type RegistrationKind = 'register' | 'identity' | 'delete'

export const registrationKinds: readonly RegistrationKind[] = ['register', 'identity', 'delete']

interface StateRule {
  /** The service itself still has work in it: a job or the recovery sweep picks it up. */
  workable: boolean
  /** Holds its email's slot in the unique index: no second record for the email meanwhile. */
  holdsEmail: boolean
  /** No further transition happens, not even by a person. */
  final: boolean
}

const open = { workable: true, holdsEmail: true, final: false } as const
const closed = { workable: false, holdsEmail: false, final: true } as const

export const lifecycle = {
  pending: open,
  identity_created: open,
  compensating: open,
  deleting: open,
  /** Only a person moves it on; it keeps the email, since whatever was created may still exist. */
  needs_attention: { workable: false, holdsEmail: true, final: false },
  completed: closed,
  rolled_back: closed,
  failed: closed,
  deleted: closed,
} as const satisfies Record<string, StateRule>

export type RegistrationState = keyof typeof lifecycle

export const registrationStates = Object.keys(lifecycle) as RegistrationState[]

const statesWhere = (rule: keyof StateRule) =>
  registrationStates.filter((state) => lifecycle[state][rule] === true)

export const workableStates: readonly RegistrationState[] = statesWhere('workable')
/** The states in which a record holds its email's slot (the partial unique index's condition). */
export const activeStates: readonly RegistrationState[] = statesWhere('holdsEmail')
export const finalStates: readonly RegistrationState[] = statesWhere('final')

export const isFinal = (state: RegistrationState): boolean => lifecycle[state].final
export const isWorkable = (state: RegistrationState): boolean => lifecycle[state].workable

export interface TransitionRule {
  /** `null`: the record is written in `to` (its first event). */
  from: RegistrationState | null
  to: RegistrationState
  kinds: readonly RegistrationKind[]
  /** What makes it, for the diagram. */
  why: string
}

const creating: readonly RegistrationKind[] = ['register', 'identity']

/**
 * Every transition there is. `from === to` is progress without a change of state (an attempt, a
 * failure counted). `RegistrationsRepository.transition` refuses anything not listed here.
 */
export const transitions: readonly TransitionRule[] = [
  { from: null, to: 'pending', kinds: creating, why: 'recorded before any IdP call' },
  { from: 'pending', to: 'pending', kinds: creating, why: 'create attempted / transient IdP failure' },
  { from: 'pending', to: 'identity_created', kinds: creating, why: 'IdP user created or adopted' },
  { from: 'pending', to: 'failed', kinds: creating, why: 'email exists / rejected / definitive' },
  { from: 'pending', to: 'compensating', kinds: creating, why: 'abandoned: remove the adopted user' },
  { from: 'identity_created', to: 'identity_created', kinds: creating, why: 'transient database failure' },
  { from: 'identity_created', to: 'completed', kinds: creating, why: 'profile (and grants) committed' },
  { from: 'identity_created', to: 'compensating', kinds: creating, why: 'definitive failure / abandoned' },
  { from: 'compensating', to: 'compensating', kinds: creating, why: 'compensation failed, retried' },
  { from: 'compensating', to: 'rolled_back', kinds: creating, why: 'DB side, then IdP delete' },
  { from: 'compensating', to: 'needs_attention', kinds: creating, why: 'compensation budget spent' },
  { from: 'needs_attention', to: 'compensating', kinds: creating, why: 'operator retry / abandon' },
  { from: null, to: 'deleting', kinds: ['delete'], why: 'recorded with the database side' },
  { from: 'deleting', to: 'deleting', kinds: ['delete'], why: 'IdP delete failed, retried' },
  { from: 'deleting', to: 'deleted', kinds: ['delete'], why: 'IdP user deleted (or already gone)' },
  { from: 'deleting', to: 'failed', kinds: ['delete'], why: 'the IdP refused definitively' },
  { from: 'deleting', to: 'needs_attention', kinds: ['delete'], why: 'retry budget spent' },
  { from: 'needs_attention', to: 'deleting', kinds: ['delete'], why: 'operator retry' },
]

export const isAllowedTransition = (
  kind: RegistrationKind,
  from: RegistrationState | null,
  to: RegistrationState,
): boolean => transitions.some((rule) => rule.from === from && rule.to === to && rule.kinds.includes(kind))

/** The state a record of this kind is written in. */
export const initialStateOf = (kind: RegistrationKind): RegistrationState =>
  kind === 'delete' ? 'deleting' : 'pending'

/** The SQL condition of the active-email index, from `activeStates`. */
export const activeStatesCondition = (): string =>
  `state IN (${activeStates.map((state) => `'${state}'`).join(', ')})`

/** The Mermaid state diagram of docs/registration-saga.md, from `transitions`. */
export const lifecycleDiagram = (): string =>
  [
    'stateDiagram-v2',
    ...transitions.map(
      (rule) =>
        `  ${rule.from ?? '[*]'} --> ${rule.to}: ${rule.why}${rule.kinds.length === registrationKinds.length ? '' : ` (${rule.kinds.join(', ')})`}`,
    ),
    ...finalStates.map((state) => `  ${state} --> [*]`),
  ].join('\n')
