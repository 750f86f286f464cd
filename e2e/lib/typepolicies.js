// The InMemoryCache typePolicies recommended to the apps (e2e/README.md shows the same list):
// every object type with an `id` is normalised by Apollo's default `__typename:id`; the types
// below have no id (values, or parts of exactly one parent) and are kept inside their parent.
// The schema test resolvers/ids_test.go (idLess) lists the same types with the reason of each.

/** Parts of exactly one parent object (one each): merged field by field into the parent's. */
export const PART_TYPES = [
  'Profile', 'MemberRating', 'SessionCancellation', 'SessionProblem', 'SessionNoShow',
  'SessionReviewState', 'MemberSearchFacets', 'PageInfo', 'AccountSecurity',
];

/** Values and list items without identity: replaced whole when their parent field is written. */
export const VALUE_TYPES = [
  'Money', 'GeoPoint', 'AvailabilitySlot', 'MatchReason', 'SwapCircle', 'SwapCircleEdge',
  'CategoryFacet', 'LevelFacet', 'LanguageFacet', 'ModeFacet', 'SessionWarning',
  'ConversationEvent', 'TypingEvent', 'LinkedProvider', 'SignInEvent', 'LegalDocuments',
  'AuditEntry', 'ProductKpis', 'KpiTargets', 'KpiCohort', 'NpsScore', 'NotificationEmailStatus',
];

/** typePolicies for `new InMemoryCache({ typePolicies })`. */
export const typePolicies = {
  ...Object.fromEntries(PART_TYPES.map((t) => [t, { keyFields: false, merge: true }])),
  ...Object.fromEntries(VALUE_TYPES.map((t) => [t, { keyFields: false }])),
};
