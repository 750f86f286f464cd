package notifications_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/store"
)

// TestWelcomeEmailIsInTheMembersLanguage: a member who signs up from a French browser
// (Accept-Language fr-CA) gets the welcome email in French, through the real SMTP sink; one
// from a German browser, in English.
func TestWelcomeEmailIsInTheMembersLanguage(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	box := apitest.WithMail(t, &cfg)
	srv := apitest.Start(t, cfg)
	for _, tc := range []struct{ accept, lang, subject, greeting, body string }{
		{"fr-CA,fr;q=0.9", "fr", "Bienvenue sur SkillSwap", "Bonjour Élodie,", "Ajoutez les compétences"},
		{"de-DE", "en", "Welcome to SkillSwap", "Hello Élodie,", "Add the skills you offer"},
	} {
		email := "welcome-" + tc.lang + "-" + uuid.NewString() + "@example.com"
		c := srv.Client()
		c.Header.Set("Accept-Language", tc.accept)
		apitest.Must(t, c.Do(t, `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken } }`, map[string]any{
			"in": map[string]any{"email": email, "password": apitest.StrongPassword, "displayName": "Élodie"}}))
		m := box.Next(t, email, tc.subject)
		if m.Language != tc.lang || !strings.Contains(m.Text, tc.greeting) || !strings.Contains(m.Text, tc.body) {
			t.Errorf("%s: language %q, text:\n%s", tc.accept, m.Language, m.Text)
		}
	}
}

// TestErrorMessagesInTheRequestersLanguage: the same error, asked in French and in English, has
// the same extensions (code, field) and a message in each language; the member's profile locale
// beats the request's Accept-Language.
func TestErrorMessagesInTheRequestersLanguage(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	_, _, frMember := member(t, srv, "Zoe", domain.LocaleFR)
	_, _, enMember := member(t, srv, "Ann", domain.LocaleEN)
	frMember.Header.Set("Accept-Language", "en-US,en;q=0.9")
	anonFR, anonEN := srv.Client(), srv.Client()
	anonFR.Header.Set("Accept-Language", "fr-CA")
	anonEN.Header.Set("Accept-Language", "de")

	const register = `mutation { registerPushDevice(input: {token: "nope", platform: IOS}) { device { id } } }`
	cases := []struct {
		name, query string
		fr, en      *apitest.Client
		code        string
		frMsg       string
		enMsg       string
	}{
		{"signed out", `{ notificationPreferences { type } }`, anonFR, anonEN, "UNAUTHENTICATED", "connexion requise", "authentication required"},
		{"staff only (profile beats header)", `{ users(first: 1) { edges { cursor } } }`, frMember, enMember, "FORBIDDEN", "le rôle SUPPORT est requis", "requires the SUPPORT role"},
		{"refused input, translated from its English text", register, frMember, enMember, "BAD_USER_INPUT",
			"doit être un jeton de notification Expo (ExponentPushToken[...])", "must be an Expo push token (ExponentPushToken[...])"},
	}
	for _, tc := range cases {
		fr, en := tc.fr.Do(t, tc.query, nil), tc.en.Do(t, tc.query, nil)
		if fr.Code() != tc.code || en.Code() != tc.code {
			t.Fatalf("%s: codes %s / %s, want %s\n%s\n%s", tc.name, fr.Code(), en.Code(), tc.code, fr.Raw, en.Raw)
		}
		frErr, enErr := firstError(t, fr), firstError(t, en)
		if frErr.Message != tc.frMsg || enErr.Message != tc.enMsg {
			t.Errorf("%s: messages %q / %q, want %q / %q", tc.name, frErr.Message, enErr.Message, tc.frMsg, tc.enMsg)
		}
		delete(frErr.Extensions, "requestId")
		delete(enErr.Extensions, "requestId")
		a, _ := json.Marshal(frErr.Extensions)
		b, _ := json.Marshal(enErr.Extensions)
		if string(a) != string(b) {
			t.Errorf("%s: extensions differ by language:\n%s\n%s", tc.name, a, b)
		}
	}
}

type apiError struct {
	Message    string
	Extensions map[string]any
}

func firstError(t *testing.T, r *apitest.Response) apiError {
	t.Helper()
	var out struct{ Errors []apiError }
	if err := json.Unmarshal(r.Raw, &out); err != nil || len(out.Errors) == 0 {
		t.Fatalf("no error in %s (%v)", r.Raw, err)
	}
	return out.Errors[0]
}

// TestDigestEmailIsLocalisedWithOneClickUnsubscribe: a French member's digest comes through the
// real SMTP sink in French, HTML and text, with RFC 8058's headers; the one-click POST of its
// link, without signing in, turns off the email of every type they read in the digest (their
// in-app notifications stay), so the next digest run has nothing of theirs to send.
func TestDigestEmailIsLocalisedWithOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	box := apitest.WithMail(t, &cfg)
	srv := apitest.Start(t, cfg)
	id, email, c := member(t, srv, "Zoe", domain.LocaleFR)
	const pref = `mutation($in: SetNotificationPreferenceInput!) { setNotificationPreference(input: $in) { preference { type } } }`
	for _, typ := range []string{"NEW_MUTUAL_MATCH", "SESSION_CONFIRMED"} {
		apitest.Must(t, c.Do(t, pref, map[string]any{"in": map[string]any{"type": typ, "inApp": true, "email": true, "emailMode": "DIGEST"}}))
	}
	err := srv.App.Store.InTx(t.Context(), func(q *store.Queries) error {
		return q.EnqueueJob(t.Context(), notifications.DigestEmailArgs{UserID: id, PeriodEnd: time.Now().UTC(),
			Conversations: []notifications.DigestConversation{{ConversationID: uuid.New(), Unread: 3}}, NewMatches: 2}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	m := box.Next(t, email, "votre récapitulatif")
	if m.Language != "fr" || m.ContentType != "multipart/alternative" {
		t.Fatalf("language %q, content type %q", m.Language, m.ContentType)
	}
	for _, part := range []string{m.Text, m.HTML} {
		for _, want := range []string{"Bonjour Zoe,", "3 messages non lus dans 1 conversation", "2 nouvelles correspondances mutuelles", "Ne plus recevoir le récapitulatif"} {
			if !strings.Contains(part, want) {
				t.Errorf("digest lacks %q:\n%s", want, part)
			}
		}
	}
	lu := m.Header.Get("List-Unsubscribe")
	if !strings.HasPrefix(lu, "<"+cfg.PublicURL+"/unsubscribe?t=") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe %q, List-Unsubscribe-Post %q", lu, m.Header.Get("List-Unsubscribe-Post"))
	}
	link := strings.Trim(lu, "<>")
	if !strings.Contains(m.Text, link) {
		t.Errorf("the text part lacks the link %s", link)
	}

	// The GET page names the digest and changes nothing.
	resp := unsubscribeRequest(t, srv, http.MethodGet, link, nil)
	if page := readBody(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(page, "votre récapitulatif") {
		t.Fatalf("GET: %d\n%s", resp.StatusCode, page)
	}
	if on, _ := emailPreference(t, c, domain.NotificationNewMutualMatch); !on {
		t.Fatal("a GET turned the digest off")
	}
	// The mail provider's one-click POST: no session, the token in the query.
	resp = unsubscribeRequest(t, srv, http.MethodPost, link, strings.NewReader("List-Unsubscribe=One-Click"))
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST: %d\n%s", resp.StatusCode, body)
	}
	for _, typ := range []domain.NotificationType{domain.NotificationNewMutualMatch, domain.NotificationSessionConfirmed} {
		if email, inApp := emailPreference(t, c, typ); email || !inApp {
			t.Errorf("%s after the digest's unsubscribe: email %v, inApp %v; want off, on", typ, email, inApp)
		}
	}
	// A type not in the digest keeps its email.
	if email, _ := emailPreference(t, c, domain.NotificationSessionCancelled); !email {
		t.Error("SESSION_CANCELLED (emailed at once) was turned off by the digest's link")
	}
	var active bool
	if err := srv.App.Pool.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM notification_preferences
		WHERE user_id = $1 AND email AND email_digest)`, id).Scan(&active); err != nil || active {
		t.Fatalf("digest still active: %v %v", active, err)
	}
}
