package auth

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// Consent to the terms and the privacy policy, and to marketing emails.
//
// The current versions are configuration (TERMS_VERSION, PRIVACY_POLICY_VERSION). Accepting
// them is optional at sign-up, so clients published before consent existed keep working: an
// account created without them is created, but viewer.consentRequired lists what is missing and
// the gated actions (domain.UnverifiedPolicy: messaging and booking, paid sessions included)
// answer FORBIDDEN with reason CONSENT_REQUIRED until acceptPolicies. Publishing a new version
// does the same to every member. Every consent given or withdrawn is appended to a history
// (time, version, source, client address); the account keeps the versions accepted last, which
// the gate reads with the account at no extra cost.

// Consent is what a member agrees to when their account is created; empty fields agree to
// nothing.
type Consent struct {
	// TermsVersion and PrivacyPolicyVersion are the versions accepted; each must be the current one.
	TermsVersion         string
	PrivacyPolicyVersion string
	// Marketing, when set, records the member's choice about marketing emails.
	Marketing *bool
}

// maxVersionLen bounds a document version (the column's CHECK).
const maxVersionLen = 64

// LegalVersions returns the current versions of the terms and of the privacy policy.
func (s *Service) LegalVersions() domain.LegalVersions { return s.cfg.Legal }

// ConsentRequired lists the documents whose current version u has not accepted.
func (s *Service) ConsentRequired(u domain.User) []domain.LegalDocument {
	return s.cfg.Legal.Missing(u)
}

// consentRows turns c into history rows, refusing versions that are not the current ones (the
// member must have been shown what they accept). fieldPrefix prefixes the fields named in errors.
func (s *Service) consentRows(c Consent, source domain.ConsentSource, ip netip.Addr, now time.Time, fieldPrefix string) ([]domain.Consent, error) {
	var rows []domain.Consent
	var addr *netip.Addr
	if ip.IsValid() {
		addr = &ip
	}
	add := func(doc domain.LegalDocument, version string, granted bool) {
		rows = append(rows, domain.Consent{ID: uuid.Must(uuid.NewV7()), Document: doc, Version: version,
			Granted: granted, Source: source, IP: addr, CreatedAt: now})
	}
	for _, d := range []struct {
		doc     domain.LegalDocument
		field   string
		version string
	}{
		{domain.DocTerms, "termsVersion", c.TermsVersion},
		{domain.DocPrivacyPolicy, "privacyPolicyVersion", c.PrivacyPolicyVersion},
	} {
		v := strings.TrimSpace(d.version)
		if v == "" {
			continue
		}
		cur := s.cfg.Legal.Current(d.doc)
		if len(v) > maxVersionLen || (cur != "" && v != cur) {
			e := domain.Invalid(fieldPrefix+d.field, "is not the current version (%q): show the member the current document", cur)
			e.Details = map[string]any{"currentVersion": cur}
			return nil, e
		}
		add(d.doc, v, true)
	}
	if c.Marketing != nil {
		add(domain.DocMarketing, "", *c.Marketing)
	}
	return rows, nil
}

// recordConsents stores rows for u in q's transaction and returns the account as it is then.
func recordConsents(ctx context.Context, q *store.Queries, u domain.User, rows []domain.Consent) (domain.User, error) {
	if len(rows) == 0 {
		return u, nil
	}
	for i := range rows {
		rows[i].UserID = u.ID
	}
	return q.RecordConsents(ctx, u.ID, rows)
}

// ConsentSourceOrAPI is the source of a consent given through the API's mutations: what the
// client says (SETTINGS from the app's settings screen), API otherwise.
func ConsentSourceOrAPI(s *domain.ConsentSource) (domain.ConsentSource, error) {
	if s == nil {
		return domain.ConsentAPI, nil
	}
	switch *s {
	case domain.ConsentSettings, domain.ConsentAPI:
		return *s, nil
	}
	return "", domain.Invalid("source", "must be SETTINGS or API (sign-up sources are recorded by the sign-up itself)")
}

// AcceptPolicies records that the actor accepted the current terms and/or privacy policy (at
// least one version given; each must be the current one) and returns their account, which the
// gate then sees at once (the cached session is dropped).
func (s *Service) AcceptPolicies(ctx context.Context, actor domain.Actor, termsVersion, privacyVersion string, source domain.ConsentSource, c Client) (domain.User, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.User{}, err
	}
	if strings.TrimSpace(termsVersion) == "" && strings.TrimSpace(privacyVersion) == "" {
		return domain.User{}, domain.Invalid("termsVersion", "give the version of the terms and/or of the privacy policy accepted")
	}
	rows, err := s.consentRows(Consent{TermsVersion: termsVersion, PrivacyPolicyVersion: privacyVersion}, source, c.IP, s.now(), "")
	if err != nil {
		return domain.User{}, err
	}
	return s.saveConsents(ctx, actor.ID(), rows, "accept policies")
}

// SetMarketingConsent records the actor's choice about marketing emails (granted or withdrawn).
func (s *Service) SetMarketingConsent(ctx context.Context, actor domain.Actor, granted bool, source domain.ConsentSource, c Client) (domain.User, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.User{}, err
	}
	rows, err := s.consentRows(Consent{Marketing: &granted}, source, c.IP, s.now(), "")
	if err != nil {
		return domain.User{}, err
	}
	return s.saveConsents(ctx, actor.ID(), rows, "set marketing consent")
}

func (s *Service) saveConsents(ctx context.Context, userID uuid.UUID, rows []domain.Consent, what string) (domain.User, error) {
	var u domain.User
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		for i := range rows {
			rows[i].UserID = userID
		}
		var err error
		if u, err = q.RecordConsents(ctx, userID, rows); err != nil {
			return err
		}
		q.AfterCommit(ctx, func(ctx context.Context) { s.publishUserChanged(ctx, userID) })
		return nil
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("%s: %w", what, err)
	}
	return u, nil
}

// MaxConsentsListed bounds User.consents.
const MaxConsentsListed = 100

// ListConsents returns a member's consent history, newest first; only the member themselves may
// read it.
func (s *Service) ListConsents(ctx context.Context, actor domain.Actor, userID uuid.UUID, limit int) ([]domain.Consent, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	if actor.ID() != userID {
		return nil, domain.Forbidden("only the member themselves can see their consents")
	}
	if limit < 1 || limit > MaxConsentsListed {
		return nil, domain.Invalid("first", "must be between 1 and %d", MaxConsentsListed)
	}
	cs, err := s.store.Q().ListConsents(ctx, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("list consents: %w", err)
	}
	return cs, nil
}
