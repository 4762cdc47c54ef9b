package gui

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
)

// savePicker asks where to save a file: dir is the folder to start in ("" for the dialog's
// default), name the suggested file name; done gets the chosen path, or is not called when the
// user cancels. The licenses and orders screens use it; tests replace it.
type savePicker func(win fyne.Window, dir, name string, done func(path string))

// fileSaveDialog is the savePicker of the app: Fyne's file dialog. The file is written by the
// caller, atomically, not through the dialog's writer.
func fileSaveDialog(win fyne.Window, dir, name string, done func(path string)) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return // cancelled, or the dialog reported its own error
		}
		path := w.URI().Path()
		w.Close() // the dialog created an empty file; the caller replaces it atomically
		done(path)
	}, win)
	d.SetFileName(name)
	if dir != "" {
		if l, err := storage.ListerForURI(storage.NewFileURI(dir)); err == nil {
			d.SetLocation(l)
		}
	}
	d.Resize(fyne.NewSize(820, 560))
	d.Show()
}

// saveFile atomically writes data to path (temp file, fsync, rename) and reads it back to check
// that the disk holds exactly data.
func saveFile(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating the folder of %s: %w; choose another place", path, err)
	}
	if err := atomicfile.WriteFile(path, data, perm); err != nil {
		return fmt.Errorf("saving %s: %w; choose a folder you may write to", path, err)
	}
	back, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading back %s: %w", path, err)
	}
	if !bytes.Equal(back, data) {
		return fmt.Errorf("%s does not hold what was written (%d of %d bytes); save it again, or elsewhere", path, len(back), len(data))
	}
	return nil
}
