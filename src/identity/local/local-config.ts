/** Page size bounds mirror Cognito's ListUsers (at most 60 a page) so callers behave alike. */
export const LOCAL_MAX_PAGE_SIZE = 60
export const LOCAL_DEFAULT_PAGE_SIZE = 60
