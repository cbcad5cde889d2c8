"""What this machine's CPU can compute, read from /proc/cpuinfo.

Imports no TensorFlow, so that the benchmarks' parent process can ask too.
"""

# The CPU flags (Linux /proc/cpuinfo) of the bfloat16 instructions oneDNN
# runs bfloat16 kernels on: AVX512-BF16 and AMX-BF16 (x86).
BFLOAT16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_flags(cpuinfo_path="/proc/cpuinfo"):
    """The set of feature flags of the first CPU in `cpuinfo_path` (empty
    where there is no such file or line, e.g. not on Linux)."""
    try:
        with open(cpuinfo_path) as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    return set(value.split())
    except OSError:
        pass
    return set()


def has_bfloat16_instructions(flags=None):
    """Whether CPU feature `flags` (default: this CPU's) include bfloat16
    instructions."""
    flags = cpu_flags() if flags is None else flags
    return any(flag in flags for flag in BFLOAT16_CPU_FLAGS)
