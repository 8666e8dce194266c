package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/dian"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// dianPasswordEnv is the variable `dian cert import` reads the PKCS#12
// password from; without it the password is the first line of stdin. It is
// never a flag: flags end up in shell histories and process lists.
const dianPasswordEnv = "CERROJO_DIAN_CERT_PASSWORD" // #nosec G101 -- a variable's name

// runDIAN manages the link with the DIAN: the certificate, and the
// queries of its web services.
func runDIAN(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageError{"say cert import, cert status, get-status or numbering-range"}
	}
	switch args[0] {
	case "cert":
		if len(args) < 2 {
			return usageError{"say cert import or cert status"}
		}
		switch args[1] {
		case "import":
			return runDIANCertImport(ctx, env, args[2:])
		case "status":
			return runDIANCertStatus(ctx, env, args[2:])
		}
		return usageError{fmt.Sprintf("unknown subcommand cert %q; say import or status",
			args[1])}
	case "get-status":
		return runDIANGetStatus(ctx, env, args[1:])
	case "numbering-range":
		return runDIANNumberingRange(ctx, env, args[1:])
	}
	return usageError{fmt.Sprintf("unknown subcommand %q; say cert, get-status or "+
		"numbering-range", args[0])}
}

// runDIANCertImport stores the marketplace's PKCS#12 certificate sealed
// with the key ring. The password comes from CERROJO_DIAN_CERT_PASSWORD or
// the first line of stdin; it is never printed.
func runDIANCertImport(ctx context.Context, env Env, args []string) error {
	fs := newFlags("dian cert import", env)
	configPath := configFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: cerrojo dian cert import [--config FILE] FILE.p12")
		fmt.Fprintln(env.Stderr, "The password is read from "+dianPasswordEnv+" or, when it "+
			"is not set, from the first line of standard input.")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"name one PKCS#12 file (.p12 or .pfx)"}
	}
	// #nosec G304 -- the operator names the file on the command line.
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	p12, err := io.ReadAll(io.LimitReader(f, dian.MaxP12Bytes+1))
	_ = f.Close() // read-only; the read's error is the one that matters
	if err != nil {
		return err
	}
	password, err := dianPassword(env)
	if err != nil {
		return err
	}
	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()
	info, err := a.DIAN.Certs.Import(ctx, p12, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "imported %s\nfingerprint (SHA-256) %s\n", info.Subject,
		info.Fingerprint)
	msg, warn := dian.ExpiryNotice(info, time.Now())
	if warn {
		fmt.Fprintln(env.Stderr, "warning: "+msg)
	} else {
		fmt.Fprintln(env.Stdout, msg)
	}
	return nil
}

func dianPassword(env Env) (string, error) {
	if pw := env.Getenv(dianPasswordEnv); pw != "" {
		return pw, nil
	}
	if env.Stdin == nil {
		return "", errors.New("no password: set " + dianPasswordEnv + " or give it on stdin")
	}
	line, err := bufio.NewReader(io.LimitReader(env.Stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password: set " + dianPasswordEnv + " or give it on stdin")
	}
	return line, nil
}

// runDIANCertStatus shows the stored certificate and its expiry.
func runDIANCertStatus(ctx context.Context, env Env, args []string) error {
	fs := newFlags("dian cert status", env)
	configPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"dian cert status takes no arguments"}
	}
	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()
	info, err := a.DIAN.Certs.Status(ctx)
	if err != nil {
		return err
	}
	msg, warn := dian.ExpiryNotice(info, time.Now())
	if *asJSON {
		return writeJSON(env, map[string]any{"certificate": info, "notice": msg,
			"warning": warn})
	}
	fmt.Fprintf(env.Stdout, "subject      %s\nissuer       %s\nserial       %s\n"+
		"fingerprint  %s\nvalid        %s to %s\nimported     %s\n%s\n", info.Subject,
		info.Issuer, info.Serial, info.Fingerprint, info.NotBefore.Format(time.RFC3339),
		info.NotAfter.Format(time.RFC3339), info.ImportedAt.Format(time.RFC3339), msg)
	return nil
}

// runDIANGetStatus asks the DIAN the state of a document (GetStatus).
func runDIANGetStatus(ctx context.Context, env Env, args []string) error {
	fs := newFlags("dian get-status", env)
	configPath := configFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"name one track id (the CUFE or the ZipKey)"}
	}
	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := a.DIAN.Client.GetStatus(ctx, fs.Arg(0))
	if res != nil {
		if werr := writeJSON(env, res); werr != nil {
			return werr
		}
	}
	return err
}

// runDIANNumberingRange asks the numbering ranges of an issuer
// (GetNumberingRange) for dian.software_id.
func runDIANNumberingRange(ctx context.Context, env Env, args []string) error {
	fs := newFlags("dian numbering-range", env)
	configPath := configFlag(fs)
	provider := fs.String("provider-nit", "", "NIT of the technology provider "+
		"(default: the issuer's)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"name the issuer's NIT, without check digit"}
	}
	a, err := openNode(ctx, env, *configPath)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.Config.DIAN.SoftwareID == "" {
		return errors.New("dian.software_id is not set")
	}
	p := *provider
	if p == "" {
		p = fs.Arg(0)
	}
	ranges, err := a.DIAN.Client.GetNumberingRange(ctx, fs.Arg(0), p, a.Config.DIAN.SoftwareID)
	if err != nil {
		return err
	}
	return writeJSON(env, ranges)
}

// doctorDIAN reports the DIAN certificate's expiry: a warning within 30
// days, an error once expired.
func doctorDIAN(ctx context.Context, db *storage.DB, add func(check, status, detail string)) {
	info, err := (&dian.CertStore{DB: db}).Status(ctx)
	switch {
	case errors.Is(err, dian.ErrNoCertificate):
		add("dian certificate", "ok", "none imported: calls to the DIAN need one "+
			"(`cerrojo dian cert import`)")
		return
	case err != nil:
		add("dian certificate", "error", err.Error())
		return
	}
	msg, warn := dian.ExpiryNotice(info, time.Now())
	switch {
	case !info.NotAfter.After(time.Now()):
		add("dian certificate", "error", msg)
	case warn:
		add("dian certificate", "warn", msg)
	default:
		add("dian certificate", "ok", msg)
	}
}
