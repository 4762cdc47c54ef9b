package pkgfile

import "errors"

func mkfifo(string) error { return errors.New("no fifos on Windows") }
