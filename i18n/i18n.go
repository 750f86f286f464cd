// Package i18n holds every text the platform writes to members, in French and English, and
// decides which language a member reads: one go-i18n bundle loaded from the catalogue files
// embedded from locales/<language>.json, and one way to resolve a locale (the member's profile
// locale, else the request's Accept-Language matched with golang.org/x/text/language, else
// English).
//
// Message ids are registered by the packages that use them (Key, Keys), so
// TestEveryMessageInEveryLanguage fails when a used id lacks a language, or a catalogue holds
// an id nobody uses.
package i18n

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// The languages the platform speaks; English is the fallback of every message and locale.
const (
	English = "en"
	French  = "fr"
)

// Languages lists the catalogue languages, the fallback first.
var Languages = []string{English, French}

// tags are Languages as tags, in the same order (the matcher's order: its first is its default).
var tags = []language.Tag{language.English, language.French}

//go:embed locales/*.json
var localeFS embed.FS

// catalogue is the loaded bundle and, per language, the ids its file defines (the bundle does not
// list them). It is read-only after loading: the embedded files are part of the binary, so a
// broken one fails every test that touches a text rather than a running server.
type catalogue struct {
	bundle     *goi18n.Bundle
	matcher    language.Matcher
	ids        map[string]map[string]bool
	localizers map[string]*goi18n.Localizer
}

var loaded = sync.OnceValue(func() *catalogue {
	c, err := load()
	if err != nil {
		panic(err)
	}
	return c
})

func load() (*catalogue, error) {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	c := &catalogue{bundle: b, matcher: language.NewMatcher(tags), ids: map[string]map[string]bool{},
		localizers: map[string]*goi18n.Localizer{}}
	for _, l := range Languages {
		path := "locales/" + l + ".json"
		buf, err := localeFS.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		f, err := b.ParseMessageFileBytes(buf, path)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", path, err)
		}
		c.ids[l] = map[string]bool{}
		for _, m := range f.Messages {
			c.ids[l][m.ID] = true
		}
		c.localizers[l] = goi18n.NewLocalizer(b, l)
	}
	return c, nil
}

// Match returns the catalogue language that best serves tags, each a BCP 47 tag or a whole
// Accept-Language header ("fr-CA", "de, fr;q=0.8", "en_GB"); English when none is served or
// none parses. Regional variants go to their language (fr-CA and fr-BE read French).
func Match(tags ...string) string {
	var want []language.Tag
	for _, t := range tags {
		t = strings.TrimSpace(strings.ReplaceAll(t, "_", "-"))
		if t == "" {
			continue
		}
		parsed, _, err := language.ParseAcceptLanguage(t)
		if err != nil {
			continue
		}
		want = append(want, parsed...)
	}
	if len(want) == 0 {
		return English
	}
	_, i, conf := loaded().matcher.Match(want...)
	if conf == language.No {
		return English
	}
	return Languages[i]
}

// Resolve is the language of a member: their profile locale when they have one, else what the
// request accepts (its Accept-Language header), else English.
func Resolve(profile, acceptLanguage string) string {
	if strings.TrimSpace(profile) != "" {
		return Match(profile)
	}
	return Match(acceptLanguage)
}

type localeKey struct{}

// WithLocale returns ctx carrying the resolved language of its request or connection.
func WithLocale(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, localeKey{}, Match(lang))
}

// LocaleFrom is the language ctx carries (set by the API's middleware), English when none.
func LocaleFrom(ctx context.Context) string {
	if l, ok := ctx.Value(localeKey{}).(string); ok {
		return l
	}
	return English
}

// FromRequest is the language of a request that serves no signed-in member (the account and
// unsubscribe pages): the one its context carries, else its Accept-Language header.
func FromRequest(r *http.Request) string {
	if l, ok := r.Context().Value(localeKey{}).(string); ok {
		return l
	}
	return Match(r.Header.Get("Accept-Language"))
}

// Localizer writes messages in one language.
type Localizer struct {
	lang string
	l    *goi18n.Localizer
}

// For returns the localizer of locale (any tag; English when not served).
func For(locale string) Localizer {
	lang := Match(locale)
	return Localizer{lang: lang, l: loaded().localizers[lang]}
}

// Lang is the language the localizer writes ("en" or "fr").
func (l Localizer) Lang() string { return l.lang }

// T is message id filled with data (a map or struct whose fields the message names, such as
// {{.App}}). A message missing in the language falls back to English, and a message missing
// everywhere is its id: TestEveryMessageInEveryLanguage keeps both from happening.
func (l Localizer) T(id ID, data any) string {
	if l.l == nil {
		l = For(English)
	}
	s, err := l.l.Localize(&goi18n.LocalizeConfig{MessageID: string(id), TemplateData: data})
	if err != nil {
		return string(id)
	}
	return s
}

// N is the plural-aware message id for count: its "one" or "other" form by the language's
// rules (French counts 0 and 1 as one). data may name Count; when it is nil, {{.Count}} is count.
func (l Localizer) N(id ID, count int, data map[string]any) string {
	if l.l == nil {
		l = For(English)
	}
	if data == nil {
		data = map[string]any{}
	}
	if _, ok := data["Count"]; !ok {
		data["Count"] = count
	}
	s, err := l.l.Localize(&goi18n.LocalizeConfig{MessageID: string(id), TemplateData: data, PluralCount: count})
	if err != nil {
		return string(id)
	}
	return s
}

// Has reports whether the catalogue of lang defines id itself (no fallback).
func Has(lang string, id ID) bool { return loaded().ids[lang][string(id)] }

// ID names one message of the catalogues.
type ID string

// registry is every id a package declared it uses (Key, Keys). It is filled by package-level
// variable initialisers of the packages that own texts, before any code runs, and only read
// afterwards.
var registry = struct {
	sync.Mutex
	ids map[ID]bool
}{ids: map[ID]bool{}}

// Key declares that the calling package uses message id and returns it; declare ids at package
// level (var msgX = i18n.Key("...")) so the catalogue test sees them all.
func Key(id string) ID {
	registry.Lock()
	defer registry.Unlock()
	registry.ids[ID(id)] = true
	return ID(id)
}

// Keys declares the ids prefix+name for each name (texts chosen at run time: one per
// notification type, per account email) and returns them in the order of names.
func Keys(prefix string, names ...string) []ID {
	out := make([]ID, len(names))
	for i, n := range names {
		out[i] = Key(prefix + n)
	}
	return out
}

// Registered lists the declared ids, sorted.
func Registered() []ID {
	registry.Lock()
	defer registry.Unlock()
	out := make([]ID, 0, len(registry.ids))
	for id := range registry.ids {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Defined lists the ids the catalogue of lang defines, sorted.
func Defined(lang string) []ID {
	var out []ID
	for id := range loaded().ids[lang] {
		out = append(out, ID(id))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
