package gui

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// notice is one entry of the in-app notifications.
type notice struct {
	Time  time.Time
	Kind  string // "job", or the marketplace's kind: "order", "license", "delivery", "quota"
	Title string
	Body  string
	Ref   string // a job id, an order id, ...
	Read  bool
}

// maxNotices bounds the in-app list; the marketplace keeps its own history.
const maxNotices = 500

// jobNotice tells that a job ended.
func jobNotice(j *apitype.Job, now time.Time) notice {
	name := j.Name
	if name == "" {
		name = j.Product
	}
	title := name + ": " + outcomeText(j)
	if len(title) > 120 {
		title = title[:117] + "..."
	}
	body := ""
	switch j.State {
	case apitype.StateFailed:
		body = "Open Software and choose Show log to see what the installer said."
	case apitype.StateDone:
		if j.RebootRequired {
			body = "Restart the computer to finish."
		}
	}
	return notice{Time: now, Kind: "job", Title: title, Body: body, Ref: j.ID}
}

// marketNotice is a marketplace notification as a notice.
func marketNotice(n api.Notification) notice {
	return notice{Time: n.CreatedAt, Kind: n.Kind, Title: n.Title, Body: n.Body, Ref: n.Ref, Read: n.ReadAt != nil}
}

// notify adds n to the in-app list and shows it as a desktop notification. UI thread.
func (u *UI) notify(n notice) {
	u.addNotice(n, true)
	u.app.SendNotification(fyne.NewNotification(n.Title, n.Body))
}

// addNotice adds n, newest first; live notices are unread. UI thread.
func (u *UI) addNotice(n notice, live bool) {
	if live {
		n.Read = false
	}
	u.notices = append([]notice{n}, u.notices...)
	if len(u.notices) > maxNotices {
		u.notices = u.notices[:maxNotices]
	}
}

// unread counts the unread notices. UI thread.
func (u *UI) unread() int {
	n := 0
	for _, x := range u.notices {
		if !x.Read {
			n++
		}
	}
	return n
}
