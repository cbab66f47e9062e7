// Package analyze turns walked images into answers: it maps history entries
// to layers, builds the final filesystem with the writer of every path,
// attributes every byte (surviving, deleted or overwritten) to the
// instruction that wrote it (Build), classifies what an image should not
// carry (Classify), summarizes one image (Summarize) and compares two
// (Compare). It is pure: it reads index.Image values and returns values,
// with no I/O of its own.
//
// The concerns it draws on live in sub-packages, each pure as well: model
// (the data types, re-exported here under the same names), pkgdb (the
// package databases and which file bodies to capture), rules (the
// classification rules and default.yaml), hygiene (findings, secret
// shapes, redaction) and budget (limits, the size grammar, validation and
// evaluation).
package analyze

import "github.com/imgdiff/imgdiff/analyze/model"

// The data model, defined in package model so that the concern packages
// can read it without importing analyze; see there for the documentation.
type (
	Image          = model.Image
	Config         = model.Config
	BaseImage      = model.BaseImage
	Snapshot       = model.Snapshot
	Layer          = model.Layer
	Step           = model.Step
	HiddenFile     = model.HiddenFile
	Instruction    = model.Instruction
	File           = model.File
	FS             = model.FS
	Category       = model.Category
	Package        = model.Package
	Flag           = model.Flag
	Flags          = model.Flags
	Finding        = model.Finding
	Severity       = model.Severity
	Classification = model.Classification
	CategoryTotal  = model.CategoryTotal
	StepCategories = model.StepCategories
	FlaggedDir     = model.FlaggedDir
	BudgetCheck    = model.BudgetCheck
	BudgetReport   = model.BudgetReport
	Redaction      = model.Redaction
)

// SchemaVersion and Unknown are model.SchemaVersion and model.Unknown.
const (
	SchemaVersion = model.SchemaVersion
	Unknown       = model.Unknown
)

// The categories and severities (model's).
const (
	BuildTool     = model.BuildTool
	Source        = model.Source
	DevDependency = model.DevDependency
	Recommended   = model.Recommended
	Cache         = model.Cache
	VCS           = model.VCS
	Secret        = model.Secret
	Docs          = model.Docs
	Other         = model.Other

	Info    = model.Info
	Warning = model.Warning
	Error   = model.Error
)
