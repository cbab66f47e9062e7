package analyze

import "testing"

func TestParseCreatedBy(t *testing.T) {
	tests := []struct {
		in   string
		want Instruction
	}{
		{"/bin/sh -c #(nop)  COPY file:8f1c0a in /app ", Instruction{Name: "COPY", Args: "file:8f1c0a in /app"}},
		{"/bin/sh -c #(nop) ADD file:6f0a in / ", Instruction{Name: "ADD", Args: "file:6f0a in /"}},
		{`/bin/sh -c #(nop)  CMD ["bash"]`, Instruction{Name: "CMD", Args: `["bash"]`}},
		{"/bin/sh -c #(nop)  ENV A=b", Instruction{Name: "ENV", Args: "A=b"}},
		{"/bin/sh -c apt-get update && apt-get install -y gcc", Instruction{Name: "RUN", Args: "apt-get update && apt-get install -y gcc"}},
		{"|2 A=1 B=2 /bin/sh -c make all", Instruction{Name: "RUN", Args: "make all"}},
		{"RUN /bin/sh -c apt-get update # buildkit", Instruction{Name: "RUN", Args: "apt-get update"}},
		{"RUN |1 GOFLAGS=-trimpath /bin/sh -c go build ./... # buildkit", Instruction{Name: "RUN", Args: "go build ./..."}},
		{"RUN /bin/bash -o pipefail -c curl x | sh # buildkit", Instruction{Name: "RUN", Args: "curl x | sh"}},
		{"COPY /out/app /app # buildkit", Instruction{Name: "COPY", Args: "/out/app /app"}},
		{"COPY . . # buildkit", Instruction{Name: "COPY", Args: ". ."}},
		{"ENV PATH=/usr/local/go/bin:/usr/bin", Instruction{Name: "ENV", Args: "PATH=/usr/local/go/bin:/usr/bin"}},
		{"USER 65532:65532", Instruction{Name: "USER", Args: "65532:65532"}},
		{`CMD ["node" "index.js"]`, Instruction{Name: "CMD", Args: `["node" "index.js"]`}},
		{"WORKDIR /app", Instruction{Name: "WORKDIR", Args: "/app"}},
		{"", Instruction{}},
		{"bazel build //app:image", Instruction{Name: "", Args: "bazel build //app:image"}},
		{"|x not args", Instruction{Name: "", Args: "|x not args"}},
	}
	for _, tt := range tests {
		if got := ParseCreatedBy(tt.in); got != tt.want {
			t.Errorf("ParseCreatedBy(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
