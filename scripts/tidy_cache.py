#!/usr/bin/env python3
"""Which sources clang-tidy must look at: those not known clean (scripts/tidy.sh uses it).

A source is known clean when .ci/tidy-clean holds its key: a hash of the clang-tidy version,
.clang-tidy, the source's compile command and the content of every project file it includes
(from the build's ninja dependency log). Any edit to the source, to a header it includes, to the
checks or to its flags changes the key, so only what changed is tidied again; a fresh clone tidies
in seconds what took twenty minutes on two cores.

    tidy_cache.py pending BUILD_DIR PREFIX        sources under PREFIX to tidy, one per line
    tidy_cache.py record BUILD_DIR SOURCE...      mark those sources clean (after a clean run)
"""
import functools
import hashlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".ci" / "tidy-clean"


def compile_commands(build: Path) -> dict[str, dict]:
    entries = json.loads((build / "compile_commands.json").read_text())
    return {str(Path(e["file"]).resolve().relative_to(ROOT)): e for e in entries
            if Path(e["file"]).resolve().is_relative_to(ROOT)}


def all_dependencies(build: Path) -> dict[str, list[str]]:
    """Every object's inputs, as ninja's dependency log recorded them (valid entries only)."""
    run = subprocess.run(["ninja", "-C", str(build), "-t", "deps"], capture_output=True, text=True, check=True)
    deps: dict[str, list[str]] = {}
    current = None
    for line in run.stdout.splitlines():
        if line and not line[0].isspace():
            output, _, status = line.partition(": ")
            current = deps.setdefault(output, []) if "(VALID)" in status else None
        elif current is not None and line.strip():
            current.append(line.strip())
    return deps


def object_of(entry: dict) -> str:
    args = shlex.split(entry["command"])
    return args[args.index("-o") + 1]


@functools.cache
def content_hash(path: str) -> bytes:
    return hashlib.sha256(Path(path).read_bytes()).digest()


def key(build: Path, entry: dict, deps: list[str] | None, common: bytes) -> str | None:
    if not deps:
        return None
    h = hashlib.sha256(common)
    root, build_abs = str(ROOT), str(build.resolve())
    # The command without its absolute paths, so a clone elsewhere gets the same key; debug-info
    # flags (-g, -g1, -gline-tables-only) do not change what clang-tidy reads, so all hash as -g,
    # and neither does the code layout's -ffunction-sections (cmake/code_layout.cmake).
    args = (("-g" if arg.startswith("-g") else arg) for arg in entry["command"].split(" "))
    command = " ".join(arg for arg in args if arg != "-ffunction-sections")
    h.update(command.replace(build_abs, "@build").replace(root, "@").encode())
    # ninja records each input as the compiler named it: absolute, or relative to the build
    # directory when ccache rewrote the command (its base_dir). Each is hashed, and sorted, by
    # one name that does not depend on that or on where the clone is: a project file by its
    # path in the project (and its content), a system header by its absolute path (the Debian
    # release pins its content).
    names: dict[str, str] = {}
    for dep in deps:
        path = os.path.normpath(os.path.join(build_abs, dep))
        names["@" + path[len(root):] if path.startswith(root + "/") else path] = path
    for name in sorted(names):
        h.update(name.encode())
        if name.startswith("@"):
            h.update(content_hash(names[name]))
    return h.hexdigest()


def common_input() -> bytes:
    version = subprocess.run(["clang-tidy", "--version"], capture_output=True, text=True).stdout
    return version.encode() + (ROOT / ".clang-tidy").read_bytes()


def load() -> dict[str, str]:
    if not CACHE.exists():
        return {}
    return dict(line.split(" ", 1)[::-1] for line in CACHE.read_text().splitlines() if " " in line)


def main() -> int:
    command, build = sys.argv[1], Path(sys.argv[2])
    commands = compile_commands(build)
    common = common_input()
    cache = load()
    deps = all_dependencies(build)

    def key_of(source: str) -> str | None:
        return key(build, commands[source], deps.get(object_of(commands[source])), common)

    if command == "pending":
        prefix = sys.argv[3]
        for source in sorted(s for s in commands if s.startswith(prefix) and s.endswith(".cpp")):
            if cache.get(source) != key_of(source):
                print(source)
        return 0
    if command == "record":
        for source in sys.argv[3:]:
            source = str(Path(source).resolve().relative_to(ROOT))
            k = key_of(source)
            if k:
                cache[source] = k
        cache = {s: k for s, k in cache.items() if (ROOT / s).exists()}
        CACHE.write_text("".join(f"{k} {s}\n" for s, k in sorted(cache.items())))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
