// Command cerrojo is the cerrojo server and its operator's tool. See
// `cerrojo help` and the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cerrojo/cerrojo/internal/cli"
)

func main() {
	// SIGINT (Ctrl-C) and SIGTERM (systemd, Kubernetes) both start a
	// graceful shutdown; a second signal kills the process as usual,
	// because NotifyContext stops catching after the first.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()

	code := cli.Main(ctx, os.Args[1:], cli.Env{
		Getenv: os.Getenv,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	})
	stop()
	os.Exit(code)
}
