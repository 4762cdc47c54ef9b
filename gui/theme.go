package gui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// appTheme is Fyne's default theme, light, in ISCDesk's blue, with a little more room.
type appTheme struct{ base fyne.Theme }

func newTheme() fyne.Theme { return appTheme{base: theme.DefaultTheme()} }

var (
	brandBlue  = color.NRGBA{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff}
	background = color.NRGBA{R: 0xf6, G: 0xf7, B: 0xf9, A: 0xff}
)

func (t appTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameFocus:
		return brandBlue
	case theme.ColorNameBackground:
		return background
	case theme.ColorNameSelection:
		return color.NRGBA{R: 0x1f, G: 0x5f, B: 0xbf, A: 0x30}
	}
	return t.base.Color(n, theme.VariantLight)
}

func (t appTheme) Font(s fyne.TextStyle) fyne.Resource     { return t.base.Font(s) }
func (t appTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base.Icon(n) }

func (t appTheme) Size(n fyne.ThemeSizeName) float32 {
	if n == theme.SizeNameText {
		return 13.5
	}
	return t.base.Size(n)
}
