package dockerfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Predicate types of the BuildKit provenance attestations Provenance reads.
const (
	PredicateSLSA02 = "https://slsa.dev/provenance/v0.2"
	PredicateSLSA1  = "https://slsa.dev/provenance/v1"
)

// ErrNoSource is returned when a provenance attestation carries no
// Dockerfile source (it was made with mode=min, the buildx default).
var ErrNoSource = errors.New("provenance has no source mapping (built with mode=min?)")

// Provenance is what a BuildKit provenance attestation says about where
// an image's layers come from.
type Provenance struct {
	// PredicateType is PredicateSLSA02 or PredicateSLSA1.
	PredicateType string
	// Filename and Data are the Dockerfile the build read
	// (buildkit_metadata.source.infos); Data is nil with mode=min.
	Filename string
	Data     []byte
	// Target and BuildArgs are the build request's "target" and
	// "build-arg:NAME" arguments.
	Target    string
	BuildArgs map[string]string
	// Steps are the LLB steps that have a source location, by step number.
	Steps []Step
}

// Step is one LLB step: the Dockerfile lines it ran and the layer chains
// its outputs are (base layers first).
type Step struct {
	ID     string
	Lines  Lines
	Chains [][]string
}

// in-toto statement and the parts of both predicate versions we read;
// field names from BuildKit's solver/llbsolver/provenance/types.
type statement struct {
	Type          string          `json:"_type"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

type predicate02 struct {
	Invocation struct {
		ConfigSource struct {
			EntryPoint string `json:"entryPoint"`
		} `json:"configSource"`
		Parameters parameters `json:"parameters"`
	} `json:"invocation"`
	Metadata *struct {
		BuildKit buildKitMetadata `json:"https://mobyproject.org/buildkit@v1#metadata"`
	} `json:"metadata"`
}

type predicate1 struct {
	BuildDefinition struct {
		ExternalParameters struct {
			ConfigSource struct {
				Path string `json:"path"`
			} `json:"configSource"`
			Request parameters `json:"request"`
		} `json:"externalParameters"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Metadata *struct {
			BuildKit buildKitMetadata `json:"buildkit_metadata"`
		} `json:"metadata"`
	} `json:"runDetails"`
}

type parameters struct {
	Frontend string            `json:"frontend"`
	Args     map[string]string `json:"args"`
}

type buildKitMetadata struct {
	Source *struct {
		Locations map[string]*struct {
			Locations []*struct {
				SourceIndex int32 `json:"sourceIndex"`
				Ranges      []*struct {
					Start *struct {
						Line int32 `json:"line"`
					} `json:"start"`
					End *struct {
						Line int32 `json:"line"`
					} `json:"end"`
				} `json:"ranges"`
			} `json:"locations"`
		} `json:"locations"`
		Infos []struct {
			Filename string `json:"filename"`
			Language string `json:"language"`
			Data     []byte `json:"data"`
		} `json:"infos"`
	} `json:"source"`
	Layers map[string][][]struct {
		Digest string `json:"digest"`
	} `json:"layers"`
}

// ParseProvenance reads an in-toto statement holding a BuildKit SLSA
// provenance predicate (v0.2 or v1). It returns ErrNoSource (with the
// parsed value) when the statement has no Dockerfile source.
func ParseProvenance(data []byte) (*Provenance, error) {
	var st statement
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("provenance statement: %w", err)
	}
	p := &Provenance{PredicateType: st.PredicateType}
	var md *buildKitMetadata
	var params parameters
	var entry string
	switch st.PredicateType {
	case PredicateSLSA02:
		var pr predicate02
		if err := json.Unmarshal(st.Predicate, &pr); err != nil {
			return nil, fmt.Errorf("provenance predicate v0.2: %w", err)
		}
		params, entry = pr.Invocation.Parameters, pr.Invocation.ConfigSource.EntryPoint
		if pr.Metadata != nil {
			md = &pr.Metadata.BuildKit
		}
	case PredicateSLSA1:
		var pr predicate1
		if err := json.Unmarshal(st.Predicate, &pr); err != nil {
			return nil, fmt.Errorf("provenance predicate v1: %w", err)
		}
		params, entry = pr.BuildDefinition.ExternalParameters.Request, pr.BuildDefinition.ExternalParameters.ConfigSource.Path
		if pr.RunDetails.Metadata != nil {
			md = &pr.RunDetails.Metadata.BuildKit
		}
	default:
		return nil, fmt.Errorf("provenance: predicate type %q is not SLSA provenance v0.2 or v1", st.PredicateType)
	}
	p.Target = params.Args["target"]
	p.Filename = entry
	for k, v := range params.Args {
		if name, ok := strings.CutPrefix(k, "build-arg:"); ok {
			if p.BuildArgs == nil {
				p.BuildArgs = map[string]string{}
			}
			p.BuildArgs[name] = v
		}
	}
	if md == nil || md.Source == nil || len(md.Source.Infos) == 0 {
		return p, ErrNoSource
	}
	// The Dockerfile is the source whose name is the config entry point,
	// else the first one in the Dockerfile language.
	src := -1
	for i, in := range md.Source.Infos {
		if src < 0 && (in.Filename == entry || in.Language == "Dockerfile") {
			src = i
		}
	}
	if src < 0 {
		src = 0
	}
	p.Filename, p.Data = md.Source.Infos[src].Filename, md.Source.Infos[src].Data
	if p.Filename == "" {
		p.Filename = entry
	}
	steps := map[string]*Step{}
	for id, locs := range md.Source.Locations {
		if locs == nil {
			continue
		}
		var r Lines
		for _, l := range locs.Locations {
			if l == nil || int(l.SourceIndex) != src {
				continue
			}
			for _, rg := range l.Ranges {
				if rg == nil || rg.Start == nil {
					continue
				}
				start, end := int(rg.Start.Line), int(rg.Start.Line)
				if rg.End != nil && int(rg.End.Line) > end {
					end = int(rg.End.Line)
				}
				if r.Start == 0 || start < r.Start {
					r.Start = start
				}
				if end > r.End {
					r.End = end
				}
			}
		}
		if r.Start > 0 {
			steps[id] = &Step{ID: id, Lines: r}
		}
	}
	for key, chains := range md.Layers {
		id, _, _ := strings.Cut(key, ":")
		s := steps[id]
		if s == nil {
			continue
		}
		for _, chain := range chains {
			ds := make([]string, len(chain))
			for i, d := range chain {
				ds[i] = d.Digest
			}
			s.Chains = append(s.Chains, ds)
		}
	}
	for _, s := range steps {
		p.Steps = append(p.Steps, *s)
	}
	sort.Slice(p.Steps, func(i, j int) bool { return stepNumber(p.Steps[i].ID) < stepNumber(p.Steps[j].ID) })
	return p, nil
}

func stepNumber(id string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "step"))
	if err != nil {
		return -1
	}
	return n
}

// LayerLines maps the image's layers (compressed digests, in manifest
// order) to the lines of the step that produced each: a step whose layer
// chain is the image's first k layers produced layer k-1. Layers no step
// claims are absent. When several steps claim a layer, the lowest step
// number wins.
func (p *Provenance) LayerLines(layers []string) map[int]Lines {
	out := map[int]Lines{}
	for _, s := range p.Steps {
		for _, chain := range s.Chains {
			if len(chain) == 0 || len(chain) > len(layers) {
				continue
			}
			prefix := true
			for i, d := range chain {
				if layers[i] != d {
					prefix = false
					break
				}
			}
			if _, taken := out[len(chain)-1]; prefix && !taken {
				out[len(chain)-1] = s.Lines
			}
		}
	}
	return out
}

// Map maps an image's history with the Dockerfile the provenance carries:
// the Dockerfile mapping (target and build args from the build request),
// with each layer entry's lines taken from the provenance's layer chains
// where they say otherwise. layers are the image's layer digests in
// manifest order, one per non-empty history entry.
func (p *Provenance) Map(hist []Entry, layers []string) (*Mapping, error) {
	if len(p.Data) == 0 {
		return nil, ErrNoSource
	}
	f, err := Parse(p.Filename, p.Data)
	if err != nil {
		return nil, fmt.Errorf("provenance source: %w", err)
	}
	f.resolveBases(p.BuildArgs)
	m, err := f.Map(hist, Options{Target: p.Target, BuildArgs: p.BuildArgs})
	if err != nil {
		return nil, fmt.Errorf("provenance source: %w", err)
	}
	m.Source = "provenance"
	byLayer := p.LayerLines(layers)
	fromLines := map[int]string{} // FROM line -> stage label
	for _, s := range f.Stages {
		fromLines[s.From.Start] = s.Label()
	}
	lineOwner := map[Lines]*Instruction{}
	stageOf := map[Lines]string{}
	for i := range f.Stages {
		for j := range f.Stages[i].Instructions {
			in := &f.Stages[i].Instructions[j]
			lineOwner[in.Lines] = in
			stageOf[in.Lines] = f.Stages[i].Label()
		}
	}
	layer := 0
	for i, e := range hist {
		if e.EmptyLayer {
			continue
		}
		l, ok := byLayer[layer]
		layer++
		if !ok {
			continue
		}
		em := &m.Entries[i]
		if em.Kind == KindExporter || (em.Mapped() && em.Lines == l) {
			continue
		}
		was := em.Mapped()
		if was {
			m.Warnings = append(m.Warnings, Warning{Entry: i, Line: l.Start,
				Message: fmt.Sprintf("history entry %d: the provenance's layers place it at %s:%s, the Dockerfile match at %s; the provenance is kept", i, f.Path, l, em.Lines)})
		}
		switch {
		case lineOwner[l] != nil:
			*em = EntryMapping{Index: i, Kind: KindInstruction, File: f.Path, Lines: l, Stage: stageOf[l], Keyword: lineOwner[l].Keyword}
		case fromLines[l.Start] != "":
			*em = EntryMapping{Index: i, Kind: KindBase, File: f.Path, Lines: l, Stage: fromLines[l.Start], Keyword: "FROM"}
		default:
			continue
		}
		if !was && em.Kind != KindExporter {
			m.Mapped++
		}
	}
	return m, nil
}
