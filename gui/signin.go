package gui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

func init() { screens = append(screens, screenEntry{order: 10, build: newSignInScreen}) }

const signInTitle = "Account"

// loginTimeout bounds the wait for the user to finish in the browser.
const loginTimeout = 5 * time.Minute

// signInScreen signs in through the browser and shows who is signed in.
type signInScreen struct {
	u *UI

	heading, detail, link *widget.Label
	signIn, cancel        *widget.Button
	signOut               *widget.Button
	box                   *fyne.Container
	content               fyne.CanvasObject

	// UI thread.
	stopLogin context.CancelFunc // set while a sign-in waits for the browser
	loginURL  string
}

func newSignInScreen(u *UI) Screen {
	s := &signInScreen{u: u}
	s.heading = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.heading.SizeName = theme.SizeNameSubHeadingText
	s.detail = widget.NewLabel("")
	s.detail.Wrapping = fyne.TextWrapWord
	s.link = widget.NewLabel("")
	s.link.Wrapping = fyne.TextWrapBreak
	s.link.Selectable = true
	s.signIn = widget.NewButtonWithIcon("Sign in with your browser", theme.LoginIcon(), s.startLogin)
	s.signIn.Importance = widget.HighImportance
	s.cancel = widget.NewButton("Cancel", s.cancelLogin)
	s.signOut = widget.NewButtonWithIcon("Sign out", theme.LogoutIcon(), s.logout)
	s.box = container.NewVBox(
		container.NewHBox(widget.NewIcon(theme.AccountIcon()), s.heading),
		s.detail, s.link,
		container.NewHBox(s.signIn, s.cancel, s.signOut),
	)
	card := widget.NewCard("", "", s.box)
	s.content = container.NewVBox(container.NewGridWrap(fyne.NewSize(620, 10)), container.NewCenter(container.NewGridWrap(fyne.NewSize(620, 260), card)))
	return s
}

func (s *signInScreen) Title() string              { return signInTitle }
func (s *signInScreen) Icon() fyne.Resource        { return theme.AccountIcon() }
func (s *signInScreen) Content() fyne.CanvasObject { return s.content }

func (s *signInScreen) Refresh() {
	defer s.box.Refresh() // lay out again what was shown or hidden
	u := s.u
	base := u.market.BaseURL()
	switch {
	case u.me != nil:
		me := u.me
		s.heading.SetText(fmt.Sprintf("%s (%s)", me.DisplayName, me.Username))
		s.detail.SetText(fmt.Sprintf("Organisation: %s\nRole: %s\nMarketplace: %s", me.TenantName, me.Role, base))
		s.link.SetText("")
		s.link.Hide()
		s.signIn.Hide()
		s.cancel.Hide()
		s.signOut.Show()
	case s.stopLogin != nil:
		s.heading.SetText("Continue in your browser")
		s.detail.SetText("Sign in to " + base + " in the browser window that opened. If none opened, open this address in a browser on this computer:")
		s.link.SetText(s.loginURL)
		s.link.Show()
		s.signIn.Hide()
		s.cancel.Show()
		s.signOut.Hide()
	case !u.marketSt.checked:
		s.heading.SetText("Looking for your session…")
		s.detail.SetText("Marketplace: " + base)
		s.link.Hide()
		s.signIn.Hide()
		s.cancel.Hide()
		s.signOut.Hide()
	default:
		s.heading.SetText("Sign in to the ISCDesk Marketplace")
		s.detail.SetText("Sign in to see and install the software your organisation owns, its licenses, orders and deliveries.\nMarketplace: " + base)
		s.link.Hide()
		s.signIn.Show()
		s.cancel.Hide()
		s.signOut.Hide()
	}
}

// startLogin sends the user to the marketplace's sign-in page and waits for the redirect.
func (s *signInScreen) startLogin() {
	u := s.u
	ctx, cancel := context.WithTimeout(u.ctx, loginTimeout)
	s.stopLogin, s.loginURL = cancel, ""
	s.Refresh()
	open := func(addr string) error {
		u.do(func() { s.loginURL = addr; s.Refresh() })
		return u.opts.OpenBrowser(addr)
	}
	u.load(func(context.Context) {
		defer cancel()
		_, err := u.market.Login(ctx, mclient.LoginOptions{OpenBrowser: open})
		if err == nil {
			u.loadMe(ctx)
		}
		u.do(func() {
			s.stopLogin = nil
			if err != nil && ctx.Err() != context.Canceled {
				u.marketResult(err)
				u.showError("Signing in", err)
			}
			s.Refresh()
		})
	})
}

func (s *signInScreen) cancelLogin() {
	if s.stopLogin != nil {
		s.stopLogin()
	}
}

func (s *signInScreen) logout() {
	u := s.u
	u.load(func(ctx context.Context) {
		// A fixed --token has no refresh token and cannot be revoked from here: it stays.
		sess, _ := u.market.Session(ctx)
		static := sess != nil && sess.RefreshToken == "" && sess.User == ""
		err := u.market.Logout(ctx)
		u.do(func() {
			u.showError("Signing out", err)
			if !static {
				u.signedOut() // Logout deletes the local session even when it cannot tell the marketplace
			}
		})
	})
}
