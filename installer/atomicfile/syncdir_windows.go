package atomicfile

// SyncDir does nothing on Windows: NTFS journals folder changes itself, and a folder handle
// cannot be flushed with FlushFileBuffers.
func SyncDir(dir string) error { return nil }
