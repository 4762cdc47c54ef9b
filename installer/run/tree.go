package run

// tree is the OS's hold on every process of a step: its process group and token on unix, its job
// object on windows. startTree (per OS) starts the command inside one.
type tree interface {
	// stop asks every process of the step to end (SIGTERM to the group); windows kills at once.
	stop() error
	// kill ends every process of the step now.
	kill() error
	// survivors lists the processes of the step that are still running.
	survivors() []StrayProcess
	// release frees what the OS keeps for the tree; on windows closing the job kills what is left.
	release() error
}
