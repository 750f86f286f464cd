package rekey_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/rekey"
	"github.com/skillswap/skillswap/sealbox"
	"github.com/skillswap/skillswap/store"
)

type env struct {
	t   *testing.T
	ctx context.Context
	st  *store.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	pool, err := store.OpenPool(ctx, testdb.New(t), store.PoolConfig{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &env{t: t, ctx: ctx, st: store.New(pool, nil, slog.New(slog.DiscardHandler))}
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.st.Pool().Exec(e.ctx, sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// member creates an account with a TOTP secret stored as sealed.
func (e *env) member(sealed func(userID uuid.UUID) []byte) uuid.UUID {
	e.t.Helper()
	id := uuid.Must(uuid.NewV7())
	e.exec(`INSERT INTO users (id, email, password_hash, display_name) VALUES ($1, $2, 'x', 'Rekey test')`,
		id, id.String()+"@example.com")
	e.exec(`INSERT INTO user_totp (user_id, secret_enc, created_at) VALUES ($1, $2, now())`, id, sealed(id))
	return id
}

func (e *env) stored(userID uuid.UUID) []byte {
	e.t.Helper()
	var v []byte
	if err := e.st.Pool().QueryRow(e.ctx, `SELECT secret_enc FROM user_totp WHERE user_id = $1`, userID).Scan(&v); err != nil {
		e.t.Fatal(err)
	}
	return v
}

func randomKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, sealbox.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func keyring(t *testing.T, primary string, keys map[string][]byte) *sealbox.Keyring {
	t.Helper()
	k, err := sealbox.NewKeyring(primary, keys)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// legacySeal is what auth wrote before keyrings (format 1 under MFA_ENCRYPTION_KEY).
func legacySeal(t *testing.T, key []byte, userID uuid.UUID, plain []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		t.Fatal(err)
	}
	return gcm.Seal(append([]byte{1}, nonce...), nonce, plain, userID[:])
}

func secretOf(id uuid.UUID) []byte { return []byte("SECRET-" + id.String()) }

// TestRotateFromOldKeysToThePrimary: values under k1 and in the pre-keyring format are read
// before and after; a run moves all of them to k2 in batches; a second run has nothing to do.
func TestRotateFromOldKeysToThePrimary(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	legacy, k1, k2 := randomKey(t), randomKey(t), randomKey(t)
	old := keyring(t, "k1", map[string][]byte{"k1": k1})

	var ids []uuid.UUID
	for i := range 7 {
		ids = append(ids, e.member(func(id uuid.UUID) []byte {
			if i%3 == 0 {
				return legacySeal(t, legacy, id, secretOf(id))
			}
			v, err := old.Seal(auth.TOTPSecretBinding(id), secretOf(id))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}))
	}
	rotated := keyring(t, "k2", map[string][]byte{sealbox.LegacyKeyID: legacy, "k1": k1, "k2": k2})
	for _, id := range ids {
		if got, err := rotated.Open(auth.TOTPSecretBinding(id), e.stored(id)); err != nil || string(got) != string(secretOf(id)) {
			t.Fatalf("before the run, %s: %q, %v", id, got, err)
		}
	}

	res, err := rekey.New(e.st, rotated, 2, slog.New(slog.DiscardHandler)).Run(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Column != "user_totp.secret_enc" || res[0].Resealed != len(ids) || res[0].Failed != 0 {
		t.Fatalf("run: %+v, want %d resealed in user_totp.secret_enc", res, len(ids))
	}
	// Every value is under k2 now: the old keys can go.
	onlyK2 := keyring(t, "k2", map[string][]byte{"k2": k2})
	for _, id := range ids {
		v := e.stored(id)
		if kid, _ := sealbox.KeyID(v); kid != "k2" {
			t.Fatalf("%s is under %q after the run", id, kid)
		}
		if got, err := onlyK2.Open(auth.TOTPSecretBinding(id), v); err != nil || string(got) != string(secretOf(id)) {
			t.Fatalf("after the run, %s: %q, %v", id, got, err)
		}
	}

	res, err = rekey.New(e.st, rotated, 2, slog.New(slog.DiscardHandler)).Run(e.ctx)
	if err != nil || res[0].Resealed != 0 {
		t.Fatalf("second run: %+v, %v; want nothing to do", res, err)
	}
}

// TestRotationReportsWhatItCannotOpen: a value under a key the keyring lacks, and a value moved
// to another member's row, are left as they are and named in the error; the others are rotated
// all the same, and a later run with the missing key finishes the job.
func TestRotationReportsWhatItCannotOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	k1, k2, k9 := randomKey(t), randomKey(t), randomKey(t)
	ring1 := keyring(t, "k1", map[string][]byte{"k1": k1})
	ring9 := keyring(t, "k9", map[string][]byte{"k9": k9})
	seal := func(r *sealbox.Keyring) func(uuid.UUID) []byte {
		return func(id uuid.UUID) []byte {
			v, err := r.Seal(auth.TOTPSecretBinding(id), secretOf(id))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	good := e.member(seal(ring1))
	unknown := e.member(seal(ring9))
	victim := e.member(seal(ring1))
	// An attacker with write access copies their own secret into the victim's row.
	attacker := e.member(seal(ring1))
	e.exec(`UPDATE user_totp SET secret_enc = $2 WHERE user_id = $1`, victim, e.stored(attacker))
	before := e.stored(victim)

	ring := keyring(t, "k2", map[string][]byte{"k1": k1, "k2": k2})
	res, err := rekey.New(e.st, ring, 1, slog.New(slog.DiscardHandler)).Run(e.ctx)
	if err == nil || !errors.Is(err, sealbox.ErrUnknownKey) || !errors.Is(err, sealbox.ErrCorrupt) ||
		!strings.Contains(err.Error(), `"k9"`) || !strings.Contains(err.Error(), "2 value(s) of user_totp.secret_enc") {
		t.Fatalf("run error: %v; want the unknown key k9 and the moved value reported", err)
	}
	if res[0].Resealed != 2 || res[0].Failed != 2 {
		t.Fatalf("run: %+v, want 2 resealed (good, attacker) and 2 failed", res)
	}
	if kid, _ := sealbox.KeyID(e.stored(good)); kid != "k2" {
		t.Fatalf("the good value is under %q", kid)
	}
	if kid, _ := sealbox.KeyID(e.stored(unknown)); kid != "k9" {
		t.Fatalf("the value under k9 was changed to %q", kid)
	}
	if string(e.stored(victim)) != string(before) {
		t.Fatal("the moved value was rewritten")
	}

	withK9 := keyring(t, "k2", map[string][]byte{"k1": k1, "k2": k2, "k9": k9})
	res, err = rekey.New(e.st, withK9, 1, slog.New(slog.DiscardHandler)).Run(e.ctx)
	if !errors.Is(err, sealbox.ErrCorrupt) || errors.Is(err, sealbox.ErrUnknownKey) || res[0].Resealed != 1 || res[0].Failed != 1 {
		t.Fatalf("run with k9: %+v, %v; want k9's value rotated and the moved one still reported", res, err)
	}
}

// TestTwoRotatorsAtOnce: runs on two instances share the rows (SKIP LOCKED) and every value
// ends under the primary exactly once.
func TestTwoRotatorsAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	k1, k2 := randomKey(t), randomKey(t)
	ring1 := keyring(t, "k1", map[string][]byte{"k1": k1})
	var ids []uuid.UUID
	for range 40 {
		ids = append(ids, e.member(func(id uuid.UUID) []byte {
			v, err := ring1.Seal(auth.TOTPSecretBinding(id), secretOf(id))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}))
	}
	ring := keyring(t, "k2", map[string][]byte{"k1": k1, "k2": k2})
	type out struct {
		res []rekey.Result
		err error
	}
	done := make(chan out, 2)
	for range 2 {
		go func() {
			res, err := rekey.New(e.st, ring, 3, slog.New(slog.DiscardHandler)).Run(e.ctx)
			done <- out{res, err}
		}()
	}
	total := 0
	for range 2 {
		select {
		case o := <-done:
			if o.err != nil {
				t.Fatal(o.err)
			}
			total += o.res[0].Resealed
		case <-time.After(time.Minute):
			t.Fatal("rotators did not finish")
		}
	}
	// A row skipped by both (locked by the other) is caught by the next run: at most a rerun.
	res, err := rekey.New(e.st, ring, 3, slog.New(slog.DiscardHandler)).Run(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	total += res[0].Resealed
	if total != len(ids) {
		t.Fatalf("resealed %d values in all, want %d (each once)", total, len(ids))
	}
	for _, id := range ids {
		if kid, _ := sealbox.KeyID(e.stored(id)); kid != "k2" {
			t.Fatalf("%s under %q", id, kid)
		}
	}
}
