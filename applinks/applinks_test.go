package applinks_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/skillswap/skillswap/applinks"
	"github.com/skillswap/skillswap/internal/apitest"
)

// The example fingerprint of Android's App Links documentation.
const docFingerprint = "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5"

func TestParseRefusesMalformedEntries(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		apple   []string
		android []string
		want    string
	}{
		{"apple without team id", []string{"com.skillswap.app"}, nil, "APPLE_APP_IDS"},
		{"apple lower-case team id", []string{"abcde12345.com.skillswap.app"}, nil, "APPLE_APP_IDS"},
		{"android without fingerprint", nil, []string{"com.skillswap.app"}, "ANDROID_APPS"},
		{"android short fingerprint", nil, []string{"com.skillswap.app=14:6D:E9"}, "ANDROID_APPS"},
		{"android SHA-1 fingerprint", nil, []string{"com.skillswap.app=" + docFingerprint[:59]}, "ANDROID_APPS"},
		{"android package without dot", nil, []string{"skillswap=" + docFingerprint}, "ANDROID_APPS"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, errA := applinks.ParseAppleAppIDs(c.apple)
			_, errB := applinks.ParseAndroidApps(c.android)
			err := errA
			if err == nil {
				err = errB
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want one naming %s", err, c.want)
			}
		})
	}
}

func TestAndroidOriginIsTheFingerprintInBase64URL(t *testing.T) {
	t.Parallel()
	apps, err := applinks.ParseAndroidApps([]string{" com.skillswap.app=" + strings.ToLower(docFingerprint) + " ", ""})
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 {
		t.Fatalf("apps = %v", apps)
	}
	// base64url (no padding) of the 32 bytes, as Android's Credential Manager sends it.
	if got, want := apps[0].Origin(), "android:apk-key-hash:FG3pg8VzBlDY7rmVLzT8ZBagg0LmHb6oigSWsj_PROU"; got != want {
		t.Fatalf("origin = %q, want %q", got, want)
	}
}

func TestAssociationFiles(t *testing.T) {
	t.Parallel()
	apple, err := applinks.ParseAppleAppIDs([]string{"ABCDE12345.com.skillswap.app"})
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(docFingerprint, "14:6D", "AA:BB", 1)
	android, err := applinks.ParseAndroidApps([]string{"com.skillswap.app=" + docFingerprint, "com.skillswap.app=" + other})
	if err != nil {
		t.Fatal(err)
	}
	h, err := applinks.Handler(apple, android, []string{"/verify-email", "/reset-password"})
	if err != nil {
		t.Fatal(err)
	}

	var aasa struct {
		Applinks struct {
			Details []struct {
				AppIDs     []string
				Components []map[string]string
			}
		}
		Webcredentials struct{ Apps []string }
	}
	serve(t, h, "/.well-known/apple-app-site-association", &aasa)
	if len(aasa.Applinks.Details) != 1 || !slices.Equal(aasa.Applinks.Details[0].AppIDs, apple) ||
		len(aasa.Applinks.Details[0].Components) != 2 || aasa.Applinks.Details[0].Components[1]["/"] != "/reset-password" ||
		!slices.Equal(aasa.Webcredentials.Apps, apple) {
		t.Fatalf("apple-app-site-association = %+v", aasa)
	}

	var links []struct {
		Relation []string
		Target   struct {
			Namespace    string
			PackageName  string   `json:"package_name"`
			Fingerprints []string `json:"sha256_cert_fingerprints"`
		}
	}
	serve(t, h, "/.well-known/assetlinks.json", &links)
	// One statement per package, with both certificates; links and passkeys both delegated.
	if len(links) != 1 || links[0].Target.Namespace != "android_app" || links[0].Target.PackageName != "com.skillswap.app" ||
		!slices.Equal(links[0].Target.Fingerprints, []string{docFingerprint, other}) ||
		!slices.Contains(links[0].Relation, "delegate_permission/common.get_login_creds") ||
		!slices.Contains(links[0].Relation, "delegate_permission/common.handle_all_urls") {
		t.Fatalf("assetlinks.json = %+v", links)
	}
}

func serve(t *testing.T, h http.Handler, path string, v any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %q", path, rec.Code, rec.Header().Get("Content-Type"))
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// The server mounts the files from configuration, and answers 404 for a platform with no app.
func TestServerServesConfiguredApps(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.AndroidApps = []string{"com.skillswap.app=" + docFingerprint}
	srv := apitest.Start(t, cfg)
	for path, want := range map[string]int{
		"/.well-known/assetlinks.json":            http.StatusOK,
		"/.well-known/apple-app-site-association": http.StatusNotFound,
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
