package analyze

import "testing"

func TestParseCreatedBy(t *testing.T) {
	tests := []struct {
		in   string
		want Instruction
	}{
		{"/bin/sh -c #(nop)  COPY file:8f1c0a in /app ", Instruction{"COPY", "file:8f1c0a in /app"}},
		{"/bin/sh -c #(nop) ADD file:6f0a in / ", Instruction{"ADD", "file:6f0a in /"}},
		{`/bin/sh -c #(nop)  CMD ["bash"]`, Instruction{"CMD", `["bash"]`}},
		{"/bin/sh -c #(nop)  ENV A=b", Instruction{"ENV", "A=b"}},
		{"/bin/sh -c apt-get update && apt-get install -y gcc", Instruction{"RUN", "apt-get update && apt-get install -y gcc"}},
		{"|2 A=1 B=2 /bin/sh -c make all", Instruction{"RUN", "make all"}},
		{"RUN /bin/sh -c apt-get update # buildkit", Instruction{"RUN", "apt-get update"}},
		{"RUN |1 GOFLAGS=-trimpath /bin/sh -c go build ./... # buildkit", Instruction{"RUN", "go build ./..."}},
		{"RUN /bin/bash -o pipefail -c curl x | sh # buildkit", Instruction{"RUN", "curl x | sh"}},
		{"COPY /out/app /app # buildkit", Instruction{"COPY", "/out/app /app"}},
		{"COPY . . # buildkit", Instruction{"COPY", ". ."}},
		{"ENV PATH=/usr/local/go/bin:/usr/bin", Instruction{"ENV", "PATH=/usr/local/go/bin:/usr/bin"}},
		{"USER 65532:65532", Instruction{"USER", "65532:65532"}},
		{`CMD ["node" "index.js"]`, Instruction{"CMD", `["node" "index.js"]`}},
		{"WORKDIR /app", Instruction{"WORKDIR", "/app"}},
		{"", Instruction{}},
		{"bazel build //app:image", Instruction{"", "bazel build //app:image"}},
		{"|x not args", Instruction{"", "|x not args"}},
	}
	for _, tt := range tests {
		if got := ParseCreatedBy(tt.in); got != tt.want {
			t.Errorf("ParseCreatedBy(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
