package authz

// LevelFromAMR derives Context.AuthLevel from the authentication methods
// of an access token (its amr claim, RFC 8176 values):
//
//   - 0 when amr is empty: nothing is known about how the subject
//     authenticated, so no condition on the level can hold;
//   - 2 when amr holds "mfa", or at least two distinct methods (a
//     password and a one-time code, a passkey and user verification):
//     NIST SP 800-63B section 2.2 (AAL2) asks for two factors;
//   - 1 otherwise (a password alone, a social login).
//
// cerrojo's login writes amr this way, so a service deciding locally and
// cerrojo's check API agree on the level of the same token.
func LevelFromAMR(amr []string) int {
	distinct := 0
	for i, m := range amr {
		if m == "mfa" {
			return 2
		}
		seen := false
		for _, prev := range amr[:i] {
			seen = seen || prev == m
		}
		if !seen && m != "" {
			distinct++
		}
	}
	switch {
	case distinct >= 2:
		return 2
	case distinct == 1:
		return 1
	}
	return 0
}
