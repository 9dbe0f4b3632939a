"""What an out-of-Bazel fuzzing build (OSS-Fuzz, ClusterFuzzLite: ci/oss-fuzz/build.sh) must compile.

OSS-Fuzz's builder images have no Bazel, so ci/oss-fuzz/build.sh compiles sources itself from a checked-in
list, ci/oss-fuzz/targets.txt. That list is not written by hand: `oss_fuzz_manifest()` (called at the end of
fuzz/BUILD) walks the real dependency graph of every `<name>_fuzz_target` library with an aspect and writes
what it finds, and `oss_fuzz_manifest_test` fails any `bazel test //fuzz/...` in which the checked-in list
differs from the graph (ci/oss-fuzz/update_manifest.sh rewrites it). A dependency added in a BUILD file
therefore cannot silently go missing from the OSS-Fuzz build.

Manifest lines, one fact each, sorted within a target:
  <target> main <path>      the target's own sources (fuzz/<name>.cc: defines LLVMFuzzerTestOneInput)
  <target> lib <path>       a C/C++ source of a library it depends on, transitively
  <target> link <flag>      a linkopt of a library it depends on (e.g. -pthread)
  <target> external <repo>  an external repository it depends on (build.sh knows how to provide each one)
  <target> unsupported <what>  something build.sh cannot reproduce (a copt, define, generated source...);
                            build.sh refuses to build while any such line exists
"""

load(":defs.bzl", "WARNINGS")

_SOURCE_EXTENSIONS = ["c", "cc", "cpp", "cxx"]

OssFuzzInfo = provider(
    doc = "Transitive sources and link flags of a C++ library, as an out-of-Bazel build needs them.",
    fields = {
        "own": "depset of this target's own source paths",
        "srcs": "depset of source paths, transitively (own included)",
        "linkopts": "depset of linkopts, transitively",
        "external": "depset of external repository names, transitively",
        "unsupported": "depset of strings naming what build.sh could not reproduce",
    },
)

def _aspect_impl(target, ctx):
    own = []
    linkopts = []
    external = []
    unsupported = []
    workspace = target.label.workspace_name
    if workspace:
        # Headers and sources from an external repository are provided by build.sh (system packages); the
        # repository is recorded, not its files.
        external.append(workspace)
    elif ctx.rule.kind == "cc_library":
        for f in ctx.rule.files.srcs:
            if f.extension not in _SOURCE_EXTENSIONS:
                continue
            if not f.is_source:
                unsupported.append("generated source " + f.short_path)
            own.append(f.short_path)
        linkopts = ctx.rule.attr.linkopts
        for c in ctx.rule.attr.copts:
            if c not in WARNINGS:
                unsupported.append("copt %s in %s" % (c, target.label))
        for d in ctx.rule.attr.defines + ctx.rule.attr.local_defines:
            unsupported.append("define %s in %s" % (d, target.label))
        for attr in ["includes", "include_prefix", "strip_include_prefix"]:
            if getattr(ctx.rule.attr, attr):
                unsupported.append("%s in %s" % (attr, target.label))
    else:
        unsupported.append("dependency of kind %s: %s" % (ctx.rule.kind, target.label))

    deps = [d[OssFuzzInfo] for d in getattr(ctx.rule.attr, "deps", []) if OssFuzzInfo in d]
    return [OssFuzzInfo(
        own = depset(own),
        srcs = depset(own, transitive = [d.srcs for d in deps]),
        linkopts = depset(linkopts, transitive = [d.linkopts for d in deps]),
        external = depset(external, transitive = [d.external for d in deps]),
        unsupported = depset(unsupported, transitive = [d.unsupported for d in deps]),
    )]

_oss_fuzz_aspect = aspect(
    implementation = _aspect_impl,
    attr_aspects = ["deps"],
)

_HEADER = """\
# Generated from the Bazel graph by //fuzz:oss_fuzz_manifest (tools/bazel/oss_fuzz.bzl); do not edit.
# Regenerate with ci/oss-fuzz/update_manifest.sh; `bazel test //fuzz:oss_fuzz_manifest_test` checks it.
# Read by ci/oss-fuzz/build.sh, which has no Bazel. Format: <target> main|lib|link|external|unsupported <value>
"""

def _manifest_impl(ctx):
    lines = []
    for t in ctx.attr.targets:
        name = t.label.name
        if not name.endswith("_fuzz_target"):
            fail("%s: expected a <name>_fuzz_target library (nic_cc_fuzz_test)" % t.label)
        name = name[:-len("_target")]
        info = t[OssFuzzInfo]
        own = info.own.to_list()
        for kind, values in [
            ("main", own),
            ("lib", [s for s in info.srcs.to_list() if s not in own]),
            ("link", info.linkopts.to_list()),
            ("external", info.external.to_list()),
            ("unsupported", info.unsupported.to_list()),
        ]:
            for v in sorted(values):
                if " " in v:
                    fail("%s: '%s' contains a space, which the manifest format cannot carry" % (t.label, v))
                lines.append("%s %s %s" % (name, kind, v))
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.write(out, _HEADER + "\n".join(lines) + "\n")
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

_oss_fuzz_manifest = rule(
    implementation = _manifest_impl,
    attrs = {"targets": attr.label_list(aspects = [_oss_fuzz_aspect])},
)

def oss_fuzz_manifest(name, checked_in):
    """The manifest of every nic_cc_fuzz_test defined so far in this package, and a test against `checked_in`.

    Call it at the end of the BUILD file, so that it sees every fuzz target (native.existing_rules()).
    """
    targets = sorted([
        ":" + r["name"]
        for r in native.existing_rules().values()
        if r["name"].endswith("_fuzz_target")
    ])
    _oss_fuzz_manifest(name = name, targets = targets, testonly = 1)
    native.sh_test(
        name = name + "_test",
        size = "small",
        srcs = ["//ci/oss-fuzz:manifest_test.sh"],
        args = ["$(location :%s)" % name, "$(location %s)" % checked_in],
        data = [":" + name, checked_in],
    )
