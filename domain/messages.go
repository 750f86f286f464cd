package domain

// The error messages that have their text in the API's catalogues (package i18n, ids
// "error.<id>"), in French and English: the error presenter answers them in the requester's
// language. The others are translated from their English text (Error.Format, i18n's error
// catalogue locales/errors.fr.json); see docs/i18n.md for which level to use.
// Add a constant here, to MessageIDs, and to both catalogues (i18n's catalogue test and
// TestMessageIDsListsEveryConstant fail otherwise).
const (
	// MsgNotFound: "<entity> not found" ({{.Entity}}).
	MsgNotFound MessageID = "notFound"
	// MsgNotFoundAny: "not found", for the store's ErrNotFound.
	MsgNotFoundAny MessageID = "notFoundAny"
	// MsgRateLimited: too many attempts.
	MsgRateLimited MessageID = "rateLimited"
	// MsgAuthenticationRequired: the operation needs a signed-in member.
	MsgAuthenticationRequired MessageID = "authenticationRequired"
	// MsgRoleRequired: a staff role is missing ({{.Role}}).
	MsgRoleRequired MessageID = "roleRequired"
	// MsgSecondFactorRequired: staff must enable two-factor sign-in first.
	MsgSecondFactorRequired MessageID = "secondFactorRequired"
	// MsgBadCredentials: wrong email or password.
	MsgBadCredentials MessageID = "badCredentials"
	// MsgAccessTokenExpired: refresh the access token.
	MsgAccessTokenExpired MessageID = "accessTokenExpired"
	// MsgAccessTokenInvalid: the access token does not verify.
	MsgAccessTokenInvalid MessageID = "accessTokenInvalid"
	// MsgSessionEnded: the login session was ended.
	MsgSessionEnded MessageID = "sessionEnded"
	// MsgRefreshInvalid: the refresh token is invalid, expired or revoked.
	MsgRefreshInvalid MessageID = "refreshInvalid"
)

// MessageIDs lists every MessageID constant.
var MessageIDs = []MessageID{
	MsgNotFound, MsgNotFoundAny, MsgRateLimited, MsgAuthenticationRequired, MsgRoleRequired,
	MsgSecondFactorRequired, MsgBadCredentials, MsgAccessTokenExpired, MsgAccessTokenInvalid,
	MsgSessionEnded, MsgRefreshInvalid,
}

// ErrAuthenticationRequired is the UNAUTHENTICATED error of an operation that needs a signed-in
// member; a new error each time, since the error presenter may annotate it.
func ErrAuthenticationRequired() *Error {
	return Unauthenticated("authentication required").WithMessage(MsgAuthenticationRequired, nil)
}
