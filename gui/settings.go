package gui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

func init() { screens = append(screens, screenEntry{order: 90, build: newSettingsScreen}) }

// settingsScreen shows the marketplace address, the agent's status and version, a pending
// restart, and the organisation's admins with add and remove.
type settingsScreen struct {
	u *UI

	market, account, agentState, agentVersion, agentMode, agentPaths, agentJobs, rights, reboot *widget.Label

	admins     *widget.List
	adminsNote *widget.Label
	addUser    *widget.Entry
	add        *widget.Button
	content    fyne.CanvasObject

	// UI thread.
	adminList []api.OrgAdmin
	loading   bool
	loadedFor *api.Me   // whose admins adminList holds
	loadedAt  time.Time // when they were read
}

func newSettingsScreen(u *UI) Screen {
	s := &settingsScreen{u: u}
	label := func() *widget.Label {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	s.market, s.account = label(), label()
	s.agentState, s.agentVersion, s.agentMode, s.agentPaths, s.agentJobs, s.rights = label(), label(), label(), label(), label(), label()
	s.reboot = label()
	form := func(rows ...fyne.CanvasObject) fyne.CanvasObject {
		return container.New(layout.NewFormLayout(), rows...)
	}
	key := func(t string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(t, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	}
	marketCard := widget.NewCard("Marketplace", "", form(key("Address"), s.market, key("Account"), s.account))
	agentCard := widget.NewCard("Agent", "", form(
		key("Status"), s.agentState, key("Version"), s.agentVersion, key("Mode"), s.agentMode,
		key("Folders"), s.agentPaths, key("Jobs"), s.agentJobs, key("Your rights"), s.rights,
		key("Restart"), s.reboot))

	s.admins = widget.NewList(
		func() int { return len(s.adminList) },
		func() fyne.CanvasObject {
			name := widget.NewLabel("Display Name (username)")
			name.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil, widget.NewIcon(theme.AccountIcon()),
				widget.NewButtonWithIcon("Remove", theme.ContentRemoveIcon(), nil), name)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < 0 || id >= len(s.adminList) {
				return
			}
			a := s.adminList[id]
			c := o.(*fyne.Container) // Border: center, left, right
			c.Objects[0].(*widget.Label).SetText(adminText(a))
			rm := c.Objects[2].(*widget.Button)
			rm.OnTapped = func() { s.confirmRemove(a) }
		},
	)
	s.adminsNote = label()
	s.addUser = widget.NewEntry()
	s.addUser.SetPlaceHolder("username of a colleague in your organisation")
	s.add = widget.NewButtonWithIcon("Add admin", theme.ContentAddIcon(), s.addAdmin)
	adminsCard := widget.NewCard("Enterprise admins", "Admins manage the organisation's orders, licenses and admins.",
		container.NewBorder(s.adminsNote, container.NewBorder(nil, nil, nil, s.add, s.addUser), nil, nil,
			container.NewGridWrap(fyne.NewSize(560, 200), s.admins)))

	s.content = container.NewVScroll(container.NewVBox(marketCard, agentCard, adminsCard))
	return s
}

func (s *settingsScreen) Title() string              { return "Settings" }
func (s *settingsScreen) Icon() fyne.Resource        { return theme.SettingsIcon() }
func (s *settingsScreen) Content() fyne.CanvasObject { return s.content }

// adminText is one admin's line.
func adminText(a api.OrgAdmin) string {
	s := fmt.Sprintf("%s (%s)", a.DisplayName, a.Username)
	switch {
	case a.Creator:
		s += " · created the organisation"
	case a.InvitedBy != "":
		s += " · invited"
	}
	return s
}

func (s *settingsScreen) Refresh() {
	u := s.u
	m := &u.marketSt
	addr := u.market.BaseURL()
	switch {
	case m.offline:
		addr += " (offline)"
	case !m.syncedAt.IsZero():
		addr += " (online; last answer at " + m.syncedAt.Local().Format("15:04:05") + ")"
	}
	s.market.SetText(addr)
	if u.me != nil {
		s.account.SetText(fmt.Sprintf("%s (%s), %s of %s", u.me.DisplayName, u.me.Username, u.me.Role, u.me.TenantName))
	} else {
		s.account.SetText("Not signed in")
	}

	a := &u.agentSt
	st := a.status
	switch {
	case a.err != nil:
		s.agentState.SetText(agentDownText(a.err))
	case st == nil:
		s.agentState.SetText("Connecting to " + u.agent.Socket() + "…")
	case st.Recovering:
		s.agentState.SetText("Running; finishing jobs cut off by the last stop")
	default:
		s.agentState.SetText("Running since " + st.StartedAt.Local().Format("2 Jan 15:04") + " on " + u.agent.Socket())
	}
	if st != nil {
		s.agentVersion.SetText(st.Version + " (" + st.OS + ")")
		s.agentMode.SetText(map[string]string{"user": "User (iscdesk-agent run --user)", "system": "System service"}[st.Mode])
		s.agentPaths.SetText("Installs into " + st.InstallRoot + "\nState in " + st.StateDir)
		s.agentJobs.SetText(fmt.Sprintf("%d running, %d queued; %d trusted marketplace key(s)", st.JobsRunning, st.JobsQueued, len(st.TrustedKeys)))
		if st.Caller.CanInstall {
			s.rights.SetText(st.Caller.User + " may install and remove software")
		} else {
			s.rights.SetText(st.Caller.User + " may look but not install; " + cmpOr(st.Caller.Grant, "ask IT for install rights"))
		}
		if st.RebootRequired {
			s.reboot.SetText("Pending: " + cmpOr(strings.Join(st.RebootReasons, "; "), "an install asked for a restart"))
		} else {
			s.reboot.SetText("None pending")
		}
	}

	if u.me == nil {
		s.adminList = nil
		s.adminsNote.SetText("Sign in to see your organisation's admins.")
		s.addUser.Disable()
		s.add.Disable()
		s.admins.Refresh()
		return
	}
	s.addUser.Enable()
	s.add.Enable()
	s.loadAdmins()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// loadAdmins reads the admins; a marketplace that does not answer leaves the last list. UI thread.
func (s *settingsScreen) loadAdmins() {
	u0 := s.u
	if s.loading || (s.loadedFor == u0.me && u0.opts.Now().Sub(s.loadedAt) < 30*time.Second) {
		return // Refresh runs on every change of state; the list changes seldom
	}
	s.loading = true
	u := s.u
	u.load(func(ctx context.Context) {
		admins, err := u.market.OrgAdmins(ctx)
		u.do(func() {
			s.loading = false
			s.loadedFor, s.loadedAt = u.me, u.opts.Now()
			u.marketResult(err)
			switch {
			case err == nil:
				s.adminList = admins
				s.adminsNote.SetText(fmt.Sprintf("%d admin(s). The creator and the last admin cannot be removed; an invited admin may remove only itself.", len(admins)))
			case errors.Is(err, mclient.ErrUnreachable):
				s.adminsNote.SetText("Offline: showing the admins as last loaded.")
			default:
				s.adminsNote.SetText(errorText(err))
			}
			s.admins.Refresh()
		})
	})
}

func (s *settingsScreen) confirmRemove(a api.OrgAdmin) {
	dialog.ShowConfirm("Remove "+a.DisplayName+" as admin?",
		a.DisplayName+" stays a member of the organisation but can no longer manage it.",
		func(ok bool) {
			if ok {
				s.removeAdmin(a)
			}
		}, s.u.win)
}

// removeAdmin asks the marketplace to remove a; its refusal is shown in its own words.
func (s *settingsScreen) removeAdmin(a api.OrgAdmin) {
	u := s.u
	u.load(func(ctx context.Context) {
		err := u.market.RemoveOrgAdmin(ctx, a.Username)
		u.do(func() {
			u.marketResult(err)
			if err != nil {
				u.showError("Cannot remove "+a.DisplayName, err)
				return
			}
			s.loadedFor = nil
			s.loadAdmins()
		})
	})
}

func (s *settingsScreen) addAdmin() {
	user := strings.TrimSpace(s.addUser.Text)
	if user == "" {
		return
	}
	u := s.u
	u.load(func(ctx context.Context) {
		_, err := u.market.AddOrgAdmin(ctx, user)
		u.do(func() {
			u.marketResult(err)
			if err != nil {
				u.showError("Cannot add "+user+" as admin", err)
				return
			}
			s.addUser.SetText("")
			s.loadedFor = nil
			s.loadAdmins()
		})
	})
}
