// Package accountpages serves the web pages that account emails link to: confirming an email
// address, choosing a new password, asking for a reset link, confirming or undoing an email
// change. The mobile app opens the same
// links itself when it is installed (universal links, Android App Links) and calls the GraphQL
// mutations; these pages are for every other case (a desktop mail client, the app not
// installed), so no emailed link ends on a 404.
//
// Opening a link changes nothing: mail scanners and link previews follow links, so a GET only
// shows a form, and the secret is spent by the form's POST. The pages run no script, load
// nothing from elsewhere, are never cached and leak no token through Referer; a POST from
// another site's page is refused.
package accountpages

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/i18n"
)

// Accounts is what the pages need of the account service.
type Accounts interface {
	VerifyEmail(ctx context.Context, actor domain.Actor, code, token string, c auth.Client) (domain.User, error)
	ResetPassword(ctx context.Context, token, newPassword string, c auth.Client) error
	RequestPasswordReset(ctx context.Context, email string, c auth.Client) error
	ConfirmEmailChange(ctx context.Context, actor domain.Actor, code, token string, c auth.Client) (domain.User, error)
	UndoEmailChange(ctx context.Context, token string, c auth.Client) error
}

// Appeals is what the appeal page needs of moderation: appealing a sanction with the signed link
// of its email (a suspended member cannot sign in to appeal in the app).
type Appeals interface {
	AppealWithLink(ctx context.Context, token, text string) (a domain.Appeal, addedToThread bool, err error)
}

// maxFormBytes bounds a posted form: a token, a password of at most a few hundred bytes, an email.
const maxFormBytes = 8 << 10

// maxAppealFormBytes bounds the appeal form: 5,000 characters, percent-encoded.
const maxAppealFormBytes = 64 << 10

// Handler serves the pages under the paths the account emails use. publicURL is the server's
// public URL (PUBLIC_URL): a POST must come from a page of that origin (or name none); appName
// titles the pages. appeals serves the sanction appeal page (nil: not served).
func Handler(accounts Accounts, appeals Appeals, publicURL, appName string, log *slog.Logger) (http.Handler, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, errors.New("account pages: PUBLIC_URL must be an absolute URL")
	}
	p := &pages{accounts: accounts, appeals: appeals, origin: u.Scheme + "://" + u.Host, app: appName, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /verify-email", p.showVerify)
	mux.HandleFunc("POST /verify-email", p.verify)
	mux.HandleFunc("GET /reset-password", p.showReset)
	mux.HandleFunc("POST /reset-password", p.reset)
	mux.HandleFunc("GET /forgot-password", p.showForgot)
	mux.HandleFunc("POST /forgot-password", p.forgot)
	mux.HandleFunc("GET /confirm-email-change", p.showTokenForm("confirmChange"))
	mux.HandleFunc("POST /confirm-email-change", p.confirmChange)
	mux.HandleFunc("GET /undo-email-change", p.showTokenForm("undoChange"))
	mux.HandleFunc("POST /undo-email-change", p.undoChange)
	if appeals != nil {
		mux.HandleFunc("GET "+AppealPath, p.showTokenForm("appeal"))
		mux.HandleFunc("POST "+AppealPath, p.appeal)
	}
	return mux, nil
}

// AppealPath is the page a sanction email links to (moderation.AppealPagePath says the same).
const AppealPath = "/appeal-sanction"

// Paths lists the paths Handler serves, for the server's mux.
var Paths = []string{"/verify-email", "/reset-password", "/forgot-password", "/confirm-email-change", "/undo-email-change", AppealPath}

type pages struct {
	accounts Accounts
	appeals  Appeals
	origin   string
	app      string
	log      *slog.Logger
}

// view is what the page template fills in.
type view struct {
	Lang    string
	App     string
	T       texts
	Page    string // which form or message: verify, verified, reset, resetDone, forgot, forgotSent, confirmChange, changeConfirmed, undoChange, changeUndone, failed
	Token   string
	Message string // an error to show above the form, or the reason of a failure
}

func (p *pages) showVerify(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if token == "" {
		p.render(w, r, http.StatusBadRequest, view{Page: "failed", Message: p.lang(r).NoToken})
		return
	}
	p.render(w, r, http.StatusOK, view{Page: "verify", Token: token})
}

func (p *pages) verify(w http.ResponseWriter, r *http.Request) {
	if !p.form(w, r) {
		return
	}
	_, err := p.accounts.VerifyEmail(r.Context(), domain.Actor{}, "", r.PostForm.Get("token"), client(r))
	if err != nil {
		p.failed(w, r, err, view{Page: "failed"})
		return
	}
	p.render(w, r, http.StatusOK, view{Page: "verified"})
}

// showTokenForm shows the form of an emailed link that only needs its token (kind names it).
func (p *pages) showTokenForm(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		if token == "" {
			p.render(w, r, http.StatusBadRequest, view{Page: "failed", Message: p.lang(r).NoToken})
			return
		}
		p.render(w, r, http.StatusOK, view{Page: kind, Token: token})
	}
}

func (p *pages) confirmChange(w http.ResponseWriter, r *http.Request) {
	if !p.form(w, r) {
		return
	}
	if _, err := p.accounts.ConfirmEmailChange(r.Context(), domain.Actor{}, "", r.PostForm.Get("token"), client(r)); err != nil {
		p.failed(w, r, err, view{Page: "failed"})
		return
	}
	p.render(w, r, http.StatusOK, view{Page: "changeConfirmed"})
}

func (p *pages) undoChange(w http.ResponseWriter, r *http.Request) {
	if !p.form(w, r) {
		return
	}
	if err := p.accounts.UndoEmailChange(r.Context(), r.PostForm.Get("token"), client(r)); err != nil {
		p.failed(w, r, err, view{Page: "failed"})
		return
	}
	p.render(w, r, http.StatusOK, view{Page: "changeUndone"})
}

// appeal files the appeal of the sanction the link names, or, once appealed, adds the text to the
// open appeal's thread. A refused text shows the form again; a link that is wrong or expired, a
// decided appeal or one past its window end on a message.
func (p *pages) appeal(w http.ResponseWriter, r *http.Request) {
	if !p.formOf(w, r, maxAppealFormBytes) {
		return
	}
	token := r.PostForm.Get("token")
	_, added, err := p.appeals.AppealWithLink(r.Context(), token, r.PostForm.Get("text"))
	var de *domain.Error
	t := p.lang(r)
	switch {
	case err == nil && added:
		p.render(w, r, http.StatusOK, view{Page: "appealReplied"})
	case err == nil:
		p.render(w, r, http.StatusOK, view{Page: "appealSent"})
	case errors.As(err, &de) && de.Kind == domain.KindInvalid && de.Field == "text":
		p.render(w, r, http.StatusBadRequest, view{Page: "appeal", Token: token, Message: t.AppealText})
	case errors.As(err, &de) && de.Kind == domain.KindNotFound:
		p.render(w, r, http.StatusBadRequest, view{Page: "failed", Message: t.BadLink})
	case errors.As(err, &de) && de.Kind == domain.KindConflict:
		p.render(w, r, http.StatusConflict, view{Page: "failed", Message: t.AlreadyAppealed})
	case errors.As(err, &de) && de.Kind == domain.KindForbidden:
		p.render(w, r, http.StatusForbidden, view{Page: "failed", Message: t.AppealClosed})
	default:
		p.failed(w, r, err, view{Page: "failed"})
	}
}

func (p *pages) showReset(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if token == "" {
		p.render(w, r, http.StatusBadRequest, view{Page: "failed", Message: p.lang(r).NoToken})
		return
	}
	p.render(w, r, http.StatusOK, view{Page: "reset", Token: token})
}

func (p *pages) reset(w http.ResponseWriter, r *http.Request) {
	if !p.form(w, r) {
		return
	}
	token := r.PostForm.Get("token")
	err := p.accounts.ResetPassword(r.Context(), token, r.PostForm.Get("password"), client(r))
	var de *domain.Error
	switch {
	case err == nil:
		p.render(w, r, http.StatusOK, view{Page: "resetDone"})
	case errors.As(err, &de) && de.Kind == domain.KindInvalid && de.Field == "newPassword":
		// The link still works: show the form again with what is wrong with the password.
		p.failed(w, r, err, view{Page: "reset", Token: token})
	default:
		p.failed(w, r, err, view{Page: "failed"})
	}
}

func (p *pages) showForgot(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusOK, view{Page: "forgot"})
}

func (p *pages) forgot(w http.ResponseWriter, r *http.Request) {
	if !p.form(w, r) {
		return
	}
	if err := p.accounts.RequestPasswordReset(r.Context(), r.PostForm.Get("email"), client(r)); err != nil {
		p.failed(w, r, err, view{Page: "forgot"})
		return
	}
	p.render(w, r, http.StatusOK, view{Page: "forgotSent"})
}

// form checks a POST's origin and parses its bounded body; it answers and returns false when the
// request is refused.
func (p *pages) form(w http.ResponseWriter, r *http.Request) bool {
	return p.formOf(w, r, maxFormBytes)
}

func (p *pages) formOf(w http.ResponseWriter, r *http.Request, max int64) bool {
	// Browsers send Origin on every cross-origin POST: a form on another site cannot spend a link.
	if o := r.Header.Get("Origin"); o != "" && o != p.origin {
		p.render(w, r, http.StatusForbidden, view{Page: "failed", Message: p.lang(r).Forbidden})
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, max)
	if err := r.ParseForm(); err != nil {
		p.render(w, r, http.StatusBadRequest, view{Page: "failed", Message: p.lang(r).BadForm})
		return false
	}
	return true
}

// failed shows v with the message of a domain error; anything else is logged and shown as a
// failure that says nothing of the cause.
func (p *pages) failed(w http.ResponseWriter, r *http.Request, err error, v view) {
	t := p.lang(r)
	var de *domain.Error
	status := http.StatusBadRequest
	switch {
	case errors.As(err, &de) && de.Kind == domain.KindInvalid:
		v.Message = invalidMessage(t, i18n.FromRequest(r), de)
	case errors.As(err, &de) && de.Kind == domain.KindConflict:
		// An email change whose address another account took meanwhile.
		status, v.Message = http.StatusConflict, t.AddressTaken
	case errors.As(err, &de) && de.Kind == domain.KindRateLimited:
		status, v.Message = http.StatusTooManyRequests, t.RateLimited
		if de.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(de.RetryAfter.Seconds()))))
		}
	default:
		p.log.ErrorContext(r.Context(), "account page", "path", r.URL.Path, "err", err)
		status, v.Message = http.StatusInternalServerError, t.Internal
	}
	p.render(w, r, status, v)
}

// invalidMessage words a refused input for the page: a link's token is wrong, expired or used
// (the same words for all three, as the API); a password's problem is the policy's own message.
func invalidMessage(t texts, lang string, e *domain.Error) string {
	switch e.Field {
	case "token":
		return t.BadLink
	case "email":
		return t.BadEmail
	}
	return i18n.ErrorMessage(lang, e.Format, e.Args, e.Message)
}

func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, v view) {
	lang := i18n.FromRequest(r)
	v.Lang, v.App, v.T = lang, p.app, allTexts[lang]
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The page's one style block is allowed by its hash; nothing else loads, forms post here.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src '"+styleHash+"'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := page.Execute(w, v); err != nil {
		p.log.WarnContext(r.Context(), "account page: render", "err", err)
	}
}

func (p *pages) lang(r *http.Request) texts {
	return allTexts[i18n.FromRequest(r)]
}

// client is the request's client as the account service throttles it: the server's clientInfo
// middleware put it in the context.
func client(r *http.Request) auth.Client {
	return auth.ClientFrom(r.Context())
}

const style = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1d1d1f}` +
	`h1{font-size:1.4rem}label,input,button,textarea{display:block;width:100%;box-sizing:border-box;font-size:1rem}` +
	`input,textarea{padding:.6rem;margin:.3rem 0 1rem}button{padding:.7rem;background:#2d6a4f;color:#fff;border:0;border-radius:.4rem}` +
	`.error{color:#a4161a}`

var styleHash = func() string {
	sum := sha256.Sum256([]byte(style))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}()

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"style": func() template.CSS { return template.CSS(style) },
}).Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
<title>{{.App}}</title><style>{{style}}</style></head><body>
{{- if eq .Page "verify"}}
<h1>{{.T.VerifyTitle}}</h1><p>{{.T.VerifyBody}}</p>
<form method="post" action="/verify-email"><input type="hidden" name="token" value="{{.Token}}"><button type="submit">{{.T.VerifyButton}}</button></form>
{{- else if eq .Page "verified"}}
<h1>{{.T.VerifiedTitle}}</h1><p>{{.T.BackToApp}}</p>
{{- else if eq .Page "reset"}}
<h1>{{.T.ResetTitle}}</h1>{{with .Message}}<p class="error" role="alert">{{.}}</p>{{end}}<p>{{.T.ResetBody}}</p>
<form method="post" action="/reset-password"><input type="hidden" name="token" value="{{.Token}}">
<label for="password">{{.T.NewPassword}}</label><input id="password" name="password" type="password" autocomplete="new-password" required maxlength="1024">
<button type="submit">{{.T.ResetButton}}</button></form>
{{- else if eq .Page "resetDone"}}
<h1>{{.T.ResetDoneTitle}}</h1><p>{{.T.ResetDoneBody}}</p>
{{- else if eq .Page "forgot"}}
<h1>{{.T.ForgotTitle}}</h1>{{with .Message}}<p class="error" role="alert">{{.}}</p>{{end}}<p>{{.T.ForgotBody}}</p>
<form method="post" action="/forgot-password"><label for="email">{{.T.Email}}</label><input id="email" name="email" type="email" autocomplete="email" required maxlength="254">
<button type="submit">{{.T.ForgotButton}}</button></form>
{{- else if eq .Page "confirmChange"}}
<h1>{{.T.ConfirmChangeTitle}}</h1><p>{{.T.ConfirmChangeBody}}</p>
<form method="post" action="/confirm-email-change"><input type="hidden" name="token" value="{{.Token}}"><button type="submit">{{.T.ConfirmChangeButton}}</button></form>
{{- else if eq .Page "changeConfirmed"}}
<h1>{{.T.ChangeConfirmedTitle}}</h1><p>{{.T.BackToApp}}</p>
{{- else if eq .Page "undoChange"}}
<h1>{{.T.UndoChangeTitle}}</h1><p>{{.T.UndoChangeBody}}</p>
<form method="post" action="/undo-email-change"><input type="hidden" name="token" value="{{.Token}}"><button type="submit">{{.T.UndoChangeButton}}</button></form>
{{- else if eq .Page "changeUndone"}}
<h1>{{.T.ChangeUndoneTitle}}</h1><p>{{.T.ChangeUndoneBody}}</p>
{{- else if eq .Page "appeal"}}
<h1>{{.T.AppealTitle}}</h1>{{with .Message}}<p class="error" role="alert">{{.}}</p>{{end}}<p>{{.T.AppealBody}}</p>
<form method="post" action="/appeal-sanction"><input type="hidden" name="token" value="{{.Token}}">
<label for="text">{{.T.AppealLabel}}</label><textarea id="text" name="text" rows="8" required maxlength="5000"></textarea>
<button type="submit">{{.T.AppealButton}}</button></form>
{{- else if eq .Page "appealReplied"}}
<h1>{{.T.AppealRepliedTitle}}</h1><p>{{.T.AppealSentBody}}</p>
{{- else if eq .Page "appealSent"}}
<h1>{{.T.AppealSentTitle}}</h1><p>{{.T.AppealSentBody}}</p>
{{- else if eq .Page "forgotSent"}}
<h1>{{.T.ForgotSentTitle}}</h1><p>{{.T.ForgotSentBody}}</p>
{{- else}}
<h1>{{.T.FailedTitle}}</h1><p class="error" role="alert">{{.Message}}</p>
{{- end}}
</body></html>
`))

// texts are a page's words in one language.
type texts struct {
	VerifyTitle, VerifyBody, VerifyButton, VerifiedTitle, BackToApp                    string
	ResetTitle, ResetBody, NewPassword, ResetButton, ResetDoneTitle, ResetDoneBody     string
	ForgotTitle, ForgotBody, Email, ForgotButton, ForgotSentTitle, ForgotSentBody      string
	FailedTitle, NoToken, BadLink, BadEmail, BadForm, Forbidden, RateLimited, Internal string

	ConfirmChangeTitle, ConfirmChangeBody, ConfirmChangeButton, ChangeConfirmedTitle       string
	UndoChangeTitle, UndoChangeBody, UndoChangeButton, ChangeUndoneTitle, ChangeUndoneBody string
	AddressTaken                                                                           string

	AppealTitle, AppealBody, AppealLabel, AppealButton, AppealSentTitle, AppealSentBody string
	AppealText, AlreadyAppealed, AppealClosed, AppealRepliedTitle                       string
}

// textIDs are the message ids of texts' fields, page.account.<field> in package i18n's catalogues
// (the field's name with a lower-case first letter).
var textIDs = func() []i18n.ID {
	t := reflect.TypeFor[texts]()
	ids := make([]i18n.ID, t.NumField())
	for i := range ids {
		name := t.Field(i).Name
		ids[i] = i18n.Key("page.account." + strings.ToLower(name[:1]) + name[1:])
	}
	return ids
}()

// textsIn returns the pages' words in lang.
func textsIn(lang string) texts {
	l := i18n.For(lang)
	var t texts
	v := reflect.ValueOf(&t).Elem()
	for i, id := range textIDs {
		v.Field(i).SetString(l.T(id, nil))
	}
	return t
}

// allTexts are the pages' words per language, filled once from the catalogues.
var allTexts = func() map[string]texts {
	m := make(map[string]texts, len(i18n.Languages))
	for _, l := range i18n.Languages {
		m[l] = textsIn(l)
	}
	return m
}()
