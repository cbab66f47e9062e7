package suggest

import (
	"slices"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/model"
)

func TestParseRequires(t *testing.T) {
	src := `'use strict';
const express = require("express");
const { join } = require('node:path');
const fp = require('lodash/fp');
import chalk from "chalk";
import { x } from '@scope/pkg/sub';
import './side-effect.js';
export { y } from "./lib/y";
const lazy = await import('dotenv');
const fs = require('fs');
`
	want := []string{"express", "node:path", "lodash/fp", "chalk", "@scope/pkg/sub", "./side-effect.js", "./lib/y", "dotenv", "fs"}
	if got := parseRequires([]byte(src)); !slices.Equal(got, want) {
		t.Errorf("parseRequires = %q, want %q", got, want)
	}
	for spec, pkg := range map[string]string{"express": "express", "lodash/fp": "lodash", "@scope/pkg/sub": "@scope/pkg",
		"node:path": "", "fs": "", "fs/promises": "", "./x": "", "../x": "", "/abs/x": "", "@scope": "", "https://x/y.js": ""} {
		if got := nodePackage(spec); got != pkg {
			t.Errorf("nodePackage(%q) = %q, want %q", spec, got, pkg)
		}
	}
}

// nodeRuntimeFixture is the Node app of nodeFixture whose dist/server.js
// requires ./lib/config.js, which requires what requires says; a test
// file (not reachable from the entry point) requires typescript.
func nodeRuntimeFixture(requires string) fixture {
	fx := nodeFixture()
	build := len(fx.history) - 3 // RUN npm run build && npm test
	fx.history[build].files = append(fx.history[build].files, ffile{path: "app/dist/lib/config.js", size: 1_000})
	fx.history[build-1].files = append(fx.history[build-1].files, ffile{path: "app/test/helpers.test.js", size: 500, cat: model.Source})
	fx.contents = map[string]string{
		"app/package.json":         `{"name": "svc", "main": "dist/server.js", "scripts": {"start": "node dist/server.js"}}`,
		"app/dist/server.js":       "const express = require('express');\nconst config = require('./lib/config');\n",
		"app/dist/lib/config.js":   requires,
		"app/test/helpers.test.js": "const ts = require('typescript');\n",
	}
	return fx
}

// A package the lockfile marks dev-only that the app requires at run
// time (through a module its entry point requires) would be pruned from
// under it: no prune stage, node_modules copied whole, asked.
func TestNodeDevDependencyTheAppRequires(t *testing.T) {
	got, err := Suggest(nodeRuntimeFixture("module.exports = require(\"typescript\").version;\n").build(t))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.Dockerfile, "RUN npm prune") || strings.Contains(got.Dockerfile, "AS prod-deps") {
		t.Errorf("typescript is required at run time, yet it is pruned:\n%s", got.Dockerfile)
	}
	if !copied(got.Copies, "/app/node_modules/typescript/lib/tsc.js") || !copied(got.Copies, "/app/node_modules/express/index.js") {
		t.Errorf("node_modules is not copied whole: %v", got.Copies)
	}
	if !slices.ContainsFunc(got.Questions, func(q string) bool {
		return strings.Contains(q, "typescript (required by /app/dist/lib/config.js)") && strings.Contains(q, "npm prune --omit=dev would remove")
	}) {
		t.Errorf("no question naming typescript and the file requiring it: %q", got.Questions)
	}
}

// The same app requiring production packages only: the lockfile's dev
// flags hold (a test file's require is no run-time need), and the prune
// stage stays.
func TestNodeProductionRequiresKeepThePrune(t *testing.T) {
	got, err := Suggest(nodeRuntimeFixture("module.exports = { port: 8080, db: require('express') };\n").build(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.Dockerfile, "RUN npm prune --omit=dev") || !strings.Contains(got.Dockerfile, "COPY --from=prod-deps --chown=65532:65532 /app/node_modules /app/node_modules\n") {
		t.Errorf("the devDependencies should stay in the build stage:\n%s", got.Dockerfile)
	}
	for _, q := range got.Questions {
		if strings.Contains(q, "npm prune --omit=dev would remove") {
			t.Errorf("asked about a dev package nothing requires at run time: %q", q)
		}
	}
}

// With no entry point found (CMD runs a shell script, package.json names
// no main and there is no index.js), every JavaScript file of the project
// that no rule flags counts: one of them requiring a dev-only package
// keeps node_modules whole; flagged test files do not count.
func TestNodeRequiresWithoutEntryPoint(t *testing.T) {
	fx := nodeRuntimeFixture("module.exports = require('typescript');\n")
	fx.config.Cmd = []string{"/bin/sh", "-c", "exec ./start.sh"}
	fx.contents["app/package.json"] = `{"name": "svc"}`
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.Dockerfile, "RUN npm prune") {
		t.Errorf("typescript is required by an app file, yet pruned:\n%s", got.Dockerfile)
	}
	fx = nodeRuntimeFixture("module.exports = {};\n")
	fx.config.Cmd = []string{"/bin/sh", "-c", "exec ./start.sh"}
	fx.contents["app/package.json"] = `{"name": "svc"}`
	if got, err = Suggest(fx.build(t)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.Dockerfile, "RUN npm prune --omit=dev") {
		t.Errorf("only a flagged test file requires typescript, yet no prune:\n%s", got.Dockerfile)
	}
}
