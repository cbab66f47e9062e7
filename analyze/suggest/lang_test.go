package suggest

import (
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

func pythonFixture() fixture {
	st := status([2]string{"libc6", ""}, [2]string{"dash", "libc6"}, [2]string{"python3", "python3.11"}, [2]string{"python3.11", "libc6"},
		[2]string{"python3-dev", "python3.11"}, [2]string{"gcc-12", "libc6"}, [2]string{"gcc", "gcc-12"}, [2]string{"python3-pip", "python3"}, [2]string{"python3-pytest", "python3"})
	dist := "usr/local/lib/python3.11/dist-packages/"
	return fixture{
		ref:        "wordstats:single",
		dockerfile: dfDir + "python/Dockerfile.single",
		status:     st,
		auto:       []string{"python3.11", "gcc-12"},
		pkgs: append(append([]pkgdef{}, basePkgs...),
			pkgdef{name: "python3", manager: "dpkg"},
			pkgdef{name: "python3.11", manager: "dpkg"},
			pkgdef{name: "python3-dev", manager: "dpkg", cat: model.BuildTool},
			pkgdef{name: "gcc", manager: "dpkg", cat: model.BuildTool},
			pkgdef{name: "gcc-12", manager: "dpkg", cat: model.BuildTool},
			pkgdef{name: "python3-pip", manager: "dpkg", cat: model.BuildTool},
			pkgdef{name: "python3-pytest", manager: "dpkg", cat: model.DevDependency},
			pkgdef{name: "wordstats", manager: "python", location: dist + "wordstats-1.0.dist-info"}),
		history: []step{
			debianBase(st),
			{createdBy: run("apt-get update && apt-get install -y --no-install-recommends     python3 python3-dev gcc python3-pip python3-pytest"), files: []ffile{
				{path: "usr/bin/python3", size: 10, kind: index.Symlink, pkg: "python3"},
				{path: "usr/bin/python3.11", size: 20_000_000, pkg: "python3.11", mode: 0o755},
				{path: "usr/include/python3.11/Python.h", size: 5_000_000, pkg: "python3-dev"},
				{path: "usr/share/doc/gcc/copyright", size: 1_000, pkg: "gcc"},
				{path: "usr/bin/gcc-12", size: 30_000_000, pkg: "gcc-12", mode: 0o755},
				{path: "usr/lib/python3/dist-packages/pip/__init__.py", size: 8_000_000, pkg: "python3-pip"},
				{path: "usr/lib/python3/dist-packages/pytest/__init__.py", size: 3_000_000, pkg: "python3-pytest"},
				{path: "var/lib/apt/lists/deb.debian.org_Packages", size: 9_000_000, cat: model.Cache},
			}},
			{createdBy: "WORKDIR /src", files: []ffile{{path: "src", kind: index.Dir}}},
			{createdBy: "COPY pyproject.toml setup.py ./ # buildkit", files: []ffile{
				{path: "src/pyproject.toml", size: 400},
				{path: "src/setup.py", size: 300},
			}},
			{createdBy: "COPY src ./src # buildkit", files: []ffile{
				{path: "src/src/wordstats/__init__.py", size: 2_000},
				{path: "src/src/wordstats/_count.c", size: 3_000, cat: model.Source},
			}},
			{createdBy: "COPY tests ./tests # buildkit", files: []ffile{{path: "src/tests/test_count.py", size: 1_500, cat: model.Source}}},
			{createdBy: run("pip install --break-system-packages --no-index --no-build-isolation .     && python3 -m pytest -q -p no:cacheprovider tests"), files: []ffile{
				{path: dist + "wordstats/__init__.py", size: 2_000, pkg: "wordstats"},
				{path: dist + "wordstats/_count.cpython-311-x86_64-linux-gnu.so", size: 60_000, pkg: "wordstats", mode: 0o755},
				{path: dist + "wordstats-1.0.dist-info/RECORD", size: 500, pkg: "wordstats"},
				{path: "usr/local/bin/wordstats", size: 200, mode: 0o755},
				{path: "root/.cache/pip/http/x", size: 1_000_000, cat: model.Cache},
			}},
			{createdBy: `CMD ["wordstats"]`, empty: true},
		},
		config: model.Config{Cmd: []string{"wordstats"}, WorkingDir: "/src"},
		elf: map[string]ELF{dist + "wordstats/_count.cpython-311-x86_64-linux-gnu.so": {Needed: []string{"libc.so.6"}},
			"usr/bin/python3.11": {Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libc.so.6"}}},
	}
}

func javaFixture() fixture {
	st := status([2]string{"libc6", ""}, [2]string{"dash", "libc6"}, [2]string{"openjdk-17-jdk-headless", "openjdk-17-jre-headless"}, [2]string{"openjdk-17-jre-headless", "libc6"})
	return fixture{
		ref:        "java-app:single",
		dockerfile: dfDir + "java/Dockerfile.single",
		status:     st,
		auto:       []string{"openjdk-17-jre-headless"},
		pkgs: append(append([]pkgdef{}, basePkgs...),
			pkgdef{name: "openjdk-17-jdk-headless", manager: "dpkg", cat: model.BuildTool},
			pkgdef{name: "openjdk-17-jre-headless", manager: "dpkg"}),
		history: []step{
			debianBase(st),
			{createdBy: run("mkdir -p /usr/share/man/man1 && apt-get update     && apt-get install -y --no-install-recommends openjdk-17-jdk-headless"), files: []ffile{
				{path: "usr/lib/jvm/java-17-openjdk-amd64/jmods/java.base.jmod", size: 80_000_000, pkg: "openjdk-17-jdk-headless"},
				{path: "usr/lib/jvm/java-17-openjdk-amd64/lib/modules", size: 130_000_000, pkg: "openjdk-17-jre-headless"},
				{path: "var/lib/apt/lists/deb.debian.org_Packages", size: 9_000_000, cat: model.Cache},
			}},
			{createdBy: "WORKDIR /src", files: []ffile{{path: "src", kind: index.Dir}}},
			{createdBy: "COPY src ./src # buildkit", files: []ffile{{path: "src/src/main/java/Main.java", size: 3_000, cat: model.Source}}},
			{createdBy: run("javac -d classes src/main/java/*.java     && javac -cp classes -d test-classes src/test/java/*.java     && java -ea -cp classes:test-classes MainTest     && jar --create --file app.jar --main-class Main -C classes ."), files: []ffile{
				{path: "src/app.jar", size: 5_000},
				{path: "src/classes/Main.class", size: 4_000},
				{path: "src/test-classes/MainTest.class", size: 2_000},
			}},
			{createdBy: `CMD ["java" "-jar" "/src/app.jar"]`, empty: true},
		},
		config: model.Config{Cmd: []string{"java", "-jar", "/src/app.jar"}, WorkingDir: "/src"},
	}
}
