package index

// Unknown marks a size a source cannot tell: a compressed size read from
// an archive that holds its layers uncompressed. Package layers and the
// analysis model (analyze.Unknown) use this one value.
const Unknown int64 = -1

// Join joins name to canonical directory dir ("." is the root): the
// canonical path of dir's child name, without path.Join's cleaning.
func Join(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}

// Base is the last element of canonical path p.
func Base(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}
