package agent

// lookupGroup: on Windows a license file takes the permissions of its folder (the install folder's
// ACL), so there is no group to give it to.
func lookupGroup(string) (int, bool, error) { return 0, false, nil }

func chownGroup(string, int) error { return nil }
