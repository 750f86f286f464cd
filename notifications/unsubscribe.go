package notifications

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/i18n"
)

// UnsubscribePath is where the one-click unsubscribe links of notification emails point.
const UnsubscribePath = "/unsubscribe"

// UnsubscribeLinks makes and checks the one-click unsubscribe links of notification emails
// (RFC 8058). A link names one member and one type and is signed with HMAC-SHA256 under a key
// derived from the data keyring: it works without signing in, never expires, and does one thing,
// turning that type's email off for that member. It stops verifying when the primary data key
// changes (emails sent since carry new links).
type UnsubscribeLinks struct {
	key  []byte
	base string
}

// NewUnsubscribeLinks returns the links of publicURL signed with key (nil when key is empty or
// publicURL is not set: emails then carry no unsubscribe header).
func NewUnsubscribeLinks(key []byte, publicURL string) *UnsubscribeLinks {
	if len(key) == 0 || publicURL == "" {
		return nil
	}
	return &UnsubscribeLinks{key: key, base: strings.TrimSuffix(publicURL, "/")}
}

// macSize is how many bytes of the HMAC a token keeps: 128 bits, out of reach of guessing,
// and a link short enough for a header line.
const macSize = 16

// DigestScope is the scope of the digest email's one-click link: in place of a type, it names
// the digest, and unsubscribing from it turns off the email of every type the member reads in
// their digest (what "stop digest emails" means to a member: those types stay in the app). It
// cannot be taken for a type (types are upper-case names).
const DigestScope domain.NotificationType = "@digest"

// Token is the signed token of userID's email of type t (or of their digest: DigestScope).
func (l *UnsubscribeLinks) Token(userID uuid.UUID, t domain.NotificationType) string {
	msg := append(userID[:len(userID):len(userID)], t...)
	return base64.RawURLEncoding.EncodeToString(append(msg, l.mac(msg)...))
}

// URL is the link of userID's email of type t.
func (l *UnsubscribeLinks) URL(userID uuid.UUID, t domain.NotificationType) string {
	return l.base + UnsubscribePath + "?t=" + l.Token(userID, t)
}

func (l *UnsubscribeLinks) mac(msg []byte) []byte {
	h := hmac.New(sha256.New, l.key)
	h.Write([]byte("notification email unsubscribe v1\x00"))
	h.Write(msg)
	return h.Sum(nil)[:macSize]
}

// Parse checks token and returns the member and type it names (DigestScope for the digest's);
// ok is false for a token that is malformed, signed with another key, or names a type that has
// no unsubscribe link (unknown, critical or emailed by its own capability).
func (l *UnsubscribeLinks) Parse(token string) (userID uuid.UUID, t domain.NotificationType, ok bool) {
	// Strict: one token, one spelling (no variants through the unused bits of the last character).
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if l == nil || err != nil || len(raw) < 16+1+macSize || len(raw) > 16+64+macSize {
		return uuid.Nil, "", false
	}
	msg, sum := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(sum, l.mac(msg)) {
		return uuid.Nil, "", false
	}
	t = domain.NotificationType(msg[16:])
	if t != DigestScope && !Unsubscribable(t) {
		return uuid.Nil, "", false
	}
	return uuid.UUID(msg[:16]), t, true
}

// Unsubscribable reports whether emails of type t carry a one-click unsubscribe link: every
// registered type but the critical ones (emailed whatever the member chose, so a link that
// changes nothing would mislead) and those whose capability sends its own email (moderation's
// notices, which must reach the member).
func Unsubscribable(t domain.NotificationType) bool {
	s, ok := Spec(t)
	return ok && !s.Critical && !s.OwnEmail
}

// UnsubscribeEmail turns off the email of type t for userID (of every digested type for
// DigestScope): a system operation for the signed link of an unsubscribe request, which proves
// who and what without a sign-in. The member's other channels of that type stay as they are.
func (s *Service) UnsubscribeEmail(ctx context.Context, userID uuid.UUID, t domain.NotificationType) error {
	if t == DigestScope {
		// The digest's link: every type in digest mode stops being emailed, so the digest run
		// finds nothing to send (its members need a type emailed in digest mode).
		if _, err := s.store.Q().DisableDigestEmails(ctx, userID, s.now()); err != nil {
			return fmt.Errorf("unsubscribe from the digest: %w", err)
		}
		return nil
	}
	if !Unsubscribable(t) {
		return domain.Invalid("type", "emails of type %q cannot be unsubscribed from", t)
	}
	spec := specOf(t)
	if err := s.store.Q().DisableNotificationEmail(ctx, userID, string(t), spec.Defaults.InApp, s.now()); err != nil {
		return fmt.Errorf("unsubscribe %s: %w", t, err)
	}
	return nil
}

// EmailStatus is whether the actor's notification emails reach their address.
type EmailStatus struct {
	// Suspended is true when the address refused an email for good: no notification email goes
	// to it until the member changes it.
	Suspended bool
	// Since is when it refused, when Suspended.
	Since *time.Time
	// SMTPCode is the refusal's SMTP reply code (such as 550), 0 when not Suspended.
	SMTPCode int
}

// EmailStatus says whether the actor's notification emails are suspended because their address
// refused one permanently, so the app can ask them to change it.
func (s *Service) EmailStatus(ctx context.Context, actor domain.Actor) (EmailStatus, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return EmailStatus{}, err
	}
	sup, err := s.store.Q().EmailSuppressionOf(ctx, actor.ID())
	if err != nil {
		return EmailStatus{}, fmt.Errorf("email status: %w", err)
	}
	if sup == nil {
		return EmailStatus{}, nil
	}
	at := sup.SuppressedAt
	return EmailStatus{Suspended: true, Since: &at, SMTPCode: sup.SMTPCode}, nil
}

// Unsubscriber turns a member's email of one type off (Service implements it).
type Unsubscriber interface {
	UnsubscribeEmail(ctx context.Context, userID uuid.UUID, t domain.NotificationType) error
}

// maxUnsubscribeForm bounds an unsubscribe POST: a token and the one-click field.
const maxUnsubscribeForm = 4 << 10

// UnsubscribeHandler serves UnsubscribePath without a session (RFC 8058):
//
//   - POST with the token in the query (as the List-Unsubscribe header's URI has it) or in the
//     form, and the body List-Unsubscribe=One-Click: turns the email off and answers 200 with a
//     small page, never a redirect (mail providers post it from their servers and follow none).
//   - GET shows the page of the link, in the browser's language (French or English: package
//     i18n's resolution), with a
//     button that posts: a GET changes nothing, since mail scanners and link previews open links.
//
// A token that does not verify gets a 400 page and changes nothing. Cross-origin POSTs are
// accepted: the mail provider's is one, and the token, not the origin, is what proves the right.
func UnsubscribeHandler(svc Unsubscriber, links *UnsubscribeLinks, appName string, log *slog.Logger) http.Handler {
	h := &unsubscribeHandler{svc: svc, links: links, app: appName, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+UnsubscribePath, h.show)
	mux.HandleFunc("POST "+UnsubscribePath, h.unsubscribe)
	return mux
}

type unsubscribeHandler struct {
	svc   Unsubscriber
	links *UnsubscribeLinks
	app   string
	log   *slog.Logger
}

// pageView is what templates/unsubscribe.html.tmpl fills in.
type pageView struct {
	Lang, App, Page, Token, Body string
	Style                        htmltemplate.CSS
	// T is the page's words.
	T pageWords
}

func (h *unsubscribeHandler) show(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("t")
	_, t, ok := h.links.Parse(token)
	if !ok {
		h.render(w, r, http.StatusBadRequest, "bad", "", "")
		return
	}
	h.render(w, r, http.StatusOK, "confirm", token, t)
}

func (h *unsubscribeHandler) unsubscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUnsubscribeForm)
	// RFC 8058 lets the provider post multipart/form-data or application/x-www-form-urlencoded.
	err := r.ParseMultipartForm(maxUnsubscribeForm)
	if errors.Is(err, http.ErrNotMultipart) {
		err = nil // parsed as a URL-encoded form
	}
	if err != nil {
		h.render(w, r, http.StatusBadRequest, "bad", "", "")
		return
	}
	// r.Form has the query's t and the body's; RFC 8058's POST carries it in the query.
	token := r.PostForm.Get("t")
	if token == "" {
		token = r.URL.Query().Get("t")
	}
	userID, t, ok := h.links.Parse(token)
	if !ok || r.PostForm.Get("List-Unsubscribe") != "One-Click" {
		h.render(w, r, http.StatusBadRequest, "bad", "", "")
		return
	}
	if err := h.svc.UnsubscribeEmail(r.Context(), userID, t); err != nil {
		var de *domain.Error
		if errors.As(err, &de) && de.Kind == domain.KindInvalid {
			h.render(w, r, http.StatusBadRequest, "bad", "", "")
			return
		}
		h.log.ErrorContext(r.Context(), "unsubscribe", "type", t, "err", err)
		h.render(w, r, http.StatusInternalServerError, "failed", "", "")
		return
	}
	h.render(w, r, http.StatusOK, "done", "", t)
}

// unsubscribeStyle is the page's one style block, allowed by its hash in the CSP.
const unsubscribeStyle = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1d1d1f}` +
	`h1{font-size:1.4rem}button{display:block;width:100%;font-size:1rem;padding:.7rem;background:#2d6a4f;color:#fff;border:0;border-radius:.4rem}` +
	`.error{color:#a4161a}`

var unsubscribeStyleHash = func() string {
	sum := sha256.Sum256([]byte(unsubscribeStyle))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}()

// The words of the unsubscribe page.
var (
	msgPageTitle      = i18n.Key("unsubscribe.title")
	msgPageBody       = i18n.Key("unsubscribe.body")
	msgPageButton     = i18n.Key("unsubscribe.button")
	msgPageDoneTitle  = i18n.Key("unsubscribe.doneTitle")
	msgPageDoneBody   = i18n.Key("unsubscribe.doneBody")
	msgPageBadTitle   = i18n.Key("unsubscribe.badTitle")
	msgPageBadBody    = i18n.Key("unsubscribe.badBody")
	msgPageFailedBody = i18n.Key("unsubscribe.failedBody")
	msgPageDigestWhat = i18n.Key("unsubscribe.digestWhat")
)

// pageWords are the page's words in one language (what templates/unsubscribe.html.tmpl's .T
// names).
type pageWords struct{ Title, Button, DoneTitle, BadTitle string }

func (h *unsubscribeHandler) render(w http.ResponseWriter, r *http.Request, status int, page, token string, t domain.NotificationType) {
	l := i18n.For(i18n.FromRequest(r))
	what := whatHappened(l, t)
	if t == DigestScope {
		what = l.T(msgPageDigestWhat, nil)
	}
	d := map[string]any{"App": h.app, "What": what}
	body := map[string]i18n.ID{
		"confirm": msgPageBody, "done": msgPageDoneBody, "bad": msgPageBadBody, "failed": msgPageFailedBody,
	}[page]
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src '"+unsubscribeStyleHash+"'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	words := pageWords{Title: l.T(msgPageTitle, d), Button: l.T(msgPageButton, d), DoneTitle: l.T(msgPageDoneTitle, d), BadTitle: l.T(msgPageBadTitle, d)}
	v := pageView{Lang: l.Lang(), App: h.app, Page: page, Token: token, Body: l.T(body, d),
		Style: htmltemplate.CSS(unsubscribeStyle), T: words}
	if err := unsubscribePage.Execute(w, v); err != nil {
		h.log.WarnContext(r.Context(), "unsubscribe page: render", "err", err)
	}
}
