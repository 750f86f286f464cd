package config_test

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skillswap/skillswap/config"
)

// prodKey is a well-formed production key: 32 random-looking bytes under a non-development id.
var prodKey = "prod-1:" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// safeProduction is the smallest environment production accepts.
func safeProduction() map[string]string {
	return map[string]string{
		"APP_ENV":              "production",
		"DATABASE_URL":         "postgres://app@db.internal:5432/skillswap",
		"JWT_KEYS":             prodKey,
		"PUBLIC_URL":           "https://api.skillswap.example",
		"CORS_ALLOWED_ORIGINS": "https://app.skillswap.example",
		"METRICS_ADDR":         ":9090",
		"SMTP_ADDR":            "smtp.internal:587",
		"MFA_ENCRYPTION_KEY":   base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210")),
	}
}

// dataKey is a DATA_ENCRYPTION_KEYS entry of 32 random-looking bytes.
func dataKey(kid string) string {
	return kid + ":" + base64.StdEncoding.EncodeToString([]byte(kid + "-0123456789abcdef0123456789abcdef")[:32])
}

func with(env map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "<unset>" {
			delete(out, kv[i])
			continue
		}
		out[kv[i]] = kv[i+1]
	}
	return out
}

// TestProductionRefusesUnsafeSettings: each unsafe setting stops the start with a message naming
// the variable to set; the safe baseline starts.
func TestProductionRefusesUnsafeSettings(t *testing.T) {
	t.Parallel()
	base := safeProduction()
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings of the error; none: Load succeeds
	}{
		{"safe baseline", base, nil},
		{"no JWT keys", with(base, "JWT_KEYS", "<unset>"), []string{"JWT_KEYS is not set", "head -c 32 /dev/urandom"}},
		{"short JWT key", with(base, "JWT_KEYS", "prod-1:"+base64.StdEncoding.EncodeToString([]byte("short-secret"))), []string{`key "prod-1" has 12 bytes`, "at least 32"}},
		{"make run's dev key", with(base, "JWT_KEYS", "dev:"+base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))), []string{`key "dev" is a development or test key`}},
		{"a test key among others", with(base, "JWT_KEYS", prodKey+",test-1:"+base64.StdEncoding.EncodeToString([]byte("test-signing-key-0123456789abcdef-0123456789"))), []string{`key "test-1"`}},
		{"unparsable JWT keys", with(base, "JWT_KEYS", "nokid"), []string{"JWT_KEYS"}},
		{"CORS default (localhost only)", with(base, "CORS_ALLOWED_ORIGINS", "<unset>"), []string{"CORS_ALLOWED_ORIGINS allows only local origins", "or to none"}},
		{"CORS localhost only", with(base, "CORS_ALLOWED_ORIGINS", "http://localhost:3000,http://127.0.0.1:3000,http://[::1]:3000"), []string{"CORS_ALLOWED_ORIGINS allows only local origins"}},
		{"CORS wildcard", with(base, "CORS_ALLOWED_ORIGINS", "*"), []string{"wildcard"}},
		{"OIDC issuer over http", with(base, "OIDC_PROVIDERS", `[{"name":"kc","issuer":"http://keycloak.internal/realms/x","clientIds":["app"]}]`), []string{`provider "kc"`, "https://"}},
		{"OIDC issuer over https", with(base, "OIDC_PROVIDERS", `[{"name":"kc","issuer":"https://keycloak.example/realms/x","clientIds":["app"]}]`), nil},
		{"CORS plain http", with(base, "CORS_ALLOWED_ORIGINS", "http://app.skillswap.example"), []string{"is not https"}},
		{"CORS none", with(base, "CORS_ALLOWED_ORIGINS", "none"), nil},
		{"CORS local beside a real origin", with(base, "CORS_ALLOWED_ORIGINS", "https://app.skillswap.example,http://localhost:3000"), nil},
		{"Stripe without webhook secret", with(base, "STRIPE_SECRET_KEY", "sk_live_x"), []string{"STRIPE_WEBHOOK_SECRET", "whsec_"}},
		{"Stripe with webhook secret", with(base, "STRIPE_SECRET_KEY", "sk_live_x", "STRIPE_WEBHOOK_SECRET", "whsec_x"), nil},
		{"PUBLIC_URL default", with(base, "PUBLIC_URL", "<unset>"), []string{"PUBLIC_URL", "https://"}},
		{"PUBLIC_URL http", with(base, "PUBLIC_URL", "http://api.skillswap.example"), []string{"PUBLIC_URL"}},
		{"PUBLIC_URL https localhost", with(base, "PUBLIC_URL", "https://localhost:8443"), []string{"not a local one"}},
		{"metrics public", with(base, "METRICS_ADDR", "<unset>"), []string{"METRICS_ADDR", "METRICS_TOKEN"}},
		{"metrics behind a token", with(base, "METRICS_ADDR", "<unset>", "METRICS_TOKEN", "s3cret"), nil},
		{"pprof on all interfaces", with(base, "PPROF_ADDR", ":6060"), []string{"PPROF_ADDR", "127.0.0.1:6060"}},
		{"pprof on loopback", with(base, "PPROF_ADDR", "127.0.0.1:6060"), nil},
		{"no SMTP relay", with(base, "SMTP_ADDR", "<unset>"), []string{"SMTP_ADDR is not set"}},
		{"no encryption key", with(base, "MFA_ENCRYPTION_KEY", "<unset>"), []string{"DATA_ENCRYPTION_KEYS is not set", "head -c 32"}},
		{"a keyring instead of the MFA key", with(base, "MFA_ENCRYPTION_KEY", "<unset>", "DATA_ENCRYPTION_KEYS", dataKey("prod-1")), nil},
		{"a keyring beside the MFA key", with(base, "DATA_ENCRYPTION_KEYS", dataKey("prod-1")), nil},
		{"a development data key", with(base, "DATA_ENCRYPTION_KEYS", dataKey("dev")), []string{`DATA_ENCRYPTION_KEYS: key "dev" is a development or test key`}},
		{"short MFA key", with(base, "MFA_ENCRYPTION_KEY", base64.StdEncoding.EncodeToString([]byte("short"))), []string{"MFA_ENCRYPTION_KEY: 5 bytes"}},
		{"several problems at once", with(base, "JWT_KEYS", "<unset>", "METRICS_ADDR", "<unset>"), []string{"JWT_KEYS", "METRICS_ADDR"}},
		{"development accepts the defaults", map[string]string{"DATABASE_URL": "postgres://localhost/x"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.LoadFrom(tc.env)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("started; want an error mentioning %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestProfileDefaults: introspection, the playground, field suggestions and the drain delay
// follow APP_ENV unless their variable is set, which wins either way.
func TestProfileDefaults(t *testing.T) {
	t.Parallel()
	type want struct {
		introspection, playground, suggestions bool
		drain                                  time.Duration
		staffMFA                               bool
	}
	dev := map[string]string{"DATABASE_URL": "postgres://localhost/x"}
	tests := []struct {
		name string
		env  map[string]string
		want want
	}{
		{"development", dev, want{true, true, true, 0, false}},
		{"production", safeProduction(), want{false, false, false, config.ProductionDrainDelay, true}},
		{"production, enabled explicitly", with(safeProduction(), "INTROSPECTION", "true", "PLAYGROUND", "true", "FIELD_SUGGESTIONS", "true", "SHUTDOWN_DRAIN_DELAY", "0s", "STAFF_REQUIRE_MFA", "false"),
			want{true, true, true, 0, false}},
		{"development, disabled explicitly", with(dev, "INTROSPECTION", "false", "PLAYGROUND", "false", "FIELD_SUGGESTIONS", "false", "SHUTDOWN_DRAIN_DELAY", "2s", "STAFF_REQUIRE_MFA", "true"),
			want{false, false, false, 2 * time.Second, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.LoadFrom(tc.env)
			if err != nil {
				t.Fatal(err)
			}
			got := want{c.Introspection, c.Playground, c.FieldSuggestions, c.ShutdownDrainDelay, c.StaffRequireMFA}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	if d := config.Defaults(); !d.Introspection || !d.Playground || !d.FieldSuggestions || d.ShutdownDrainDelay != 0 {
		t.Fatalf("Defaults() is not the development profile: %+v", d)
	}
	if c, err := config.LoadFrom(with(safeProduction(), "CORS_ALLOWED_ORIGINS", "none")); err != nil || len(c.CORSAllowedOrigins) != 0 {
		t.Fatalf("CORS_ALLOWED_ORIGINS=none: %v %v", c.CORSAllowedOrigins, err)
	}
	if _, err := config.LoadFrom(with(dev, "SHUTDOWN_DRAIN_DELAY", "-1s")); err == nil {
		t.Fatal("a negative SHUTDOWN_DRAIN_DELAY was accepted")
	}
}

func TestOIDCProviders(t *testing.T) {
	t.Parallel()
	c, err := config.LoadFrom(map[string]string{"DATABASE_URL": "postgres://localhost/x", "OIDC_PROVIDERS": `[
		{"name": "google", "issuer": "https://accounts.google.com", "clientIds": ["ios", "web"]},
		{"name": "apple", "issuer": "https://appleid.apple.com", "clientIds": ["com.example"], "hashedNonce": true}]`})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.OIDCProviders) != 2 || c.OIDCProviders[0].ClientIDs[1] != "web" || c.OIDCProviders[1].HashedNonce == nil || !*c.OIDCProviders[1].HashedNonce {
		t.Fatalf("providers = %+v", c.OIDCProviders)
	}
	if c, err := config.LoadFrom(map[string]string{"DATABASE_URL": "postgres://localhost/x"}); err != nil || len(c.OIDCProviders) != 0 {
		t.Fatalf("default: %+v, %v", c.OIDCProviders, err)
	}
	for name, value := range map[string]string{
		"not JSON":         `google`,
		"unknown field":    `[{"name":"g","issuer":"https://a.example","clientIds":["x"],"clientId":"y"}]`,
		"no name":          `[{"issuer":"https://a.example","clientIds":["x"]}]`,
		"name twice":       `[{"name":"g","issuer":"https://a.example","clientIds":["x"]},{"name":"g","issuer":"https://b.example","clientIds":["x"]}]`,
		"no issuer":        `[{"name":"g","clientIds":["x"]}]`,
		"issuer not a URL": `[{"name":"g","issuer":"accounts.google.com","clientIds":["x"]}]`,
		"no client id":     `[{"name":"g","issuer":"https://a.example","clientIds":[]}]`,
	} {
		if _, err := config.LoadFrom(map[string]string{"DATABASE_URL": "postgres://localhost/x", "OIDC_PROVIDERS": value}); err == nil || !strings.Contains(err.Error(), "OIDC_PROVIDERS") {
			t.Errorf("%s: err = %v, want an OIDC_PROVIDERS error", name, err)
		}
	}
}

// TestDataKeyring: DATA_ENCRYPTION_KEYS and MFA_ENCRYPTION_KEY make one keyring; mistakes stop
// the start in every environment, each with what to fix.
func TestDataKeyring(t *testing.T) {
	t.Parallel()
	mfa := base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))
	dev := map[string]string{"DATABASE_URL": "postgres://localhost/x"}
	tests := []struct {
		name        string
		env         map[string]string
		wantPrimary string
		wantIDs     []string
		wantErr     string
	}{
		{"nothing set", dev, "", nil, ""},
		{"MFA key alone (make run, older deployments)", with(dev, "MFA_ENCRYPTION_KEY", mfa), "legacy", []string{"legacy"}, ""},
		{"one key", with(dev, "DATA_ENCRYPTION_KEYS", dataKey("k1")), "k1", []string{"k1"}, ""},
		{"one key and the MFA key: the new key seals", with(dev, "DATA_ENCRYPTION_KEYS", dataKey("k1"), "MFA_ENCRYPTION_KEY", mfa), "k1", []string{"k1", "legacy"}, ""},
		{"two keys and a primary", with(dev, "DATA_ENCRYPTION_KEYS", dataKey("k1")+","+dataKey("k2"), "DATA_ENCRYPTION_PRIMARY", "k2"), "k2", []string{"k1", "k2"}, ""},
		{"two keys, no primary", with(dev, "DATA_ENCRYPTION_KEYS", dataKey("k1")+","+dataKey("k2")), "", nil, "set DATA_ENCRYPTION_PRIMARY"},
		{"primary not a key", with(dev, "DATA_ENCRYPTION_KEYS", dataKey("k1"), "DATA_ENCRYPTION_PRIMARY", "k9"), "", nil, `DATA_ENCRYPTION_PRIMARY is "k9"`},
		{"short key", with(dev, "DATA_ENCRYPTION_KEYS", "k1:"+base64.StdEncoding.EncodeToString([]byte("short"))), "", nil, `"k1": 5 bytes`},
		{"not base64", with(dev, "DATA_ENCRYPTION_KEYS", "k1:!!!"), "", nil, "not base64"},
		{"no kid", with(dev, "DATA_ENCRYPTION_KEYS", "abc"), "", nil, "want kid:base64key"},
		{"reserved id", with(dev, "DATA_ENCRYPTION_KEYS", dataKey("legacy")), "", nil, "reserved"},
		{"webhook events forgotten before Stripe stops retrying", with(dev, "WEBHOOK_EVENT_RETENTION", "24h"), "", nil, "at least 72h"},
		{"negative retention", with(dev, "NOTIFICATION_RETENTION", "-1h"), "", nil, "not negative"},
		{"duplicate id", with(dev, "DATA_ENCRYPTION_KEYS", dataKey("k1")+","+dataKey("k1")), "", nil, "used twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.LoadFrom(tc.env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("LoadFrom = %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			primary, keys, err := c.DataKeyring()
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for id, k := range keys {
				if len(k) != 32 {
					t.Errorf("key %q has %d bytes", id, len(k))
				}
				ids = append(ids, id)
			}
			slices.Sort(ids)
			if primary != tc.wantPrimary || !slices.Equal(ids, tc.wantIDs) {
				t.Fatalf("primary %q, ids %v; want %q, %v", primary, ids, tc.wantPrimary, tc.wantIDs)
			}
		})
	}
}

func TestWebAuthnSettings(t *testing.T) {
	t.Parallel()
	db := map[string]string{"DATABASE_URL": "postgres://localhost/x"}
	apk := config.AndroidOriginPrefix + base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	c, err := config.LoadFrom(with(db, "PUBLIC_URL", "https://API.skillswap.example:8443/graphql"))
	if err != nil {
		t.Fatal(err)
	}
	if c.WebAuthnRPID != "api.skillswap.example" || c.WebAuthnRPName != "SkillSwap" ||
		strings.Join(c.WebAuthnOrigins, ",") != "https://api.skillswap.example:8443" {
		t.Fatalf("defaults from PUBLIC_URL: rp %q name %q origins %q", c.WebAuthnRPID, c.WebAuthnRPName, c.WebAuthnOrigins)
	}
	c, err = config.LoadFrom(with(db, "WEBAUTHN_RP_ID", "skillswap.example", "WEBAUTHN_RP_NAME", "Skill Swap",
		"WEBAUTHN_ORIGINS", " https://app.skillswap.example, https://skillswap.example ,"+apk))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.WebAuthnOrigins, ","); got != "https://app.skillswap.example,https://skillswap.example,"+apk || c.WebAuthnRPName != "Skill Swap" {
		t.Fatalf("origins %q, name %q", got, c.WebAuthnRPName)
	}
	for name, kv := range map[string][]string{
		"rp id with a scheme":        {"WEBAUTHN_RP_ID", "https://skillswap.example"},
		"rp id with a port":          {"WEBAUTHN_RP_ID", "skillswap.example:443"},
		"rp id an IP address":        {"WEBAUTHN_RP_ID", "10.0.0.1", "WEBAUTHN_ORIGINS", "https://10.0.0.1"},
		"empty rp name":              {"WEBAUTHN_RP_NAME", "  "},
		"origin off the rp id":       {"WEBAUTHN_RP_ID", "skillswap.example", "WEBAUTHN_ORIGINS", "https://evil.example"},
		"origin a suffix look-alike": {"WEBAUTHN_RP_ID", "skillswap.example", "WEBAUTHN_ORIGINS", "https://notskillswap.example"},
		"origin with a path":         {"WEBAUTHN_RP_ID", "skillswap.example", "WEBAUTHN_ORIGINS", "https://skillswap.example/app"},
		"origin without a scheme":    {"WEBAUTHN_RP_ID", "skillswap.example", "WEBAUTHN_ORIGINS", "skillswap.example"},
		"android hash not base64url": {"WEBAUTHN_ORIGINS", config.AndroidOriginPrefix + "not base64!"},
		"android hash too short":     {"WEBAUTHN_ORIGINS", config.AndroidOriginPrefix + base64.RawURLEncoding.EncodeToString(make([]byte, 20))},
	} {
		if _, err := config.LoadFrom(with(db, kv...)); err == nil || !strings.Contains(err.Error(), "WEBAUTHN_") {
			t.Errorf("%s: err = %v, want a WEBAUTHN_ error", name, err)
		}
	}
}

// TestProductionRefusesHTTPPasskeyOrigins: browsers allow passkeys over http on localhost only.
func TestProductionRefusesHTTPPasskeyOrigins(t *testing.T) {
	t.Parallel()
	_, err := config.LoadFrom(with(safeProduction(), "WEBAUTHN_ORIGINS", "https://api.skillswap.example,http://api.skillswap.example"))
	if err == nil || !strings.Contains(err.Error(), `WEBAUTHN_ORIGINS has "http://api.skillswap.example"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestHeavyOperationSettings: the admission lane's settings refuse values that would make it
// admit nothing or call everything expensive, naming the variables; the edges they allow start.
func TestHeavyOperationSettings(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"HEAVY_OPERATION_SLOTS", "-1", false},
		{"HEAVY_OPERATION_SLOTS", "0", true}, // half the CPUs
		{"HEAVY_OPERATION_QUEUE", "-1", false},
		{"HEAVY_OPERATION_QUEUE", "0", true}, // a full lane refuses at once
		{"HEAVY_OPERATION_WAIT", "0s", false},
		{"HEAVY_OPERATION_WAIT", "-1s", false},
		{"HEAVY_OPERATION_COMPLEXITY", "0", false},
		{"HEAVY_OPERATION_COMPLEXITY", "1", true},
		{"HEAVY_OPERATION_BYTES", "-1", false},
		{"HEAVY_OPERATION_BYTES", "0", true},
	} {
		_, err := config.LoadFrom(map[string]string{"DATABASE_URL": "postgres://localhost/skillswap", tc.name: tc.value})
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s=%s refused: %v", tc.name, tc.value, err)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), tc.name)):
			t.Errorf("%s=%s: error %v, want one naming %s", tc.name, tc.value, err, tc.name)
		}
	}
}
