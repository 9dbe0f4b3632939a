"""Project rule wrappers: one place for copts, test defaults and the fuzz-test convention.

nic_cc_library / nic_cc_binary / nic_cc_test add the project's warning flags (-Werror) and C++20.
nic_cc_fuzz_test follows rules_fuzzing: every fuzz target is
  * `<name>`: a cc_test that replays the seed corpus (runs in every `bazel test //...`), and
  * `<name>_fuzzer`: a real libFuzzer binary under `--config=fuzz` (a corpus replayer otherwise).
"""

WARNINGS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wshadow",
    "-Wnon-virtual-dtor",
    "-Wno-missing-field-initializers",
]

def nic_cc_library(name, copts = [], **kwargs):
    native.cc_library(name = name, copts = WARNINGS + copts, **kwargs)

def nic_cc_binary(name, copts = [], **kwargs):
    native.cc_binary(name = name, copts = WARNINGS + copts, **kwargs)

def nic_cc_test(name, copts = [], deps = [], size = "small", **kwargs):
    native.cc_test(
        name = name,
        copts = WARNINGS + copts,
        size = size,
        deps = deps + ["@com_google_googletest//:gtest_main"],
        **kwargs
    )

def nic_cc_fuzz_test(name, srcs, corpus, deps = [], dicts = [], copts = [], size = "small", **kwargs):
    """A libFuzzer target whose seed corpus (a glob of files) is replayed as a cc_test."""
    native.cc_library(
        name = name + "_target",
        srcs = srcs,
        copts = WARNINGS + copts,
        deps = deps,
        alwayslink = 1,
        testonly = 1,
    )
    native.filegroup(name = name + "_corpus", srcs = corpus, testonly = 1)
    native.cc_test(
        name = name,
        size = size,
        deps = [name + "_target", "//fuzz:replay_main"],
        data = [name + "_corpus"] + dicts,
        args = ["$(locations %s_corpus)" % name],
        **kwargs
    )
    native.cc_binary(
        name = name + "_fuzzer",
        testonly = 1,
        deps = [name + "_target"] + select({
            "//tools/bazel:libfuzzer": [],
            "//conditions:default": ["//fuzz:replay_main"],
        }),
        linkopts = select({
            "//tools/bazel:libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        data = dicts,
    )

def nic_cc_static_binary(name, linkopts = [], **kwargs):
    """A fully static nic_cc_binary (for the QEMU guest, which has no libc); not built under sanitizers."""
    nic_cc_binary(
        name = name,
        linkopts = linkopts + ["-static"],
        linkstatic = 1,
        target_compatible_with = not_under_sanitizers(),
        **kwargs
    )

def not_under_sanitizers():
    """target_compatible_with for targets that are not built under --config=asan/ubsan/tsan/fuzz."""
    return select({
        "//tools/bazel:asan": ["//tools/bazel:incompatible"],
        "//tools/bazel:ubsan": ["//tools/bazel:incompatible"],
        "//tools/bazel:tsan": ["//tools/bazel:incompatible"],
        "//tools/bazel:libfuzzer": ["//tools/bazel:incompatible"],
        "//conditions:default": [],
    })
