// Package applinks serves the association files that let the mobile app own the server's
// domain: Apple's apple-app-site-association and Android's Digital Asset Links. With them the
// links of account emails open the app when it is installed (universal links, App Links), and
// the app may use passkeys and saved passwords of the domain (Apple's webcredentials, Android's
// get_login_creds). Both are fetched by the platforms from
// https://<domain>/.well-known/... with no redirect, so the API server answers them itself.
package applinks

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// AndroidApp is one signed Android app: its package name and the SHA-256 fingerprint of its
// signing certificate (as `keytool -list` or the Play Console show it, colon-separated hex).
type AndroidApp struct {
	Package     string
	Fingerprint []byte
}

// Origin is the WebAuthn origin the app's passkey requests carry: android:apk-key-hash: and the
// unpadded base64url of the certificate fingerprint.
func (a AndroidApp) Origin() string {
	return "android:apk-key-hash:" + base64.RawURLEncoding.EncodeToString(a.Fingerprint)
}

var (
	appleAppID  = regexp.MustCompile(`^[A-Z0-9]{10}\.[A-Za-z0-9.-]+$`)
	androidPkg  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)+$`)
	fingerprint = regexp.MustCompile(`^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$`)
)

// ParseAppleAppIDs checks APPLE_APP_IDS entries: the team id, a dot, the bundle id.
func ParseAppleAppIDs(ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if !appleAppID.MatchString(id) {
			return nil, fmt.Errorf("APPLE_APP_IDS: %q is not <10-character team id>.<bundle id>", id)
		}
		out = append(out, id)
	}
	return out, nil
}

// ParseAndroidApps checks ANDROID_APPS entries, "<package>=<SHA-256 fingerprint>"; a package
// signed with several certificates (upload and Play signing) is listed once per certificate.
func ParseAndroidApps(entries []string) ([]AndroidApp, error) {
	var out []AndroidApp
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		pkg, fp, ok := strings.Cut(e, "=")
		if !ok || !androidPkg.MatchString(pkg) || !fingerprint.MatchString(fp) {
			return nil, fmt.Errorf("ANDROID_APPS: %q is not <package name>=<SHA-256 certificate fingerprint, 32 colon-separated hex bytes>", e)
		}
		raw, err := hex.DecodeString(strings.ReplaceAll(fp, ":", ""))
		if err != nil {
			return nil, fmt.Errorf("ANDROID_APPS: %q: %w", e, err)
		}
		out = append(out, AndroidApp{Package: pkg, Fingerprint: raw})
	}
	return out, nil
}

// Handler serves the two association files for the given apps; paths are the server's paths
// the app opens itself (the account pages). A platform with no app configured gets 404.
func Handler(apple []string, android []AndroidApp, paths []string) (http.Handler, error) {
	mux := http.NewServeMux()
	if len(apple) > 0 {
		body, err := json.Marshal(appleFile(apple, paths))
		if err != nil {
			return nil, fmt.Errorf("apple-app-site-association: %w", err)
		}
		mux.Handle("GET /.well-known/apple-app-site-association", file(body))
	}
	if len(android) > 0 {
		body, err := json.Marshal(androidFile(android))
		if err != nil {
			return nil, fmt.Errorf("assetlinks.json: %w", err)
		}
		mux.Handle("GET /.well-known/assetlinks.json", file(body))
	}
	return mux, nil
}

// Paths lists the paths Handler serves, for the server's mux.
var Paths = []string{"/.well-known/apple-app-site-association", "/.well-known/assetlinks.json"}

func file(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// Platforms cache these for days anyway; an hour keeps a changed app list quick to spread.
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(body)
	})
}

// appleFile is the apple-app-site-association document (Apple's "Supporting associated
// domains"): the app opens paths, and shares the domain's passkeys and passwords.
func appleFile(apps, paths []string) any {
	components := make([]map[string]string, 0, len(paths))
	for _, p := range paths {
		components = append(components, map[string]string{"/": p, "comment": "account email link"})
	}
	return map[string]any{
		"applinks":       map[string]any{"details": []any{map[string]any{"appIDs": apps, "components": components}}},
		"webcredentials": map[string]any{"apps": apps},
	}
}

// androidFile is the Digital Asset Links statement list: each app handles the domain's links and
// shares its sign-in credentials (passkeys, passwords).
func androidFile(apps []AndroidApp) any {
	type target struct {
		Namespace    string   `json:"namespace"`
		PackageName  string   `json:"package_name"`
		Fingerprints []string `json:"sha256_cert_fingerprints"`
	}
	type statement struct {
		Relation []string `json:"relation"`
		Target   target   `json:"target"`
	}
	byPkg := map[string]int{}
	var out []statement
	for _, a := range apps {
		fp := strings.ToUpper(hex.EncodeToString(a.Fingerprint))
		var b strings.Builder
		for i := 0; i < len(fp); i += 2 {
			if i > 0 {
				b.WriteByte(':')
			}
			b.WriteString(fp[i : i+2])
		}
		if i, ok := byPkg[a.Package]; ok {
			out[i].Target.Fingerprints = append(out[i].Target.Fingerprints, b.String())
			continue
		}
		byPkg[a.Package] = len(out)
		out = append(out, statement{
			Relation: []string{"delegate_permission/common.handle_all_urls", "delegate_permission/common.get_login_creds"},
			Target:   target{Namespace: "android_app", PackageName: a.Package, Fingerprints: []string{b.String()}},
		})
	}
	return out
}
