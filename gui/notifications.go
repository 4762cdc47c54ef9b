package gui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

func init() { screens = append(screens, screenEntry{order: 80, build: newNotificationsScreen}) }

// notificationsScreen lists what happened: jobs that ended (from the agent), licenses issued,
// orders moved, quota alerts (from the marketplace), newest first.
type notificationsScreen struct {
	u       *UI
	list    *widget.List
	empty   *widget.Label
	markAll *widget.Button
	content *fyne.Container
}

func newNotificationsScreen(u *UI) Screen {
	s := &notificationsScreen{u: u}
	s.list = widget.NewList(
		func() int { return len(u.notices) },
		func() fyne.CanvasObject {
			title := widget.NewLabelWithStyle("Title", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			title.Truncation = fyne.TextTruncateEllipsis
			body := widget.NewLabel("Body")
			body.Truncation = fyne.TextTruncateEllipsis
			when := widget.NewLabel("27 Nov 15:04")
			return container.NewBorder(nil, nil, widget.NewIcon(theme.InfoIcon()), when, container.NewVBox(title, body))
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < 0 || id >= len(u.notices) {
				return
			}
			n := u.notices[id]
			c := o.(*fyne.Container) // Border: center, left, right
			text := c.Objects[0].(*fyne.Container).Objects
			title := text[0].(*widget.Label)
			title.SetText(n.Title)
			title.TextStyle.Bold = !n.Read
			title.Refresh()
			text[1].(*widget.Label).SetText(n.Body)
			c.Objects[1].(*widget.Icon).SetResource(noticeIcon(n.Kind))
			c.Objects[2].(*widget.Label).SetText(n.Time.Local().Format("2 Jan 15:04"))
		},
	)
	s.list.OnSelected = func(id widget.ListItemID) {
		if id >= 0 && id < len(u.notices) && !u.notices[id].Read {
			u.notices[id].Read = true
			u.nav.Refresh()
			s.list.RefreshItem(id)
		}
	}
	s.empty = widget.NewLabel("Nothing yet. Finished installs, issued licenses, order updates and quota alerts appear here.")
	s.empty.Alignment = fyne.TextAlignCenter
	s.markAll = widget.NewButtonWithIcon("Mark all as read", theme.ConfirmIcon(), s.markAllRead)
	s.content = container.NewBorder(container.NewHBox(spacer(), s.markAll), nil, nil, nil,
		container.NewStack(s.list, container.NewCenter(s.empty)))
	return s
}

func (s *notificationsScreen) Title() string {
	if n := s.u.unread(); n > 0 {
		return fmt.Sprintf("Notifications (%d)", n)
	}
	return "Notifications"
}

func (s *notificationsScreen) Icon() fyne.Resource        { return theme.MailComposeIcon() }
func (s *notificationsScreen) Content() fyne.CanvasObject { return s.content }

func (s *notificationsScreen) Refresh() {
	if len(s.u.notices) == 0 {
		s.empty.Show()
	} else {
		s.empty.Hide()
	}
	setEnabled(s.markAll, s.u.unread() > 0)
	s.content.Refresh() // lays out again what was shown or hidden, and redraws the rows
}

// markAllRead marks every notice read here and at the marketplace.
func (s *notificationsScreen) markAllRead() {
	u := s.u
	for i := range u.notices {
		u.notices[i].Read = true
	}
	u.changed()
	if u.me == nil {
		return
	}
	u.load(func(ctx context.Context) {
		_, err := u.market.MarkRead(ctx, api.MarkReadRequest{All: true})
		u.do(func() { u.marketResult(err) })
	})
}

func noticeIcon(kind string) fyne.Resource {
	switch kind {
	case "job":
		return theme.DownloadIcon()
	case "license":
		return theme.DocumentIcon()
	case "order":
		return theme.ContentPasteIcon()
	case "quota":
		return theme.WarningIcon()
	case "delivery":
		return theme.MailSendIcon()
	}
	return theme.InfoIcon()
}
