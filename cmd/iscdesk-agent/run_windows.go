package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"

	"github.com/kardianos/service"
	"golang.org/x/sys/windows"
)

// runUntilStopped starts the agent and runs it until it is stopped: by Ctrl+C in a console, or
// by the service control manager, which kardianos speaks to.
func runUntilStopped(ctx context.Context, start func() (*running, error)) error {
	if service.Interactive() {
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
		r, err := start()
		if err != nil {
			return err
		}
		if err := r.wait(ctx); err != nil {
			return err
		}
		return r.switchIfStaged(ctx)
	}
	p := &scmProgram{ctx: ctx, start: start}
	s, err := service.New(p, &service.Config{Name: serviceName})
	if err != nil {
		return fmt.Errorf("connecting to the service control manager: %w", err)
	}
	return s.Run()
}

// scmProgram adapts start/wait to kardianos's Start and Stop. A failed start is reported to the
// SCM as a stop with an error, which does not trigger the restart-on-failure actions: a bad
// config or the crash guard must not loop.
type scmProgram struct {
	ctx   context.Context
	start func() (*running, error)

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (p *scmProgram) Start(service.Service) error {
	r, err := p.start()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(p.ctx)
	p.cancel = cancel
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := r.wait(ctx); err != nil && ctx.Err() == nil {
			// The SCM runs its recovery actions (restart after a delay) only for a process that
			// ends without reporting that it stopped; exiting here is how a failure asks for them.
			os.Exit(exitFailed)
		}
		if r.staged != nil {
			// Switched (or rolled back): the SCM's recovery actions start the installed binary.
			_ = r.switchIfStaged(ctx)
			os.Exit(exitFailed)
		}
	}()
	return nil
}

func (p *scmProgram) Stop(service.Service) error {
	p.cancel()
	p.wg.Wait()
	return nil
}

// currentUID is the SID of the user that owns a --user agent, as the local API names callers.
func currentUID() (string, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("reading the current user's SID: %w", err)
	}
	return u.User.Sid.String(), nil
}
