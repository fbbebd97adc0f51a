#!/usr/bin/python3
"""test_layers.py SRC LAYER...: the source tree keeps its layers.

SRC holds one folder per layer, LAYER... names them from the bottom up (the order
src/CMakeLists.txt builds them in). Fails, naming the file and the line, when
  - a file includes a header of a higher layer ("io/h5write.c:12 includes plan/plan.h:
    io may include base, engine, io"), or a header that is in no layer;
  - a file of base or engine includes HDF5, libyaml, MPI or zlib (the engine computes;
    it reads and writes nothing);
  - files need each other in a circle: a file is its .c with the .h of the same name, and
    A needs B when A calls a function that B's .c defines (what B's header declares);
  - a header declares a function that the .c of its name does not define (a header says
    what its own .c does; a header without a .c declares no function).
Exit status 0 when every rule holds, 1 with every breach listed otherwise."""
import os
import re
import sys

EXTERNAL = {"hdf5.h", "hdf5_hl.h", "yaml.h", "mpi.h", "zlib.h"}
NO_EXTERNAL = {"base", "engine"}  # layers that must not include EXTERNAL headers

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]', re.M)
# A declaration at file level: a line from column 0 naming a function, up to ");".
DECLARATION = re.compile(r"^(?![ \t#/}*])(?!typedef)[^;{}()\n]*?\b(\w+)\s*\([^;{}]*?\)\s*;", re.M)
# A definition: from column 0, the name, its parameters, its body.
DEFINITION = re.compile(r"^(?![ \t#}])[^;{}()\n]*?\b(\w+)\s*\([^;{}]*\)\s*\{", re.M)
CALL = re.compile(r"\b(\w+)\s*\(")


def strip_comments(text, strings=False):
    """The text with /* */ and // comments (and, with strings, string literals) blanked,
    line numbers kept."""
    def blank(m):
        return m.group(0) if m.group(0)[0] in "\"'" and not strings else re.sub(r"[^\n]", " ", m.group(0))
    text = re.sub(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/|//[^\n]*', blank, text, flags=re.S)
    # SW_PRINTF(3, 4) before a declaration or a definition is an attribute, not a call
    return re.sub(r"\bSW_PRINTF\s*\([^)]*\)", lambda m: " " * len(m.group(0)), text)


def read_tree(src, layers):
    """{layer: [file names]} and {header name: layer}; duplicate header names are an error
    (includes name headers without their folder)."""
    files, owner, problems = {}, {}, []
    for layer in layers:
        folder = os.path.join(src, layer)
        if not os.path.isdir(folder):
            problems.append(f"{layer}/: no such folder under {src}")
            continue
        files[layer] = sorted(f for f in os.listdir(folder) if f.endswith((".c", ".h")))
        for f in files[layer]:
            if f.endswith(".h"):
                if f in owner:
                    problems.append(f"{layer}/{f}: a header of that name is also in {owner[f]}/")
                owner[f] = layer
    for f in sorted(os.listdir(src)):
        if f.endswith((".c", ".h")):
            problems.append(f"{f}: a source file outside the layer folders")
    return files, owner, problems


def room(name):
    return os.path.splitext(name)[0]


def check_includes(src, layers, files, owner):
    """Upward and external includes."""
    rank = {layer: i for i, layer in enumerate(layers)}
    problems = []
    for layer in layers:
        for f in files.get(layer, []):
            text = strip_comments(open(os.path.join(src, layer, f), encoding="utf-8").read())
            for m in INCLUDE.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                kind, name = m.group(1), m.group(2)
                where = f"{layer}/{f}:{line}"
                if kind == "<":
                    if name in EXTERNAL and layer in NO_EXTERNAL:
                        problems.append(f"{where} includes <{name}>: {layer} may use no HDF5, YAML, MPI or zlib")
                    continue
                if name not in owner:
                    problems.append(f'{where} includes "{name}", which is in no layer folder')
                    continue
                to = owner[name]
                if rank[to] > rank[layer]:
                    below = ", ".join(layers[: rank[layer] + 1])
                    problems.append(f"{where} includes {to}/{name}: {layer} may include {below}")
    return problems


def call_edges(src, layers, files):
    """{room: rooms whose functions it calls}, a room being (layer, name without extension)."""
    texts, defines = {}, {}
    for layer in layers:
        for f in files.get(layer, []):
            text = strip_comments(open(os.path.join(src, layer, f), encoding="utf-8").read(), strings=True)
            texts.setdefault((layer, room(f)), []).append(text)
            if f.endswith(".c"):
                for m in DEFINITION.finditer(text):
                    name = m.group(1)
                    if name.isupper() or re.match(r"\s*static\b", text[text.rfind("\n", 0, m.start()) + 1:m.start(1)]):
                        continue  # a macro before a definition (SW_PRINTF), or a file's own function
                    defines.setdefault(name, set()).add((layer, room(f)))
    # a name that two files define (kernels.c and its dispatch, sweep_mpi.c and its stand-in)
    # is not a call to either
    defines = {name: rooms.pop() for name, rooms in defines.items() if len(rooms) == 1}
    edges = {}
    for here, parts in texts.items():
        edges[here] = set()
        for text in parts:
            for m in CALL.finditer(text):
                there = defines.get(m.group(1))
                if there and there != here:
                    edges[here].add(there)
    return edges


def circles(edges):
    """The strongly connected components of more than one room (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def check_declarations(src, layers, files):
    """Functions a header declares that the .c of its name does not define."""
    problems = []
    for layer in layers:
        names = set(files.get(layer, []))
        for h in (f for f in files.get(layer, []) if f.endswith(".h")):
            text = strip_comments(open(os.path.join(src, layer, h), encoding="utf-8").read())
            declared = [m.group(1) for m in DECLARATION.finditer(text)]
            if not declared:
                continue
            c = room(h) + ".c"
            if c not in names:
                problems.append(f"{layer}/{h} declares {', '.join(declared)} but there is no {layer}/{c}")
                continue
            body = strip_comments(open(os.path.join(src, layer, c), encoding="utf-8").read(), strings=True)
            defined = {m.group(1) for m in DEFINITION.finditer(body)}
            for name in declared:
                if name not in defined:
                    problems.append(f"{layer}/{h} declares {name}, which {layer}/{c} does not define")
    return problems


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    src, layers = argv[1], argv[2:]
    files, owner, problems = read_tree(src, layers)
    problems += check_includes(src, layers, files, owner)
    for c in circles(call_edges(src, layers, files)):
        problems.append("include circle: " + " -> ".join(f"{layer}/{name}" for layer, name in c))
    problems += check_declarations(src, layers, files)
    count = sum(len(v) for v in files.values())
    if problems:
        print("\n".join(problems))
        print(f"{len(problems)} breach{'es' if len(problems) != 1 else ''} of the layers in {count} files")
        return 1
    print(f"{count} files in {len(layers)} layers ({' < '.join(layers)}): no upward include, no circle of "
          "calls, every header declares what its .c defines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
