package gui

import (
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// bannerKind sets a banner's colour and icon.
type bannerKind int

const (
	bannerError bannerKind = iota
	bannerWarning
	bannerInfo
)

// banner is one line across the top of the window.
type banner struct {
	kind bannerKind
	text string
}

// banners says what the top of the window must show, most serious first. UI thread.
func (u *UI) currentBanners() []banner {
	var out []banner
	a := &u.agentSt
	if a.err != nil {
		out = append(out, banner{bannerError, agentDownText(a.err)})
	}
	if m := &u.marketSt; m.offline {
		when := "nothing was loaded yet"
		if !m.syncedAt.IsZero() {
			when = "showing what was loaded at " + m.syncedAt.Format("15:04")
		}
		out = append(out, banner{bannerWarning, fmt.Sprintf(
			"Offline: the marketplace at %s cannot be reached; %s. ISCDesk keeps trying; check the network or the address in Settings.",
			u.market.BaseURL(), when)})
	}
	if st := a.status; a.err == nil && st != nil && st.RebootRequired {
		text := "Restart this computer to finish the installs that asked for it"
		if len(st.RebootReasons) > 0 {
			text += ": " + strings.Join(st.RebootReasons, "; ")
		}
		out = append(out, banner{bannerInfo, text + "."})
	}
	return out
}

// updateBanners redraws the banners when what they say changed. UI thread.
func (u *UI) updateBanners() {
	want := u.currentBanners()
	objs := make([]fyne.CanvasObject, 0, len(want))
	for _, b := range want {
		objs = append(objs, b.render())
	}
	u.banners.Objects = objs
	u.banners.Refresh()
}

func (b banner) render() fyne.CanvasObject {
	var bg color.Color
	var icon fyne.Resource
	switch b.kind {
	case bannerError:
		bg, icon = color.NRGBA{R: 0xfd, G: 0xe2, B: 0xe1, A: 0xff}, theme.ErrorIcon()
	case bannerWarning:
		bg, icon = color.NRGBA{R: 0xff, G: 0xf1, B: 0xd0, A: 0xff}, theme.WarningIcon()
	default:
		bg, icon = color.NRGBA{R: 0xdd, G: 0xeb, B: 0xff, A: 0xff}, theme.InfoIcon()
	}
	label := widget.NewLabel(b.text)
	label.Wrapping = fyne.TextWrapWord
	return container.NewStack(canvas.NewRectangle(bg),
		container.NewBorder(nil, nil, container.NewPadded(widget.NewIcon(icon)), nil, label))
}
