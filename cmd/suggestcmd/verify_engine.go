package suggestcmd

import (
	"context"
	"time"
)

// Engine is what `suggest --verify` needs of a container engine: build
// the suggestion, make the original runnable, run an image for a bounded
// time, measure and save an image, and remove everything it made. The
// one implementation drives the user's docker CLI (dockerCLI), which
// finds the engine as the user's other docker commands do (contexts,
// DOCKER_HOST); tests use a fake.
type Engine interface {
	// Builder detects how Build builds, and says so ("docker buildx
	// build (docker 28.2.2)"); an error when it cannot build with
	// BuildKit.
	Builder(ctx context.Context) (string, error)
	// Build builds spec; the log is returned on success and failure.
	Build(ctx context.Context, spec BuildSpec) (log []byte, err error)
	// Image makes the image ref (an imgdiff reference) runnable and
	// returns the name to run it by.
	Image(ctx context.Context, ref string) (string, error)
	// Run runs spec.Image as its configuration says (network off) until
	// it exits or spec.Timeout passes, and spec.Smoke, when set, in the
	// same image; smoke is nil without it.
	Run(ctx context.Context, spec RunSpec) (main, smoke *Run, err error)
	// Size is the image's content size (docker image inspect .Size).
	Size(ctx context.Context, image string) (int64, error)
	// Save writes image into dir and returns the imgdiff reference that
	// reads it.
	Save(ctx context.Context, image, dir string) (string, error)
	// Cleanup removes every container and image the engine made (not
	// the ones Keep was told about).
	Cleanup(ctx context.Context) error
}

// BuildSpec is one build of the suggested Dockerfile.
type BuildSpec struct {
	Dockerfile string
	Context    string
	Tag        string
	BuildArgs  []string // KEY=VALUE
	// Network is the build's RUN network mode ("" the builder's default).
	Network string
	// Keep leaves the tag in place at Cleanup.
	Keep bool
}

// RunSpec is one bounded run of an image.
type RunSpec struct {
	Image string
	// Name is a name for the containers (unique to the run).
	Name    string
	Timeout time.Duration
	// Smoke is the argv of the --smoke command (nil: none). It runs in
	// the same image with it as the entrypoint, in the main container's
	// network namespace while that is still running (so it can reach the
	// ports it listens on), else with the network off.
	Smoke []string
	// PortsHelpers are images with cat, to read /proc/net of a container
	// whose /proc this machine cannot read (a remote engine).
	PortsHelpers []string
	// NoCommand says the image has no ENTRYPOINT or CMD (a library or
	// base image): no main container is made (the engine would refuse
	// it: "No command specified"); the main run is reported as such and
	// the smoke command runs with the network off.
	NoCommand bool
}
