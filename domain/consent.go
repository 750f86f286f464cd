package domain

import (
	"net/netip"
	"time"

	"github.com/google/uuid"
)

// LegalDocument is a document a member consents to.
type LegalDocument string

// The documents. TERMS and PRIVACY_POLICY have versions and gate member actions until the current
// version is accepted; MARKETING (marketing emails) is optional and has no version.
const (
	DocTerms         LegalDocument = "TERMS"
	DocPrivacyPolicy LegalDocument = "PRIVACY_POLICY"
	DocMarketing     LegalDocument = "MARKETING"
)

// ConsentSource says how a consent was given or withdrawn.
type ConsentSource string

// The sources of consents.
const (
	ConsentSignUp         ConsentSource = "SIGN_UP"
	ConsentProviderSignUp ConsentSource = "PROVIDER_SIGN_UP"
	ConsentSettings       ConsentSource = "SETTINGS"
	ConsentAPI            ConsentSource = "API"
)

// Consent is one consent given (Granted) or withdrawn, as recorded: the history is append-only.
type Consent struct {
	ID       uuid.UUID     `db:"id"`
	UserID   uuid.UUID     `db:"user_id"`
	Document LegalDocument `db:"document"`
	// Version is the document's version; empty for MARKETING.
	Version   string        `db:"version"`
	Granted   bool          `db:"granted"`
	Source    ConsentSource `db:"source"`
	IP        *netip.Addr   `db:"ip"`
	CreatedAt time.Time     `db:"created_at"`
}

// ReasonConsentRequired is extensions.reason of the FORBIDDEN answered to a gated action while
// the member has not accepted the current terms or privacy policy (viewer.consentRequired).
const ReasonConsentRequired = "CONSENT_REQUIRED"

// LegalVersions are the current versions of the terms and of the privacy policy
// (TERMS_VERSION, PRIVACY_POLICY_VERSION). An empty version is not required.
type LegalVersions struct {
	Terms         string
	PrivacyPolicy string
}

// Current returns doc's current version ("" for MARKETING and unset documents).
func (v LegalVersions) Current(doc LegalDocument) string {
	switch doc {
	case DocTerms:
		return v.Terms
	case DocPrivacyPolicy:
		return v.PrivacyPolicy
	}
	return ""
}

// Missing lists the documents whose current version u has not accepted, in a fixed order.
func (v LegalVersions) Missing(u User) []LegalDocument {
	missing := []LegalDocument{}
	if v.Terms != "" && deref(u.TermsVersion) != v.Terms {
		missing = append(missing, DocTerms)
	}
	if v.PrivacyPolicy != "" && deref(u.PrivacyVersion) != v.PrivacyPolicy {
		missing = append(missing, DocPrivacyPolicy)
	}
	return missing
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
