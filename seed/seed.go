// Package seed loads demo data for `make run`, so the playground shows something on first run.
// It is idempotent: members that already exist are left alone.
package seed

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// DemoPassword is the password of every demo member (printed by `make run`).
const DemoPassword = "swap-skills-2026!"

type member struct {
	email, name string
	roles       []domain.Role
	profile     place
	offers      []skill // slug and level
	wants       []skill
}

type place struct {
	tz, city, country string
	lat, lon          float64
	langs             []string
	mode              domain.Mode
	slots             []domain.AvailabilitySlot // weekday, start, end minutes
}

type skill struct {
	slug  string
	level domain.Level
}

func evenings(days ...int) []domain.AvailabilitySlot {
	var out []domain.AvailabilitySlot
	for _, d := range days {
		out = append(out, domain.AvailabilitySlot{Weekday: d, StartMinute: 18 * 60, EndMinute: 21 * 60})
	}
	return out
}

var (
	paris  = place{"Europe/Paris", "Paris", "FR", 48.8566, 2.3522, []string{"fr", "en"}, domain.ModeBoth, evenings(1, 3, 5)}
	lyon   = place{"Europe/Paris", "Lyon", "FR", 45.7640, 4.8357, []string{"fr"}, domain.ModeInPerson, evenings(2, 4)}
	tokyo  = place{"Asia/Tokyo", "Tokyo", "JP", 35.6762, 139.6503, []string{"ja", "en"}, domain.ModeOnline, evenings(1, 2, 6)}
	madrid = place{"Europe/Madrid", "Madrid", "ES", 40.4168, -3.7038, []string{"es", "en", "fr"}, domain.ModeBoth, evenings(1, 3)}
	berlin = place{"Europe/Berlin", "Berlin", "DE", 52.5200, 13.4050, []string{"de", "en"}, domain.ModeOnline, evenings(2, 3, 7)}
	dakar  = place{"Africa/Dakar", "Dakar", "SN", 14.7167, -17.4677, []string{"fr", "wo", "en"}, domain.ModeOnline, evenings(1, 5)}
	lagos  = place{"Africa/Lagos", "Lagos", "NG", 6.5244, 3.3792, []string{"en", "yo"}, domain.ModeOnline, evenings(2, 4, 6)}
	nyc    = place{"America/New_York", "New York", "US", 40.7128, -74.0060, []string{"en", "he"}, domain.ModeOnline, evenings(1, 2, 3)}
)

var members = []member{
	{"admin@demo.skillswap.local", "Ada Admin", []domain.Role{domain.RoleAdmin}, paris,
		[]skill{{"python", domain.LevelExpert}}, []skill{{"piano", domain.LevelBeginner}}},
	{"moderator@demo.skillswap.local", "Moe Moderator", []domain.Role{domain.RoleModerator}, lyon,
		[]skill{{"french-cuisine", domain.LevelAdvanced}}, []skill{{"photography", domain.LevelIntermediate}}},
	{"support@demo.skillswap.local", "Sam Support", []domain.Role{domain.RoleSupport}, nyc,
		[]skill{{"english", domain.LevelExpert}}, []skill{{"french", domain.LevelIntermediate}}},
	{"camille@demo.skillswap.local", "Camille Laurent", []domain.Role{domain.RoleMentor}, paris,
		[]skill{{"french", domain.LevelExpert}, {"guitar", domain.LevelAdvanced}}, []skill{{"japanese", domain.LevelBeginner}}},
	{"lucas@demo.skillswap.local", "Lucas Martin", nil, lyon,
		[]skill{{"electric-guitar", domain.LevelExpert}, {"pastry", domain.LevelIntermediate}}, []skill{{"python", domain.LevelIntermediate}}},
	{"amina@demo.skillswap.local", "Amina Diallo", nil, dakar,
		[]skill{{"french", domain.LevelExpert}, {"sewing", domain.LevelAdvanced}}, []skill{{"web-development", domain.LevelBeginner}}},
	{"kenji@demo.skillswap.local", "Kenji Sato", []domain.Role{domain.RoleMentor}, tokyo,
		[]skill{{"japanese", domain.LevelExpert}, {"javascript", domain.LevelAdvanced}}, []skill{{"french", domain.LevelIntermediate}}},
	{"sofia@demo.skillswap.local", "Sofía García", nil, madrid,
		[]skill{{"spanish", domain.LevelExpert}, {"salsa", domain.LevelAdvanced}}, []skill{{"guitar", domain.LevelBeginner}}},
	{"noah@demo.skillswap.local", "Noah Schmidt", nil, berlin,
		[]skill{{"german", domain.LevelExpert}, {"climbing", domain.LevelIntermediate}}, []skill{{"spanish", domain.LevelBeginner}}},
	{"ines@demo.skillswap.local", "Inès Moreau", nil, paris,
		[]skill{{"watercolor", domain.LevelAdvanced}, {"yoga", domain.LevelIntermediate}}, []skill{{"german", domain.LevelBeginner}}},
	{"olu@demo.skillswap.local", "Olúwáseun Adébáyọ̀", nil, lagos,
		[]skill{{"web-development", domain.LevelExpert}, {"react", domain.LevelAdvanced}}, []skill{{"sewing", domain.LevelBeginner}}},
	{"maya@demo.skillswap.local", "Maya Cohen", nil, nyc,
		[]skill{{"piano", domain.LevelExpert}, {"chess", domain.LevelAdvanced}}, []skill{{"watercolor", domain.LevelIntermediate}}},
}

// Run creates the demo members that do not exist yet and returns how many it created. They have
// accepted legal, the current versions of the terms and privacy policy, so they can message and
// book at once (seed.Chat has them talk).
func Run(ctx context.Context, st *store.Store, hasher *auth.Hasher, legal domain.LegalVersions, log *slog.Logger) (int, error) {
	hash, err := hasher.Hash(ctx, DemoPassword)
	if err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	created := 0
	for i, m := range members {
		_, err := st.Q().UserByEmail(ctx, m.email)
		if err == nil {
			continue
		}
		if !domain.IsKind(err, domain.KindNotFound) {
			return created, fmt.Errorf("seed: look up %s: %w", m.email, err)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return created, fmt.Errorf("seed: id: %w", err)
		}
		err = st.InTx(ctx, func(q *store.Queries) error {
			return createMember(ctx, q, id, hash, m, legal, time.Now().UTC().Add(time.Duration(i)*time.Millisecond))
		})
		if err != nil && !domain.IsKind(err, domain.KindConflict) {
			return created, fmt.Errorf("seed: create %s: %w", m.email, err)
		}
		created++
	}
	log.Info("demo data loaded", "members_created", created, "members_total", len(members))
	return created, nil
}

// demoHourlyPriceMinor is the demo mentors' hourly price (35.00 EUR).
const demoHourlyPriceMinor = 3500

// createMember writes one demo member with their profile, availability and skills.
func createMember(ctx context.Context, q *store.Queries, id uuid.UUID, hash string, m member, legal domain.LegalVersions, at time.Time) error {
	if _, err := q.CreateUser(ctx, domain.User{
		ID: id, Email: m.email, PasswordHash: hash, DisplayName: m.name,
		Roles: domain.NormalizeRoles(m.roles), Status: domain.UserActive, CreatedAt: at,
		EmailVerifiedAt: &at, // demo members can message and book at once
	}); err != nil {
		return err
	}
	var consents []domain.Consent
	for _, d := range []domain.LegalDocument{domain.DocTerms, domain.DocPrivacyPolicy} {
		if v := legal.Current(d); v != "" {
			consents = append(consents, domain.Consent{ID: uuid.Must(uuid.NewV7()), UserID: id, Document: d, Version: v,
				Granted: true, Source: domain.ConsentSignUp, CreatedAt: at})
		}
	}
	if len(consents) > 0 {
		if _, err := q.RecordConsents(ctx, id, consents); err != nil {
			return err
		}
	}
	if err := demoSignIns(ctx, q, id, at); err != nil {
		return err
	}
	// Their phone, registered for push (viewer pushDevices); nothing is sent without EXPO_PUSH_URL.
	// A French phone: its pushes are written in French (push_devices.lang), whatever the profile.
	locale, lang := "fr-FR", "fr"
	if _, err := q.RegisterPushDevice(ctx, domain.PushDevice{ID: uuid.Must(uuid.NewV7()), UserID: id,
		Token: "ExponentPushToken[demo-" + id.String() + "]", Platform: domain.PushIOS, Locale: &locale, Lang: &lang,
		CreatedAt: at, LastRegisteredAt: at}, 10); err != nil {
		return fmt.Errorf("demo push device: %w", err)
	}
	// Quiet hours at night in their zone (viewer quietHours).
	if _, err := q.SetQuietHours(ctx, id, domain.QuietHours{Enabled: true, StartMinute: 22 * 60, EndMinute: 7 * 60, UpdatedAt: at}); err != nil {
		return fmt.Errorf("demo quiet hours: %w", err)
	}
	// New messages in a weekly digest, Monday 08:00 in their zone (viewer digestSchedule,
	// notificationPreferences emailMode).
	digest, monday := true, time.Monday
	if _, err := q.UpsertNotificationPreference(ctx, id, domain.NotificationPreference{Type: domain.NotificationNewMessage,
		InApp: true, Email: true, Digest: &digest}, at); err != nil {
		return fmt.Errorf("demo digest preference: %w", err)
	}
	loc, err := time.LoadLocation(m.profile.tz)
	if err != nil {
		loc = time.UTC
	}
	if _, err := q.SetDigestSchedule(ctx, id, domain.DigestSchedule{Frequency: domain.DigestWeekly, Weekday: &monday, Minute: 8 * 60,
		NextAt: domain.NextDigest(domain.DigestWeekly, &monday, 8*60, loc, time.Now()), UpdatedAt: at}, false); err != nil {
		return fmt.Errorf("demo digest schedule: %w", err)
	}
	p := m.profile
	lat, lon, city, country := p.lat, p.lon, p.city, p.country
	if _, err := q.UpsertProfile(ctx, domain.Profile{
		UserID: id, Bio: "Demo member: " + m.name + ".", Languages: p.langs, TimeZone: p.tz,
		City: &city, Country: &country, Latitude: &lat, Longitude: &lon, Mode: p.mode,
		Visibility: domain.VisibilityMembers, UpdatedAt: at,
	}); err != nil {
		return err
	}
	if err := q.ReplaceSlots(ctx, id, p.slots); err != nil {
		return err
	}
	add := func(list []skill, kind domain.SkillKind) error {
		for _, sk := range list {
			s, err := q.SkillBySlug(ctx, sk.slug)
			if err != nil {
				return fmt.Errorf("skill %s: %w", sk.slug, err)
			}
			if _, err := q.InsertMemberSkill(ctx, domain.MemberSkill{
				UserID: id, SkillID: s.ID, Kind: kind, Level: sk.level, Description: "", CreatedAt: at,
			}); err != nil {
				return err
			}
			// Demo mentors price what they teach, so `hourlyPrice` shows something; booking
			// for pay still needs Stripe (STRIPE_SECRET_KEY and onboarding).
			if kind == domain.Offer && slices.Contains(m.roles, domain.RoleMentor) {
				if _, err := q.UpsertMentorPrice(ctx, domain.MentorPrice{
					UserID: id, SkillID: s.ID, AmountMinor: demoHourlyPriceMinor, Currency: "EUR", UpdatedAt: at,
				}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := add(m.offers, domain.Offer); err != nil {
		return err
	}
	return add(m.wants, domain.Want)
}

// demoSignIns gives a demo member a short sign-in history (viewer.security.recentSignIns): their
// laptop two days ago, their phone yesterday, and a failed password from a network they never use.
func demoSignIns(ctx context.Context, q *store.Queries, userID uuid.UUID, at time.Time) error {
	for _, e := range []struct {
		ago     time.Duration
		failure domain.SignInFailure
		network string
		agent   string
	}{
		{48 * time.Hour, "", "192.0.2.0/24", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"},
		{26 * time.Hour, domain.SignInWrongPassword, "198.51.100.0/24", "python-requests/2.32"},
		{20 * time.Hour, "", "2001:db8:42::/48", "SkillSwap/1.4 (iPhone; iOS 18.1)"},
	} {
		if err := q.InsertSignInEvent(ctx, domain.SignInEvent{
			ID: uuid.Must(uuid.NewV7()), UserID: userID, At: at.Add(-e.ago), Method: domain.SignInPassword,
			Failure: e.failure, Network: netip.MustParsePrefix(e.network), UserAgent: e.agent,
		}); err != nil {
			return fmt.Errorf("demo sign-ins: %w", err)
		}
	}
	return nil
}
