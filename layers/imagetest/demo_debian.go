package imagetest

import (
	"fmt"
	"path"
)

const (
	kB = 1000
	mB = 1000 * kB
)

const libdir = "usr/lib/x86_64-linux-gnu"

// The Mozilla CA certificates ca-certificates installs.
const caCount = 138

var caName = names("ACCVRAIZ1 Actalis_Authentication_Root_CA AffirmTrust_Commercial Amazon_Root_CA_1 Amazon_Root_CA_2 Amazon_Root_CA_3 Atos_TrustedRoot_2011 Baltimore_CyberTrust_Root Certigna Certum_Trusted_Network_CA DigiCert_Assured_ID_Root_CA DigiCert_Global_Root_CA DigiCert_Global_Root_G2 Entrust_Root_Certification_Authority GlobalSign_Root_CA GTS_Root_R1 GTS_Root_R2 ISRG_Root_X1 ISRG_Root_X2 QuoVadis_Root_CA_2 SecureTrust_CA Starfield_Class_2_CA USERTrust_RSA_Certification_Authority", "")

// doc adds the copyright file every Debian package ships (slim images keep
// it when they drop the rest of usr/share/doc).
func doc(t tree, pkg string) tree {
	return t.file("usr/share/doc/"+pkg+"/copyright", 1500+int64(len(pkg))*211)
}

func pkgFiles(pkg string) tree { return doc(tree{}, pkg) }

// basePackages is a Debian bookworm base with the Node.js runtime, sized
// down (about a quarter) so the demo stays small.
func basePackages() []debPkg {
	coreutils := pkgFiles("coreutils").
		spread("usr/bin", 48, 3600*kB, names("cat chmod chown cp date dd df du echo env head id install ln ls mkdir mktemp mv nproc od printf pwd readlink rm rmdir seq sleep sort split stat stty sync tail tee touch tr true uname uniq wc whoami yes basename dirname cut expr false md5sum sha256sum", ""))
	for _, e := range coreutils {
		if path.Dir(e.Path) == "usr/bin" {
			e.Mode = 0o755
			coreutils[e.Path] = e
		}
	}
	libc := pkgFiles("libc6").
		exe(libdir+"/libc.so.6", 1922*kB).
		file(libdir+"/libm.so.6", 907*kB).
		file(libdir+"/libresolv.so.2", 68*kB).
		file(libdir+"/libpthread.so.0", 21*kB).
		file(libdir+"/libdl.so.2", 14*kB).
		file(libdir+"/librt.so.1", 14*kB).
		file(libdir+"/libnss_files.so.2", 14*kB).
		file(libdir+"/libnss_dns.so.2", 14*kB).
		exe(libdir+"/ld-linux-x86-64.so.2", 210*kB).
		link("usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2").
		exe("usr/bin/ldd", 5*kB).
		exe("usr/bin/getconf", 35*kB).
		exe("usr/bin/iconv", 63*kB).
		exe("usr/bin/locale", 58*kB).
		spread(libdir+"/gconv", 36, 1100*kB, names("ANSI_X3.110 BIG5 BIG5HKSCS CP1250 CP1251 CP1252 CP1253 CP1254 CP1255 CP1256 CP1257 CP1258 CP932 EUC-JP EUC-KR EUC-TW GB18030 GBK IBM037 IBM1047 ISO-2022-JP ISO-2022-KR ISO8859-1 ISO8859-15 ISO8859-2 ISO8859-5 ISO8859-7 ISO8859-9 KOI8-R KOI8-U SJIS TCVN5712-1 TIS-620 UHC UNICODE UTF-16", ".so")).
		file(libdir+"/gconv/gconv-modules.cache", 27*kB)
	cacerts := pkgFiles("ca-certificates").
		exe("usr/sbin/update-ca-certificates", 11*kB).
		body("etc/ca-certificates.conf", "# Mozilla CA bundle, generated for the imgdiff demo\n")
	for i := range caCount {
		cacerts.file("usr/share/ca-certificates/mozilla/"+caName(i)+".crt", 1900+int64(i%7)*150)
	}
	cacerts.dir("etc/ssl/certs", 0o755)

	nodejs := pkgFiles("nodejs").
		exe("usr/bin/node", 11*mB).
		link("usr/bin/npm", "../lib/node_modules/npm/bin/npm-cli.js").
		link("usr/bin/npx", "../lib/node_modules/npm/bin/npx-cli.js").
		file("usr/share/man/man1/node.1.gz", 8*kB).
		file("usr/share/doc/nodejs/CHANGELOG.md", 180*kB).
		exe("usr/lib/node_modules/npm/bin/npm-cli.js", 54).
		exe("usr/lib/node_modules/npm/bin/npx-cli.js", 2*kB).
		body("usr/lib/node_modules/npm/package.json", `{"name":"npm","version":"10.2.4","bin":{"npm":"bin/npm-cli.js","npx":"bin/npx-cli.js"}}`+"\n").
		spread("usr/lib/node_modules/npm/lib/commands", 60, 420*kB, names("access adduser audit bugs cache ci completion config dedupe deprecate diff dist-tag docs doctor edit exec explain explore find-dupes fund get help-search help hook init install-ci-test install-test install link ll login logout ls org outdated owner pack ping pkg prefix profile prune publish query rebuild repo restart root run-script sbom search set shrinkwrap star stars start stop team test token uninstall unpublish unstar update version view whoami", ".js")).
		spread("usr/lib/node_modules/npm/node_modules", 90, 2600*kB, names("@npmcli/arborist @npmcli/config @npmcli/fs @npmcli/git @npmcli/map-workspaces @npmcli/package-json @npmcli/run-script abbrev archy cacache chalk ci-info cli-columns fastest-levenshtein fs-minipass glob graceful-fs hosted-git-info ini init-package-json is-cidr json-parse-even-better-errors libnpmaccess libnpmdiff libnpmexec libnpmfund libnpmpack libnpmpublish libnpmsearch libnpmteam libnpmversion make-fetch-happen minimatch minipass minipass-pipeline ms node-gyp nopt normalize-package-data npm-audit-report npm-install-checks npm-package-arg npm-pick-manifest npm-profile npm-registry-fetch npm-user-validate npmlog p-map pacote parse-conflict-json proc-log qrcode-terminal read semver ssri supports-color tar text-table tiny-relative-date treeverse validate-npm-package-name which write-file-atomic", "/index.js"))

	return []debPkg{
		{name: "base-files", version: "12.4+deb12u5", section: "admin", desc: "Debian base system miscellaneous files",
			files: pkgFiles("base-files").body("etc/debian_version", "12.5\n").
				body("usr/lib/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n").
				link("etc/os-release", "../usr/lib/os-release").
				body("etc/issue", "Debian GNU/Linux 12 \\n \\l\n\n").
				file("usr/share/common-licenses/GPL-3", 35*kB).
				file("usr/share/common-licenses/Apache-2.0", 11*kB)},
		{name: "bash", version: "5.2.15-2+b2", section: "shells", desc: "GNU Bourne Again SHell",
			files: pkgFiles("bash").exe("usr/bin/bash", 1265*kB).file("etc/bash.bashrc", 2*kB).file("etc/skel/.bashrc", 3*kB)},
		{name: "dash", version: "0.5.12-2", section: "shells", desc: "POSIX-compliant shell",
			files: pkgFiles("dash").exe("usr/bin/dash", 125*kB).link("usr/bin/sh", "dash")},
		{name: "coreutils", version: "9.1-1", section: "utils", desc: "GNU core utilities", files: coreutils},
		{name: "gcc-12-base", version: "12.2.0-14", section: "libs", source: "gcc-12", multiArch: "same", desc: "GCC, the GNU Compiler Collection (base package)",
			files: pkgFiles("gcc-12-base")},
		{name: "libgcc-s1", version: "12.2.0-14", section: "libs", source: "gcc-12", multiArch: "same", depends: "gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)", desc: "GCC support library",
			files: pkgFiles("libgcc-s1").file(libdir+"/libgcc_s.so.1", 125*kB)},
		{name: "libc6", version: "2.36-9+deb12u4", section: "libs", source: "glibc", multiArch: "same", depends: "libgcc-s1", desc: "GNU C Library: Shared libraries", files: libc},
		{name: "libstdc++6", version: "12.2.0-14", section: "libs", source: "gcc-12", multiArch: "same", depends: "gcc-12-base (= 12.2.0-14), libc6 (>= 2.36), libgcc-s1 (>= 4.3)", desc: "GNU Standard C++ Library v3",
			files: pkgFiles("libstdc++6").file(libdir+"/libstdc++.so.6.0.30", 2260*kB).link(libdir+"/libstdc++.so.6", "libstdc++.so.6.0.30")},
		{name: "zlib1g", version: "1:1.2.13.dfsg-1", section: "libs", source: "zlib", multiArch: "same", depends: "libc6 (>= 2.14)", desc: "compression library - runtime",
			files: pkgFiles("zlib1g").file(libdir+"/libz.so.1.2.13", 121*kB).link(libdir+"/libz.so.1", "libz.so.1.2.13")},
		{name: "libssl3", version: "3.0.11-1~deb12u2", section: "libs", source: "openssl", multiArch: "same", depends: "libc6 (>= 2.34)", desc: "Secure Sockets Layer toolkit - shared libraries",
			files: pkgFiles("libssl3").file(libdir+"/libssl.so.3", 680*kB).file(libdir+"/libcrypto.so.3", 4710*kB).
				file(libdir+"/engines-3/afalg.so", 27*kB).file(libdir+"/engines-3/loader_attic.so", 60*kB).file(libdir+"/ossl-modules/legacy.so", 150*kB)},
		{name: "ca-certificates", version: "20230311", section: "misc", depends: "openssl (>= 1.1.1)", desc: "Common CA certificates", files: cacerts},
		{name: "dpkg", version: "1.21.22", section: "admin", desc: "Debian package management system",
			files: pkgFiles("dpkg").exe("usr/bin/dpkg", 310*kB).exe("usr/bin/dpkg-deb", 150*kB).exe("usr/bin/dpkg-query", 150*kB).
				exe("usr/bin/dpkg-divert", 150*kB).exe("usr/bin/update-alternatives", 60*kB).file("etc/dpkg/dpkg.cfg", 446)},
		{name: "apt", version: "2.6.1", section: "admin", depends: "libapt-pkg6.0 (>= 2.6.1)", desc: "commandline package manager",
			files: pkgFiles("apt").exe("usr/bin/apt-get", 55*kB).exe("usr/bin/apt", 19*kB).exe("usr/bin/apt-cache", 87*kB).exe("usr/bin/apt-config", 27*kB).
				file(libdir+"/libapt-pkg.so.6.0.0", 2330*kB).link(libdir+"/libapt-pkg.so.6.0", "libapt-pkg.so.6.0.0").
				exe("usr/lib/apt/methods/http", 96*kB).link("usr/lib/apt/methods/https", "http").exe("usr/lib/apt/methods/gpgv", 60*kB).
				body("etc/apt/apt.conf.d/docker-clean", "DPkg::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };\n").
				body("etc/apt/sources.list.d/debian.sources", "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")},
		{name: "nodejs", version: "20.11.1-1nodesource1", section: "web", depends: "libc6 (>= 2.28), libstdc++6 (>= 11), python3-minimal, ca-certificates", desc: "Node.js event-based server-side javascript engine", files: nodejs},
	}
}

// baseLayer is the root filesystem of the base image: the packages, their
// dpkg database, and the few files no package owns.
func baseLayer() tree {
	pkgs := basePackages()
	t := installPkgs(nil, pkgs)
	// The usrmerge links, root's home, /tmp and the files the installer
	// generates.
	t.link("bin", "usr/bin").link("lib", "usr/lib").link("lib64", "usr/lib64").link("sbin", "usr/sbin")
	t.dir("root", 0o700).dir("tmp", 0o1777).dir("var/lib/apt/lists/partial", 0o700)
	t.body("etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\napp:x:10001:10001::/app:/usr/sbin/nologin\n")
	t.body("etc/group", "root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\napp:x:10001:\n")
	t.body("etc/hostname", "localhost\n")
	t.file("var/cache/debconf/templates.dat", 420*kB).file("var/cache/debconf/config.dat", 12*kB)
	t.file("var/cache/ldconfig/aux-cache", 9*kB).file("etc/ld.so.cache", 14*kB)
	t.body("var/lib/dpkg/available", "")
	// update-ca-certificates' output: owned by no package.
	for i := range caCount {
		n := caName(i)
		t.link("etc/ssl/certs/"+n+".pem", "/usr/share/ca-certificates/mozilla/"+n+".crt")
	}
	t.file("etc/ssl/certs/ca-certificates.crt", 213*kB)
	return t
}

// toolchainPackages is `apt-get install build-essential gcc-12 make` on
// bookworm: the C toolchain, its libraries and headers.
func toolchainPackages() []debPkg {
	gccdir := "usr/lib/gcc/x86_64-linux-gnu/12"
	headers := names("assert complex ctype dirent dlfcn elf endian errno fcntl features fenv float glob grp iconv inttypes langinfo libgen limits link locale malloc math memory mntent netdb poll pthread pwd regex resolv sched search semaphore setjmp signal spawn stdint stdio stdlib string strings syslog termios threads time uchar unistd utime utmp wchar wctype wordexp", ".h")
	kheaders := names("aio_abi auxvec bpf capability elf errno eventpoll fcntl fs futex if if_ether if_packet in in6 input ioctl ipc kernel limits magic mman netlink param perf_event prctl ptrace sched signal socket stat stddef sysinfo tcp time types udp un unistd uio version wait", ".h")
	binutils := tree{}
	for _, b := range []struct {
		n string
		s int64
	}{{"ld.bfd", 1830 * kB}, {"as", 800 * kB}, {"objdump", 450 * kB}, {"readelf", 790 * kB}, {"strip", 290 * kB}, {"objcopy", 290 * kB}, {"nm", 55 * kB}, {"ar", 60 * kB}, {"ranlib", 60 * kB}, {"size", 35 * kB}, {"strings", 35 * kB}, {"addr2line", 35 * kB}, {"gprof", 110 * kB}} {
		binutils.exe("usr/bin/x86_64-linux-gnu-"+b.n, b.s)
	}
	return []debPkg{
		{name: "binutils-common", version: "2.40-2", section: "devel", source: "binutils", multiArch: "same", desc: "Common files for the GNU assembler, linker and binary utilities",
			files: pkgFiles("binutils-common").spread("usr/share/locale/de/LC_MESSAGES", 6, 900*kB, names("bfd binutils gas gold gprof ld", ".mo"))},
		{name: "libbinutils", version: "2.40-2", section: "devel", source: "binutils", multiArch: "same", desc: "GNU binary utilities (private shared library)",
			files: pkgFiles("libbinutils").file(libdir+"/libbfd-2.40-system.so", 1880*kB).file(libdir+"/libopcodes-2.40-system.so", 1050*kB)},
		{name: "libctf0", version: "2.40-2", section: "devel", source: "binutils", multiArch: "same", desc: "Compact C Type Format library (runtime, BFD dependency)",
			files: pkgFiles("libctf0").file(libdir+"/libctf.so.0.0.0", 150*kB)},
		{name: "binutils-x86-64-linux-gnu", version: "2.40-2", section: "devel", source: "binutils", desc: "GNU binary utilities, for x86-64-linux-gnu target",
			files: doc(binutils, "binutils-x86-64-linux-gnu")},
		{name: "binutils", version: "2.40-2", section: "devel", desc: "GNU assembler, linker and binary utilities",
			files: pkgFiles("binutils").link("usr/bin/ld", "x86_64-linux-gnu-ld").link("usr/bin/x86_64-linux-gnu-ld", "x86_64-linux-gnu-ld.bfd").link("usr/bin/as", "x86_64-linux-gnu-as").link("usr/bin/objdump", "x86_64-linux-gnu-objdump").link("usr/bin/strip", "x86_64-linux-gnu-strip")},
		{name: "libisl23", version: "0.25-1.1", section: "libs", source: "isl", multiArch: "same", desc: "manipulating sets and relations of integer points bounded by linear constraints",
			files: pkgFiles("libisl23").file(libdir+"/libisl.so.23.2.0", 1850*kB).link(libdir+"/libisl.so.23", "libisl.so.23.2.0")},
		{name: "libmpfr6", version: "4.2.0-1", section: "libs", source: "mpfr4", multiArch: "same", desc: "multiple precision floating-point computation",
			files: pkgFiles("libmpfr6").file(libdir+"/libmpfr.so.6.2.0", 610*kB).link(libdir+"/libmpfr.so.6", "libmpfr.so.6.2.0")},
		{name: "libmpc3", version: "1.3.1-1", section: "libs", source: "mpclib3", multiArch: "same", desc: "multiple precision complex floating-point library",
			files: pkgFiles("libmpc3").file(libdir+"/libmpc.so.3.3.1", 110*kB).link(libdir+"/libmpc.so.3", "libmpc.so.3.3.1")},
		{name: "libasan8", version: "12.2.0-14", section: "libs", source: "gcc-12", multiArch: "same", desc: "AddressSanitizer -- a fast memory error detector",
			files: pkgFiles("libasan8").file(libdir+"/libasan.so.8.0.0", 1480*kB).link(libdir+"/libasan.so.8", "libasan.so.8.0.0")},
		{name: "cpp-12", version: "12.2.0-14", section: "interpreters", source: "gcc-12", depends: "gcc-12-base (= 12.2.0-14), libgmp10, libisl23, libmpc3, libmpfr6, libzstd1, zlib1g", desc: "GNU C preprocessor",
			files: pkgFiles("cpp-12").exe("usr/bin/x86_64-linux-gnu-cpp-12", 1010*kB).link("usr/bin/cpp-12", "x86_64-linux-gnu-cpp-12").
				exe(gccdir+"/cc1", 10400*kB).file("usr/share/man/man1/x86_64-linux-gnu-cpp-12.1.gz", 9*kB)},
		{name: "cpp", version: "4:12.2.0-3", section: "interpreters", source: "gcc-defaults", depends: "cpp-12 (>= 12.2.0-1~)", desc: "GNU C preprocessor (cpp)",
			files: pkgFiles("cpp").link("usr/bin/cpp", "cpp-12").link("usr/bin/x86_64-linux-gnu-cpp", "cpp-12")},
		{name: "libgcc-12-dev", version: "12.2.0-14", section: "libdevel", source: "gcc-12", multiArch: "same", desc: "GCC support library (development files)",
			files: pkgFiles("libgcc-12-dev").file(gccdir+"/libgcc.a", 1560*kB).file(gccdir+"/libgcc_eh.a", 220*kB).file(gccdir+"/libgcov.a", 260*kB).
				file(gccdir+"/crtbegin.o", 3*kB).file(gccdir+"/crtbeginS.o", 3*kB).file(gccdir+"/crtend.o", 1*kB).file(gccdir+"/crtendS.o", 1*kB).
				link(gccdir+"/libasan.so", "../../../x86_64-linux-gnu/libasan.so.8").link(gccdir+"/libgcc_s.so", "/lib/x86_64-linux-gnu/libgcc_s.so.1").
				spread(gccdir+"/include", 40, 1100*kB, names("avx2intrin avx512fintrin emmintrin float immintrin iso646 limits mmintrin omp pmmintrin smmintrin stdalign stdarg stdatomic stdbool stddef stdint stdnoreturn tmmintrin unwind varargs x86intrin xmmintrin", ".h"))},
		{name: "gcc-12", version: "12.2.0-14", section: "devel", depends: "cpp-12 (= 12.2.0-14), gcc-12-base (= 12.2.0-14), libcc1-0, binutils, libgcc-12-dev", desc: "GNU C compiler",
			files: pkgFiles("gcc-12").exe("usr/bin/x86_64-linux-gnu-gcc-12", 1010*kB).link("usr/bin/gcc-12", "x86_64-linux-gnu-gcc-12").
				exe("usr/bin/x86_64-linux-gnu-gcc-ar-12", 31*kB).exe("usr/bin/x86_64-linux-gnu-gcc-nm-12", 31*kB).exe("usr/bin/x86_64-linux-gnu-gcc-ranlib-12", 31*kB).
				exe(gccdir+"/collect2", 460*kB).exe(gccdir+"/lto-wrapper", 900*kB).exe(gccdir+"/lto1", 9200*kB).file(gccdir+"/liblto_plugin.so", 75*kB).
				file("usr/share/man/man1/x86_64-linux-gnu-gcc-12.1.gz", 290*kB)},
		{name: "gcc", version: "4:12.2.0-3", section: "devel", source: "gcc-defaults", depends: "cpp (= 4:12.2.0-3), gcc-12 (>= 12.2.0-1~)", desc: "GNU C compiler",
			files: pkgFiles("gcc").link("usr/bin/gcc", "gcc-12").link("usr/bin/x86_64-linux-gnu-gcc", "gcc-12").link("usr/bin/c99-gcc", "gcc").exe("usr/bin/c89-gcc", 428)},
		{name: "libc6-dev", version: "2.36-9+deb12u4", section: "libdevel", source: "glibc", multiArch: "same", depends: "libc6 (= 2.36-9+deb12u4), libc-dev-bin (= 2.36-9+deb12u4), linux-libc-dev, libcrypt-dev", desc: "GNU C Library: Development Libraries and Header Files",
			files: pkgFiles("libc6-dev").spread("usr/include", 62, 1300*kB, headers).
				spread("usr/include/x86_64-linux-gnu/bits", 120, 800*kB, names("types stat fcntl signum sigaction socket uio time endian wordsize libc-header-start floatn long-double mman resource sched setjmp stdio_lim timesize typesizes waitflags waitstatus", ".h")).
				file(libdir+"/libc.a", 5900*kB).file(libdir+"/libm-2.36.a", 2900*kB).file(libdir+"/libc_nonshared.a", 60*kB).
				body(libdir+"/libc.so", "/* GNU ld script\n   Use the shared library, but some functions are only in\n   the static library, so try that secondarily.  */\nOUTPUT_FORMAT(elf64-x86-64)\nGROUP ( /lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libc_nonshared.a  AS_NEEDED ( /lib64/ld-linux-x86-64.so.2 ) )\n").
				file(libdir+"/crt1.o", 4*kB).file(libdir+"/crti.o", 1*kB).file(libdir+"/crtn.o", 1*kB).link(libdir+"/libm.so", "libm.so.6")},
		{name: "libc-dev-bin", version: "2.36-9+deb12u4", section: "libdevel", source: "glibc", desc: "GNU C Library: Development binaries",
			files: pkgFiles("libc-dev-bin").exe("usr/bin/gencat", 27*kB).exe("usr/bin/sprof", 35*kB).exe("usr/bin/rpcgen", 100*kB)},
		{name: "linux-libc-dev", version: "6.1.76-1", section: "devel", source: "linux", multiArch: "same", desc: "Linux support headers for userspace development",
			files: pkgFiles("linux-libc-dev").spread("usr/include/linux", 320, 1650*kB, kheaders).
				spread("usr/include/asm-generic", 40, 160*kB, kheaders).spread("usr/include/x86_64-linux-gnu/asm", 50, 200*kB, kheaders)},
		{name: "libcrypt-dev", version: "1:4.4.33-2", section: "libdevel", source: "libxcrypt", multiArch: "same", desc: "libcrypt development files",
			files: pkgFiles("libcrypt-dev").file("usr/include/crypt.h", 9*kB).file(libdir+"/libcrypt.a", 260*kB).link(libdir+"/libcrypt.so", "libcrypt.so.1.1.0")},
		{name: "make", version: "4.3-4.1", section: "devel", source: "make-dfsg", desc: "utility for directing compilation",
			files: pkgFiles("make").exe("usr/bin/make", 245*kB).file("usr/share/man/man1/make.1.gz", 13*kB)},
		{name: "dpkg-dev", version: "1.21.22", section: "utils", source: "dpkg", desc: "Debian package development tools",
			files: pkgFiles("dpkg-dev").spread("usr/bin", 18, 420*kB, names("dpkg-architecture dpkg-buildflags dpkg-buildpackage dpkg-checkbuilddeps dpkg-distaddfile dpkg-genbuildinfo dpkg-genchanges dpkg-gencontrol dpkg-gensymbols dpkg-mergechangelogs dpkg-name dpkg-parsechangelog dpkg-scanpackages dpkg-scansources dpkg-shlibdeps dpkg-source dpkg-vendor dpkg-buildapi", "")).
				spread("usr/share/perl5/Dpkg", 48, 720*kB, names("Arch BuildEnv BuildFlags BuildOptions BuildProfiles Changelog Checksums Compression Conf Control Deps Exit File Getopt IPC Index Interface Lock OpenPGP Package Path Shlibs Source Substvars Vars Vendor Version", ".pm"))},
		{name: "build-essential", version: "12.9", section: "devel", depends: "libc6-dev | libc-dev, gcc (>= 4:12.2), g++ (>= 4:12.2), make, dpkg-dev (>= 1.17.11)", desc: "Informational list of build-essential packages",
			files: pkgFiles("build-essential").file("usr/share/build-essential/essential-packages-list", 1*kB).file("usr/share/build-essential/list", 3*kB)},
	}
}

// aptLists is what `apt-get update` leaves in var/lib/apt/lists.
func aptLists() tree {
	d := "var/lib/apt/lists/"
	return tree{}.
		file(d+"deb.debian.org_debian_dists_bookworm_InRelease", 151*kB).
		file(d+"deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4", 6100*kB).
		file(d+"deb.debian.org_debian_dists_bookworm-updates_InRelease", 55*kB).
		file(d+"deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages.lz4", 13*kB).
		file(d+"deb.debian.org_debian-security_dists_bookworm-security_InRelease", 48*kB).
		file(d+"deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4", 260*kB).
		add(Entry{Path: d + "lock", Body: []byte{}, Mode: 0o640}).
		dir(d+"partial", 0o700)
}

// toolchainLayer is the single-stage image's `apt-get update && apt-get
// install` layer.
func toolchainLayer() tree {
	t := installPkgs(basePackages(), toolchainPackages()).merge(aptLists())
	t.file("var/cache/debconf/templates.dat", 452*kB).file("var/cache/debconf/templates.dat-old", 420*kB)
	t.file("var/cache/ldconfig/aux-cache", 11*kB).file("etc/ld.so.cache", 19*kB)
	var log string
	for _, p := range toolchainPackages() {
		log += fmt.Sprintf("2024-01-02 03:05:00 status installed %s:%s %s\n", p.name, debArch, p.version)
	}
	t.body("var/log/dpkg.log", log)
	t.body("var/log/apt/history.log", "\nStart-Date: 2024-01-02  03:05:00\nCommandline: apt-get install -y --no-install-recommends build-essential gcc-12 make\nEnd-Date: 2024-01-02  03:05:09\n")
	t.file("var/log/apt/term.log", 14*kB)
	return t
}
