package hygiene

import "testing"

func TestLooksSecret(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        bool
	}{
		{"NPM_TOKEN", "npm_abcdefghijklmnop0123456789", true},
		{"DB_PASSWORD", "hunter2hunter2", true},
		{"STRIPE_API_KEY", "abcdefgh12345678", true},
		{"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true},
		{"CLIENT_SECRET", "0123456789abcdef", true},
		// Known token shapes, whatever the name.
		{"GH", "ghp_0123456789abcdefghijABCDEFGHIJ012345", true},
		{"X", "AKIAIOSFODNN7EXAMPLE", true},
		{"DATABASE_URL", "postgres://app:s3cret@db:5432/app", true},
		// Not secrets: the official images' public key fingerprints,
		// names that only contain a secret word, paths, references, URLs.
		{"GPG_KEY", "A035C8C19219BA821ECEA86B64E628F8D684696D", false},
		{"AUTHOR", "Jane Doe <jane@example.com>", false},
		{"PASSWORD_FILE", "/run/secrets/db", false},
		{"TOKEN", "$CI_JOB_TOKEN", false},
		{"AUTH_URL", "https://auth.example.com/token", false},
		{"SECRET", "short", false},
		{"PATH", "/usr/local/bin:/usr/bin", false},
		{"NODE_VERSION", "20.11.1", false},
	} {
		if got := looksSecret(tc.name, tc.value); got != tc.want {
			t.Errorf("looksSecret(%s=%s) = %v, want %v", tc.name, tc.value, got, tc.want)
		}
	}
}
