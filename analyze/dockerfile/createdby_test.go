package dockerfile

import (
	"testing"

	"github.com/imgdiff/imgdiff/analyze/model"
)

func TestParseCreatedBy(t *testing.T) {
	tests := []struct {
		in   string
		want model.Instruction
	}{
		{"/bin/sh -c #(nop)  COPY file:8f1c0a in /app ", model.Instruction{Name: "COPY", Args: "file:8f1c0a in /app"}},
		{"/bin/sh -c #(nop) ADD file:6f0a in / ", model.Instruction{Name: "ADD", Args: "file:6f0a in /"}},
		{`/bin/sh -c #(nop)  CMD ["bash"]`, model.Instruction{Name: "CMD", Args: `["bash"]`}},
		{"/bin/sh -c #(nop)  ENV A=b", model.Instruction{Name: "ENV", Args: "A=b"}},
		{"/bin/sh -c apt-get update && apt-get install -y gcc", model.Instruction{Name: "RUN", Args: "apt-get update && apt-get install -y gcc"}},
		{"|2 A=1 B=2 /bin/sh -c make all", model.Instruction{Name: "RUN", Args: "make all"}},
		{"RUN /bin/sh -c apt-get update # buildkit", model.Instruction{Name: "RUN", Args: "apt-get update"}},
		{"RUN |1 GOFLAGS=-trimpath /bin/sh -c go build ./... # buildkit", model.Instruction{Name: "RUN", Args: "go build ./..."}},
		{"RUN /bin/bash -o pipefail -c curl x | sh # buildkit", model.Instruction{Name: "RUN", Args: "curl x | sh"}},
		{"COPY /out/app /app # buildkit", model.Instruction{Name: "COPY", Args: "/out/app /app"}},
		{"COPY . . # buildkit", model.Instruction{Name: "COPY", Args: ". ."}},
		{"ENV PATH=/usr/local/go/bin:/usr/bin", model.Instruction{Name: "ENV", Args: "PATH=/usr/local/go/bin:/usr/bin"}},
		{"USER 65532:65532", model.Instruction{Name: "USER", Args: "65532:65532"}},
		{`CMD ["node" "index.js"]`, model.Instruction{Name: "CMD", Args: `["node" "index.js"]`}},
		{"WORKDIR /app", model.Instruction{Name: "WORKDIR", Args: "/app"}},
		{"", model.Instruction{}},
		{"bazel build //app:image", model.Instruction{Name: "", Args: "bazel build //app:image"}},
		{"|x not args", model.Instruction{Name: "", Args: "|x not args"}},
	}
	for _, tt := range tests {
		if got := ParseCreatedBy(tt.in); got != tt.want {
			t.Errorf("ParseCreatedBy(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
