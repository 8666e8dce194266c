package app

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/audit"
	internalauthz "github.com/cerrojo/cerrojo/internal/authz"
	"github.com/cerrojo/cerrojo/internal/calendar"
	"github.com/cerrojo/cerrojo/internal/config"
	"github.com/cerrojo/cerrojo/internal/dian"
	"github.com/cerrojo/cerrojo/internal/docid"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/incidents"
	"github.com/cerrojo/cerrojo/internal/login"
	"github.com/cerrojo/cerrojo/internal/mail"
	"github.com/cerrojo/cerrojo/internal/mfa"
	"github.com/cerrojo/cerrojo/internal/passkeys"
	"github.com/cerrojo/cerrojo/internal/password"
	"github.com/cerrojo/cerrojo/internal/ratelimit"
	"github.com/cerrojo/cerrojo/internal/social"
	"github.com/cerrojo/cerrojo/internal/vendors"
	"github.com/cerrojo/cerrojo/sdk"
	sdkauthorizer "github.com/cerrojo/cerrojo/sdk/authorizer"
	sdkpolicy "github.com/cerrojo/cerrojo/sdk/authz"
)

// TestLimitsDocMatchesCode checks that docs/limits.md states the values the
// code enforces, for every limit reachable from here: exported constants
// and configuration defaults. Each is found by the row whose "Enforced in"
// column names it in backticks; the first whole number of that row's
// "Value" column must equal the code's value (bytes, runes, items, or
// seconds for durations).
func TestLimitsDocMatchesCode(t *testing.T) {
	raw, err := os.ReadFile("../../docs/limits.md")
	if err != nil {
		t.Fatalf("read docs/limits.md: %v", err)
	}
	rows := limitDocRows(string(raw))
	if len(rows) == 0 {
		t.Fatal("docs/limits.md has no limit table rows")
	}

	d := config.Default()
	secs := func(v time.Duration) int64 { return int64(v / time.Second) }

	checks := []struct {
		name string // as written in the "Enforced in" column
		want int64
	}{
		// HTTP envelope.
		{"httpx.MaxJSONDepth", httpx.MaxJSONDepth},
		{"httpx.MaxJSONStringBytes", httpx.MaxJSONStringBytes},
		{"httpx.MaxJSONArrayLen", httpx.MaxJSONArrayLen},
		{"httpx.MaxJSONObjectKeys", httpx.MaxJSONObjectKeys},
		{"http.max_body_bytes", d.HTTP.MaxBodyBytes},
		{"http.max_header_bytes", int64(d.HTTP.MaxHeaderBytes)},
		{"http.read_header_timeout", secs(d.HTTP.ReadHeaderTimeout.D())},
		{"http.read_timeout", secs(d.HTTP.ReadTimeout.D())},
		{"http.write_timeout", secs(d.HTTP.WriteTimeout.D())},
		{"http.idle_timeout", secs(d.HTTP.IdleTimeout.D())},
		{"http.shutdown_timeout", secs(d.HTTP.ShutdownTimeout.D())},

		// Rate limits: the documented rate of each default.
		{"ratelimit.login", int64(mustLimit(t, d.RateLimit.Login).Rate)},
		{"ratelimit.login_account", int64(mustLimit(t, d.RateLimit.LoginAccount).Rate)},
		{"ratelimit.registration", int64(mustLimit(t, d.RateLimit.Registration).Rate)},
		{"ratelimit.recovery", int64(mustLimit(t, d.RateLimit.Recovery).Rate)},
		{"ratelimit.recovery_account", int64(mustLimit(t, d.RateLimit.RecoveryAccount).Rate)},
		{"ratelimit.code", int64(mustLimit(t, d.RateLimit.Code).Rate)},
		{"ratelimit.code_account", int64(mustLimit(t, d.RateLimit.CodeAccount).Rate)},
		{"ratelimit.token", int64(mustLimit(t, d.RateLimit.Token).Rate)},
		{"ratelimit.check", int64(mustLimit(t, d.RateLimit.Check).Rate)},
		{"ratelimit.default", int64(mustLimit(t, d.RateLimit.Default).Rate)},
		{"ratelimit.DefaultMaxKeys", ratelimit.DefaultMaxKeys},

		// Accounts, passwords, sign-in.
		{"accounts.VerificationCodeTTL", secs(accounts.VerificationCodeTTL)},
		{"accounts.ResetTokenTTL", secs(accounts.ResetTokenTTL)},
		{"password.MaxPasswordBytes", password.MaxPasswordBytes},
		{"password.min_length", int64(d.Password.MinLength)},
		{"password.max_concurrent", int64(d.Password.MaxConcurrent)},
		{"password.argon2_memory_kib", int64(d.Password.Argon2MemoryKiB)},
		{"accounts.lockout_threshold", int64(d.Accounts.LockoutThreshold)},
		{"accounts.ip_threshold", int64(d.Accounts.IPThreshold)},
		{"login.MaxChallengeAttempts", login.MaxChallengeAttempts},
		{"sessions.max_per_user", int64(d.Sessions.MaxPerUser)},

		// Second factors and passkeys.
		{"mfa.TOTPDigits", mfa.TOTPDigits},
		{"mfa.RecoveryCodeCount", mfa.RecoveryCodeCount},
		{"mfa.max_failures", int64(d.MFA.MaxFailures)},
		{"mfa.code_ttl", secs(d.MFA.CodeTTL.D())},
		{"passkeys.MaxResponseBytes", passkeys.MaxResponseBytes},
		{"passkeys.MaxPasskeysPerUser", passkeys.MaxPasskeysPerUser},
		{"passkeys.MaxNameRunes", passkeys.MaxNameRunes},
		{"passkeys.ChallengeTTL", secs(passkeys.ChallengeTTL)},

		// Social login.
		{"social.StateTTL", secs(social.StateTTL)},
		{"social.ResultTTL", secs(social.ResultTTL)},
		{"social.LinkTTL", secs(social.LinkTTL)},
		{"social.MaxParamBytes", social.MaxParamBytes},
		{"social.MaxAppleUserBytes", social.MaxAppleUserBytes},
		{"social.MaxReturnToBytes", social.MaxReturnToBytes},
		{"social.MaxUserInfoBytes", social.MaxUserInfoBytes},
		{"social.MaxProviderBodyBytes", social.MaxProviderBodyBytes},

		// Authorization API and policies.
		{"authz.MaxBatch", internalauthz.MaxBatch},
		{"authz.MaxMembers", internalauthz.MaxMembers},
		{"sdk/authz.MaxPolicyBytes", sdkpolicy.MaxPolicyBytes},
		{"sdk/authz.MaxResourceTypes", sdkpolicy.MaxResourceTypes},
		{"sdk/authz.MaxActions", sdkpolicy.MaxActions},
		{"sdk/authz.MaxAttributes", sdkpolicy.MaxAttributes},
		{"sdk/authz.MaxRoles", sdkpolicy.MaxRoles},
		{"sdk/authz.MaxInherits", sdkpolicy.MaxInherits},
		{"sdk/authz.MaxRules", sdkpolicy.MaxRules},
		{"sdk/authz.MaxRuleRoles", sdkpolicy.MaxRuleRoles},
		{"sdk/authz.MaxRulePermissions", sdkpolicy.MaxRulePermissions},
		{"sdk/authz.MaxFlatGrants", sdkpolicy.MaxFlatGrants},
		{"sdk/authz.MaxNameLen", sdkpolicy.MaxNameLen},
		{"sdk/authz.MaxRuleIDLen", sdkpolicy.MaxRuleIDLen},
		{"sdk/authz.MaxVersionLen", sdkpolicy.MaxVersionLen},
		{"sdk/authz.MaxConditionBytes", sdkpolicy.MaxConditionBytes},
		{"sdk/authz.MaxConditionCost", sdkpolicy.MaxConditionCost},
		{"sdk/authz.MaxProblems", sdkpolicy.MaxProblems},

		// Audit.
		{"audit.MaxSearchLimit", audit.MaxSearchLimit},
		{"audit.MaxExportLimit", audit.MaxExportLimit},

		// Incidents.
		{"incidents.MaxTitleLen", incidents.MaxTitleLen},
		{"incidents.MaxDescriptionLen", incidents.MaxDescriptionLen},
		{"incidents.MaxNoteLen", incidents.MaxNoteLen},
		{"incidents.MaxListItems", incidents.MaxListItems},
		{"incidents.MaxListItemLen", incidents.MaxListItemLen},
		{"incidents.MaxReferenceLen", incidents.MaxReferenceLen},

		// Vendors and documents.
		{"vendors.max_document_bytes", int64(d.Vendors.MaxDocumentBytes)},
		{"vendors.DefaultMaxDocumentBytes", vendors.DefaultMaxDocumentBytes},
		{"docid.MaxInputBytes", docid.MaxInputBytes},

		// DIAN.
		{"dian.MaxAmountDigits", dian.MaxAmountDigits},
		{"dian.MaxQRBytes", dian.MaxQRBytes},
		{"dian.max_response_bytes", d.DIAN.MaxResponseBytes},
		{"dian.MaxP12Bytes", dian.MaxP12Bytes},

		// Dates.
		{"calendar.MinYear", calendar.MinYear},
		{"calendar.MaxYear", calendar.MaxYear},
		{"calendar.MaxBusinessDays", calendar.MaxBusinessDays},

		// Mail.
		{"mail.MaxAddressBytes", mail.MaxAddressBytes},
		{"mail.MaxSubjectRunes", mail.MaxSubjectRunes},
		{"mail.MaxBodyBytes", mail.MaxBodyBytes},
		{"mail.MaxLinkBytes", mail.MaxLinkBytes},

		// SDK.
		{"sdk.MaxTokenBytes", sdk.MaxTokenBytes},
		{"sdk.MaxJWKSBytes", sdk.MaxJWKSBytes},
		{"sdk.MaxLeeway", secs(sdk.MaxLeeway)},
		{"sdk.MinRefreshInterval", secs(sdk.MinRefreshInterval)},
		{"sdk.MaxRevocationListBytes", sdk.MaxRevocationListBytes},
		{"sdk.MaxRevocationEntries", sdk.MaxRevocationEntries},
		{"sdk/authorizer.MaxSubjectIDBytes", sdkauthorizer.MaxSubjectIDBytes},
		{"sdk/authorizer.MaxBatchChecks", sdkauthorizer.MaxBatchChecks},
		{"sdk/authorizer.DefaultMaxSubjects", sdkauthorizer.DefaultMaxSubjects},
	}

	for _, c := range checks {
		got, err := documentedLimit(rows, c.name)
		if err != "" {
			t.Errorf("docs/limits.md: %s: %s", c.name, err)
			continue
		}
		if got != c.want {
			t.Errorf("docs/limits.md: %s is documented as %d, but the code says %d",
				c.name, got, c.want)
		}
	}
}

// limitDocRow is one row of a limits table: its Value cell and the names
// in backticks of its "Enforced in" cell.
type limitDocRow struct {
	line  int
	value string
	names []string
}

var (
	limitDocCode   = regexp.MustCompile("`([^`]+)`")
	limitDocNumber = regexp.MustCompile(`[0-9]+`)
)

// limitDocRows reads every table row with the five columns Limit, Value,
// Enforced in, When exceeded, Reason; header and separator rows are
// skipped.
func limitDocRows(doc string) []limitDocRow {
	var rows []limitDocRow
	for i, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 5 {
			continue
		}
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		if cells[1] == "Value" || strings.HasPrefix(cells[1], "---") {
			continue
		}
		row := limitDocRow{line: i + 1, value: cells[1]}
		for _, m := range limitDocCode.FindAllStringSubmatch(cells[2], -1) {
			row.names = append(row.names, m[1])
		}
		rows = append(rows, row)
	}
	return rows
}

// documentedLimit returns the first whole number of the Value cell of the
// one row that names name; err says why there is none.
func documentedLimit(rows []limitDocRow, name string) (n int64, err string) {
	var found []limitDocRow
	for _, r := range rows {
		for _, rn := range r.names {
			if rn == name {
				found = append(found, r)
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return 0, "no row names it in its \"Enforced in\" column"
	case 1:
	default:
		return 0, "more than one row names it (lines " + strconv.Itoa(found[0].line) +
			" and " + strconv.Itoa(found[1].line) + ")"
	}
	num := limitDocNumber.FindString(found[0].value)
	if num == "" {
		return 0, "its Value cell (line " + strconv.Itoa(found[0].line) + ") has no number"
	}
	v, perr := strconv.ParseInt(num, 10, 64)
	if perr != nil {
		return 0, "its Value cell has a number too large: " + num
	}
	return v, ""
}

func mustLimit(t *testing.T, s string) ratelimit.Limit {
	t.Helper()
	l, err := ratelimit.ParseLimit(s)
	if err != nil {
		t.Fatalf("default rate limit %q: %v", s, err)
	}
	return l
}
