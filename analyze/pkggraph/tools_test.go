package pkggraph_test

import (
	"testing"

	. "github.com/imgdiff/imgdiff/analyze/pkggraph"

	"github.com/google/go-cmp/cmp"
)

// nodeEntrypoint is docker-entrypoint.sh of the official node images
// (docker-library/node), verbatim.
const nodeEntrypoint = `#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
`

func TestRuns(t *testing.T) {
	scripts := map[string][]byte{
		"usr/local/bin/docker-entrypoint.sh": []byte(nodeEntrypoint),
		"app/start.sh":                       []byte("#!/bin/sh\n# we used to git pull here\nset -e\n. /app/env.sh\nexec node server.js\n"),
		"app/env.sh":                         []byte("export A=1\nif [ -n \"$UPDATE\" ]; then\n  /usr/bin/git -C /app pull\nfi\n"),
	}
	npm := []string{"npm", "npx"}
	git := []string{"git"}
	tests := []struct {
		name string
		cfg  RunConfig
		cmds []string
		want Use
	}{
		{"node image, CMD node", RunConfig{Entrypoint: []string{"docker-entrypoint.sh"}, Cmd: []string{"node"}, Scripts: scripts}, npm,
			Use{Certain: true, Evidence: "not run by ENTRYPOINT, CMD or HEALTHCHECK or docker-entrypoint.sh"}},
		{"node image, CMD npm start", RunConfig{Entrypoint: []string{"docker-entrypoint.sh"}, Cmd: []string{"npm", "start"}, Scripts: scripts}, npm,
			Use{Used: true, Certain: true, Evidence: "CMD runs npm"}},
		{"shell form", RunConfig{Cmd: []string{"/bin/sh", "-c", "cd /app && npx serve -s build"}}, npm,
			Use{Used: true, Certain: true, Evidence: "CMD runs npx"}},
		{"healthcheck", RunConfig{Cmd: []string{"/app"}, Healthcheck: []string{"CMD-SHELL", "git -C /repo status || exit 1"}}, git,
			Use{Used: true, Certain: true, Evidence: "HEALTHCHECK runs git"}},
		// git only in a comment of start.sh, but in env.sh, which start.sh
		// sources, by absolute path.
		{"nested script", RunConfig{Entrypoint: []string{"/app/start.sh"}, Scripts: scripts}, git,
			Use{Used: true, Certain: true, Evidence: "ENTRYPOINT script start.sh script env.sh runs git (line 3)"}},
		// Without env.sh's body, git may run from it.
		{"sourced script not captured", RunConfig{Entrypoint: []string{"/app/start.sh"}, Scripts: map[string][]byte{"app/start.sh": scripts["app/start.sh"]}}, git,
			Use{Certain: false, Evidence: "not run by ENTRYPOINT, CMD or HEALTHCHECK or start.sh (a script they run was not read)"}},
		{"comment only", RunConfig{Entrypoint: []string{"/app/start.sh"}, Scripts: map[string][]byte{"app/start.sh": []byte("#!/bin/sh\n# we used to git pull here\nexec node server.js # not git\n")}}, git,
			Use{Certain: true, Evidence: "not run by ENTRYPOINT, CMD or HEALTHCHECK or start.sh"}},
		{"script not captured", RunConfig{Entrypoint: []string{"/entrypoint.sh"}, Cmd: []string{"serve"}}, git,
			Use{Certain: false, Evidence: "not run by ENTRYPOINT, CMD or HEALTHCHECK (a script they run was not read)"}},
		{"no config", RunConfig{}, git, Use{Certain: true, Evidence: "not run by ENTRYPOINT, CMD or HEALTHCHECK"}},
		// A word that merely contains the name is not the command.
		{"lookalikes", RunConfig{Cmd: []string{"/usr/bin/gitea", "--config", "/app/.git/config", "npm-check"}}, append(git, npm...),
			Use{Certain: true, Evidence: "not run by ENTRYPOINT, CMD or HEALTHCHECK"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Runs(tt.cfg, tt.cmds)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestToolUses(t *testing.T) {
	g := fixture(t, "node") // git, make and npm installed
	files := map[string][]string{"npm": {"usr/bin/npm", "usr/bin/npx", "usr/share/nodejs/npm/bin/npm-cli.js"}}
	got := ToolUses(RunConfig{Entrypoint: []string{"docker-entrypoint.sh"}, Cmd: []string{"npm", "start"},
		Scripts: map[string][]byte{"usr/local/bin/docker-entrypoint.sh": []byte(nodeEntrypoint)}}, g, files)
	want := []Use{
		{Tool: "git", Certain: true, Evidence: "not run by ENTRYPOINT, CMD or HEALTHCHECK or docker-entrypoint.sh"},
		{Tool: "npm", Used: true, Certain: true, Evidence: "CMD runs npm"},
		{Tool: "make", Certain: true, Evidence: "not run by ENTRYPOINT, CMD or HEALTHCHECK or docker-entrypoint.sh"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ToolUses (-want +got):\n%s", diff)
	}
	// pip's versioned command comes from its files.
	if cmds := Commands([]string{"usr/bin/pip", "usr/bin/pip3", "usr/bin/pip3.11", "usr/lib/python3/dist-packages/pip/__init__.py"}); !cmp.Equal(cmds, []string{"pip", "pip3", "pip3.11"}) {
		t.Errorf("Commands = %v", cmds)
	}
}

func TestScriptPaths(t *testing.T) {
	got := ScriptPaths("/app",
		[]string{"docker-entrypoint.sh"},                             // the node images: on PATH
		[]string{"/bin/sh", "-c", "./start.sh && /opt/tool/run --x"}, // relative, and an absolute program
		[]string{"/usr/bin/node", "server.js"},                       // a system binary: not a script
		[]string{"CMD-SHELL", "/usr/local/bin/health.sh || exit 1"},
	)
	want := []string{"app/docker-entrypoint.sh", "app/start.sh", "bin/docker-entrypoint.sh", "opt/tool/run",
		"sbin/docker-entrypoint.sh", "usr/bin/docker-entrypoint.sh", "usr/local/bin/docker-entrypoint.sh",
		"usr/local/bin/health.sh", "usr/local/sbin/docker-entrypoint.sh", "usr/sbin/docker-entrypoint.sh"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ScriptPaths (-want +got):\n%s", diff)
	}
	if got := ScriptPaths("", nil); len(got) != 0 {
		t.Errorf("ScriptPaths of nothing = %v", got)
	}
}
