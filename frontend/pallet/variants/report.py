"""`report_lines`: what ``pallet variants`` prints, pure: the facts, then each variant's fit."""

from __future__ import annotations

from .choose import Choice
from .facts import Gpu, MachineFacts

__all__ = ["report_lines"]


def _version(parts: tuple[int, ...]) -> str:
    return ".".join(str(p) for p in parts)


def _gpu_line(gpu: Gpu) -> str:
    if gpu.compute_capability:
        detail = f" (sm_{gpu.compute_capability[0]}{gpu.compute_capability[1]})"
    elif gpu.gfx and gpu.gfx not in gpu.name:
        detail = f" ({gpu.gfx})"
    elif gpu.vendor == "nvidia":
        detail = " (compute capability unknown)"
    else:
        detail = ""
    return f"  GPU {gpu.index}: {gpu.name}{detail}"


def report_lines(facts: MachineFacts, choice: Choice | None, installed: str | None) -> list[str]:
    """The lines of ``pallet variants``: driver, CUDA (strict and compat), GPUs, ROCm, XPU, MPS,
    CPU level; then each variant (fits, or why not), the chosen one and the installed one."""
    lines = [f"machine: {facts.system} {facts.machine}"]
    lines.append(f"NVIDIA driver: {facts.nvidia_driver or 'none'}")
    if facts.cuda or facts.cuda_compat:
        strict = _version(facts.cuda) if facts.cuda else "none"
        compat = f"{facts.cuda_compat[0]}.x" if facts.cuda_compat else "none"
        lines.append(f"CUDA: {strict} (with minor-version compatibility: {compat})")
    else:
        lines.append("CUDA: none")
    lines.append(f"GPUs: {len(facts.gpus) or 'none'}")
    lines.extend(_gpu_line(gpu) for gpu in facts.gpus)
    lines.append(f"ROCm: {_version(facts.rocm) if facts.rocm is not None else 'none'}")
    lines.append(f"Intel XPU: {'yes' if facts.xpu else 'no'}")
    lines.append(f"Apple MPS: {'yes' if facts.mps else 'no'}")
    level = f"x86-64-v{facts.x86_64_level}" if facts.x86_64_level else "unknown"
    lines.append(f"CPU level: {level}")
    if facts.overridden:
        lines.append(f"overridden by: {', '.join(facts.overridden)}")
    if facts.notes:
        lines.append("detection notes:")
        lines.extend(f"  {note}" for note in facts.notes)
    if choice is not None:
        lines.append("variants (most preferred first):")
        for name, verdict in choice.verdicts:
            marks = []
            if name == choice.name:
                marks.append(f"chosen, {choice.mode}")
            if name == installed:
                marks.append("installed")
            mark = f"  [{'; '.join(marks)}]" if marks else ""
            fit = "fits" if verdict.ok else f"does not fit: {verdict.reason}"
            lines.append(f"  {name}: {fit}{mark}")
    if installed is not None and (choice is None or installed not in dict(choice.verdicts)):
        lines.append(f"installed: {installed}")
    elif installed is None:
        lines.append("installed: no variant")
    return lines
