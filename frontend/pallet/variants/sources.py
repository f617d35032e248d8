"""Reading the machine, source by source: what `detect` runs when nothing is cached.

The order (issue 12, "Detection"): override variables first; the NVIDIA driver from
``/sys/module/nvidia/version``, ``/proc/driver/nvidia/version``, then ``nvidia-smi`` (the only
source on Windows, found on PATH); the highest CUDA from NVIDIA's table (`cuda.py`); each GPU's
compute capability from ``nvidia-smi --query-gpu``; ROCm's version from its install
(``$ROCM_PATH`` or ``/opt/rocm``, ``.info/version``) and gfx targets from KFD's topology or
``rocm_agent_enumerator``; Intel discrete GPUs from the DRM class; Apple silicon; the CPU's
x86-64 level from ``/proc/cpuinfo``. A missing source means "try the next"; one that fails or
says something unreadable is a note, never an exception. Nothing loads a GPU library.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .. import envvars
from ..errors import SetupError
from . import amd, cpu, cuda, intel, nvidia
from .facts import Gpu, MachineFacts
from .probe import Probe

__all__ = ["detect_probed"]

_X86_64 = ("x86_64", "amd64", "x64")


def detect_probed(probe: Probe, env: Mapping[str, str], system: str, machine: str) -> MachineFacts:
    """`detect` through a given `Probe` (the cache reads back what it touched)."""
    notes: list[str] = []
    overridden = [name for name in envvars.VARIANT_FACT_OVERRIDES if env.get(name, "").strip()]
    gpu_setting = env.get(envvars.PALLET_GPU, "").strip()
    if gpu_setting and gpu_setting != "none":
        raise SetupError(f"{envvars.PALLET_GPU}={gpu_setting!r}: the only value is 'none'")
    no_gpu = gpu_setting == "none"
    if no_gpu:
        notes.append("PALLET_GPU=none: every GPU ignored")
        driver, strict, compat = None, None, None
        nv_gpus: tuple[Gpu, ...] = ()
        amd_gpus: tuple[Gpu, ...] = ()
        intel_gpus: tuple[Gpu, ...] = ()
        rocm: tuple[int, ...] | None = None
    else:
        driver, strict, compat, nv_gpus = _nvidia(probe, env, system, notes)
        rocm, amd_gpus = _amd(probe, env, system, notes)
        intel_gpus = _intel(probe, system, notes)
    mps = not no_gpu and system == "Darwin" and machine == "arm64"
    apple = (Gpu("apple", 0, "Apple silicon GPU", discrete=False),) if mps else ()
    return MachineFacts(
        system=system,
        machine=machine,
        nvidia_driver=driver,
        cuda=strict,
        cuda_compat=compat,
        gpus=(*nv_gpus, *amd_gpus, *intel_gpus, *apple),
        rocm=rocm,
        xpu=any(g.discrete for g in intel_gpus),
        mps=mps,
        x86_64_level=_cpu_level(probe, env, system, machine, notes),
        notes=tuple(notes),
        overridden=tuple(overridden),
    )


def _version_override(env: Mapping[str, str], name: str, example: str) -> tuple[int, ...] | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    parts = raw.split(".")
    if not 1 <= len(parts) <= 3 or not all(p.isascii() and p.isdigit() for p in parts):
        raise SetupError(f"{name}={raw!r}: must be a version like {example}")
    return tuple(int(p) for p in parts)


def _nvidia(
    probe: Probe, env: Mapping[str, str], system: str, notes: list[str]
) -> tuple[str | None, tuple[int, int] | None, tuple[int, int] | None, tuple[Gpu, ...]]:
    """(driver, strict CUDA, compat CUDA, visible NVIDIA GPUs)."""
    driver = env.get(envvars.PALLET_CUDA_DRIVER, "").strip() or None
    if driver:
        try:
            cuda.parse_driver(driver)
        except ValueError:
            raise SetupError(
                f"{envvars.PALLET_CUDA_DRIVER}={driver!r}: must be a driver version like 560.35.03"
            ) from None
        notes.append(f"NVIDIA driver {driver} from {envvars.PALLET_CUDA_DRIVER}")
    elif system == "Linux":
        driver = _driver_file(
            probe, "/sys/module/nvidia/version", nvidia.parse_module_version, notes
        )
        driver = driver or _driver_file(
            probe, "/proc/driver/nvidia/version", nvidia.parse_proc_version, notes
        )
    sm_override = env.get(envvars.PALLET_GPU_SM, "").strip()
    gpus: tuple[Gpu, ...] = ()
    if sm_override:
        gpus = _sm_override(sm_override)
    cuda_override = _version_override(env, envvars.PALLET_CUDA, "12.6")
    if not sm_override or (driver is None and cuda_override is None):
        found, smi_driver = _smi(probe, notes, need_driver=driver is None)
        gpus = gpus or found
        if driver is None and smi_driver:
            driver = smi_driver
    gpus = _visible(gpus, env.get("CUDA_VISIBLE_DEVICES"), "CUDA_VISIBLE_DEVICES", notes)
    if cuda_override is not None:
        pair = (*cuda_override, 0)[:2]
        notes.append(f"CUDA {pair[0]}.{pair[1]} from {envvars.PALLET_CUDA}")
        return driver, (pair[0], pair[1]), (pair[0], pair[1]), gpus
    if driver is None:
        return None, None, None, gpus
    return driver, cuda.strict_cuda(driver, system), cuda.compat_cuda(driver, system), gpus


def _driver_file(
    probe: Probe, path: str, parse: Callable[[str], str], notes: list[str]
) -> str | None:
    text = probe.read(path)
    if text is None:
        return None
    try:
        driver = parse(text)
    except ValueError as exc:
        notes.append(f"{path}: unreadable ({exc})")
        return None
    notes.append(f"NVIDIA driver {driver} from {path}")
    return driver


def _sm_override(raw: str) -> tuple[Gpu, ...]:
    gpus = []
    for index, part in enumerate(raw.split(",")):
        major, dot, minor = part.strip().partition(".")
        if not (dot and (major + minor).isascii() and major.isdigit() and minor.isdigit()):
            raise SetupError(
                f"{envvars.PALLET_GPU_SM}={raw!r}: must be compute capabilities like 6.1,8.6"
            )
        gpus.append(
            Gpu("nvidia", index, f"GPU {index} ({envvars.PALLET_GPU_SM})", (int(major), int(minor)))
        )
    return tuple(gpus)


def _smi(
    probe: Probe, notes: list[str], *, need_driver: bool
) -> tuple[tuple[Gpu, ...], str | None]:
    """nvidia-smi's GPUs and driver; its plain banner for the driver when the query form fails
    (drivers before 510 know no ``compute_cap`` field) and no driver file said it."""
    tool = probe.which("nvidia-smi")
    if tool is None:
        return (), None
    out, why = probe.run(tool, *nvidia.SMI_QUERY)
    if out is not None:
        try:
            gpus, driver = nvidia.parse_smi_query(out)
        except ValueError as exc:
            notes.append(f"nvidia-smi --query-gpu: unreadable ({exc})")
        else:
            notes.append(f"nvidia-smi: {len(gpus)} GPU{'s' if len(gpus) != 1 else ''}")
            return gpus, driver
    else:
        notes.append(f"nvidia-smi --query-gpu: {why}")
        if why.startswith("timed out") or not need_driver:
            return (), None  # a hung driver: do not wait twice
    out, why = probe.run(tool)
    if out is None:
        notes.append(f"nvidia-smi: {why}")
        return (), None
    try:
        banner = nvidia.parse_smi_banner(out)
    except ValueError as exc:
        notes.append(f"nvidia-smi: unreadable ({exc})")
        return (), None
    notes.append(f"NVIDIA driver {banner.driver} from the nvidia-smi banner")
    return (), banner.driver


def _visible(
    gpus: tuple[Gpu, ...], setting: str | None, name: str, notes: list[str]
) -> tuple[Gpu, ...]:
    """The GPUs a ``*_VISIBLE_DEVICES`` list leaves visible: indices or UUID prefixes, in the
    list's order; as the CUDA runtime does, the list ends at its first entry that names no
    device (CUDA C Programming Guide, "CUDA Environment Variables")."""
    if setting is None or not gpus:
        return gpus
    if "MIG-" in setting:  # MIG instances name no whole GPU; every GPU stays a candidate
        notes.append(f"{name}={setting!r}: MIG instances; every GPU considered")
        return gpus
    visible: list[Gpu] = []
    for entry in (e.strip() for e in setting.split(",")):
        match = [
            g
            for g in gpus
            if (entry.isdigit() and g.index == int(entry))
            or (entry and not entry.isdigit() and g.uuid and g.uuid.startswith(entry))
        ]
        if len(match) != 1 or match[0] in visible:
            break
        visible.append(match[0])
    if len(visible) != len(gpus):
        notes.append(f"{name}={setting!r}: {len(visible)} of {len(gpus)} GPUs visible")
    return tuple(visible)


def _amd(
    probe: Probe, env: Mapping[str, str], system: str, notes: list[str]
) -> tuple[tuple[int, ...] | None, tuple[Gpu, ...]]:
    rocm = _version_override(env, envvars.PALLET_ROCM, "6.2")
    if rocm is not None:
        notes.append(f"ROCm {'.'.join(map(str, rocm))} from {envvars.PALLET_ROCM}")
    elif system == "Linux":
        for folder in dict.fromkeys([env.get("ROCM_PATH", "").strip(), "/opt/rocm"]):
            if not folder:
                continue
            version_file = f"{folder.rstrip('/')}/.info/version"
            text = probe.read(version_file)
            if text is None:
                continue
            try:
                rocm = amd.parse_rocm_version(text)
            except ValueError as exc:
                notes.append(f"{version_file}: unreadable ({exc})")
                continue
            notes.append(f"ROCm {'.'.join(map(str, rocm))} from {version_file}")
            break
    gfx_override = env.get(envvars.PALLET_GFX, "").strip()
    if gfx_override:
        targets = tuple(t.strip() for t in gfx_override.split(","))
        from .requirement import parse_gfx

        for target in targets:
            try:
                parse_gfx(target)
            except ValueError:
                raise SetupError(
                    f"{envvars.PALLET_GFX}={gfx_override!r}: must be gfx targets like gfx90a,gfx942"
                ) from None
        targets = tuple(t if t.startswith("gfx") else f"gfx{t}" for t in targets)
    elif system == "Linux":
        targets = _kfd_targets(probe, notes)
        if not targets and rocm is not None:
            targets = _enumerator_targets(probe, notes)
    else:
        targets = ()
    gpus = tuple(Gpu("amd", i, f"AMD GPU {t}", gfx=t) for i, t in enumerate(targets))
    for name in ("HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES"):
        gpus = _visible(gpus, env.get(name), name, notes)
    return rocm, gpus


def _kfd_targets(probe: Probe, notes: list[str]) -> tuple[str, ...]:
    folder = "/sys/class/kfd/kfd/topology/nodes"
    targets = []
    for node in sorted((n for n in probe.listdir(folder) if n.isdigit()), key=int):
        text = probe.read(f"{folder}/{node}/properties")
        if text is None:
            continue
        try:
            target = amd.parse_kfd_properties(text)
        except ValueError as exc:
            notes.append(f"{folder}/{node}/properties: unreadable ({exc})")
            continue
        if target:
            targets.append(target)
    if targets:
        notes.append(f"AMD GPUs from KFD topology: {', '.join(targets)}")
    return tuple(targets)


def _enumerator_targets(probe: Probe, notes: list[str]) -> tuple[str, ...]:
    tool = probe.which("rocm_agent_enumerator")
    if tool is None:
        return ()
    out, why = probe.run(tool)
    if out is None:
        notes.append(f"rocm_agent_enumerator: {why}")
        return ()
    try:
        targets = amd.parse_agent_enumerator(out)
    except ValueError as exc:
        notes.append(f"rocm_agent_enumerator: unreadable ({exc})")
        return ()
    notes.append(f"AMD GPUs from rocm_agent_enumerator: {', '.join(targets) or 'none'}")
    return targets


def _intel(probe: Probe, system: str, notes: list[str]) -> tuple[Gpu, ...]:
    if system != "Linux":
        return ()
    gpus: list[Gpu] = []
    folder = "/sys/class/drm"
    for card in probe.listdir(folder):
        if not (card.startswith("card") and card[4:].isdigit()):
            continue  # connectors: card0-DP-1
        base = f"{folder}/{card}/device"
        vendor, device, klass = (probe.read(f"{base}/{k}") for k in ("vendor", "device", "class"))
        try:
            if vendor is None or int(vendor, 16) != intel.INTEL_VENDOR:
                continue
            device_id = int(device or "", 16)
            display = int(klass or "0x030000", 16) >> 16 == 0x03  # PCI class 03: display
        except ValueError:
            notes.append(f"{base}: unreadable PCI ids")
            continue
        if not display:
            continue
        slot = intel.parse_uevent(probe.read(f"{base}/uevent") or "").get("PCI_SLOT_NAME")
        discrete = intel.is_discrete(device_id, slot)
        kind = "discrete" if discrete else "integrated"
        name = f"Intel GPU {device_id:#06x} ({kind})"
        gpus.append(Gpu("intel", len(gpus), name, discrete=discrete))
        notes.append(f"{name} at {slot or card}")
    return tuple(gpus)


def _cpu_level(
    probe: Probe, env: Mapping[str, str], system: str, machine: str, notes: list[str]
) -> int | None:
    raw = env.get(envvars.PALLET_CPU_LEVEL, "").strip()
    if raw:
        if raw not in ("1", "2", "3", "4"):
            raise SetupError(f"{envvars.PALLET_CPU_LEVEL}={raw!r}: must be 1, 2, 3 or 4")
        return int(raw)
    if machine.lower() not in _X86_64:
        return None
    if system != "Linux":
        notes.append(f"x86-64 level: not read on {system}")
        return None
    text = probe.read("/proc/cpuinfo")
    if text is None:
        notes.append("x86-64 level: no /proc/cpuinfo")
        return None
    try:
        return cpu.x86_64_level(cpu.parse_cpuinfo_flags(text))
    except ValueError as exc:
        notes.append(f"/proc/cpuinfo: unreadable ({exc})")
        return None
