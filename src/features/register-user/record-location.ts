import type { RegistrationKind } from '../../domain/registration-state.js'

/** Where a record's state is read: the registrations' route, or the deletions' beside it. */
export const recordLocation = (record: { id: string; kind: RegistrationKind }): string =>
  record.kind === 'delete' ? `/api/users/deletions/${record.id}` : `/api/step/users/${record.id}`
