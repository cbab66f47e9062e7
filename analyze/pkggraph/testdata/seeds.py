# Writes seeds.txt for a fixture: the packages the default rules call build
# tools (analyze/rules/default.yaml: dpkg sections devel and libdevel, and
# the toolchain name globs), as the classifier would seed BuildToolOnly.
import fnmatch, sys
globs = ["*-dev", "build-essential", "gcc", "gcc-[0-9]*", "g++", "g++-[0-9]*", "cpp", "cpp-[0-9]*",
         "clang", "clang-[0-9]*", "llvm", "llvm-[0-9]*", "binutils", "binutils-*", "libbinutils", "libctf*",
         "libsframe*", "libgprofng*", "libcc1-*", "libisl[0-9]*", "libmpc[0-9]*", "libasan[0-9]*",
         "libtsan[0-9]*", "libubsan[0-9]*", "liblsan[0-9]*", "libhwasan[0-9]*", "libitm[0-9]*", "dpkg-dev",
         "libc-dev-bin", "libc-devtools", "make", "cmake", "pkg-config", "pkgconf", "pkgconf-bin", "node-gyp",
         "golang", "golang-go", "golang-src", "golang-[0-9]*", "rustc", "cargo", "rust-*", "libstd-rust-*"]
except_ = ["gcc-*-base", "cpp-*-base"]
out = []
for s in open(sys.argv[1]).read().strip().split('\n\n'):
    d = dict(l.split(': ', 1) for l in s.split('\n') if l and l[0] != ' ' and ': ' in l)
    n = d['Package']
    if any(fnmatch.fnmatchcase(n, e) for e in except_):
        continue
    if d.get('Section') in ('devel', 'libdevel') or any(fnmatch.fnmatchcase(n, g) for g in globs):
        out.append(n)
print('\n'.join(sorted(out)))
