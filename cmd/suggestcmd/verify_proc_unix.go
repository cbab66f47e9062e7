//go:build unix && !linux

package suggestcmd

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts cmd in a process group of its own: a Ctrl-C at
// the terminal reaches imgdiff alone, which cancels its children and
// cleans up, rather than each docker CLI on its own.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
