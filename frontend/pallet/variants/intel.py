"""Intel GPUs from the DRM class: which are discrete (an XPU), which integrated, pure.

The rule, two tests of which either suffices for "integrated":
- Intel's integrated graphics device (IGD) sits at PCI bus 0, device 2, function 0
  (``0000:00:02.0``), the fixed location Intel's graphics PRMs give it ("Device 2" of the host
  bridge) and that QEMU's IGD assignment (``docs/igd-assign.txt``) and Linux's x86 early quirks
  (``arch/x86/kernel/early-quirks.c``) rely on; a discrete card sits behind a PCIe port;
- a device id outside the discrete families. Linux's ``include/drm/intel/pciids.h`` (formerly
  ``i915_pciids.h``) names the discrete ones: ``INTEL_DG1_IDS`` (0x4905-0x4909), ``INTEL_DG2_IDS``
  (Arc A-series: 0x5690-0x56BF, and 0x56C0-0x56C2 Flex), ``INTEL_ATS_M_IDS``, ``INTEL_PVC_IDS``
  (Data Center GPU Max: 0x0BD0-0x0BDB), ``INTEL_BMG_IDS`` (Arc B-series: 0xE202-0xE212).
So an Arc card at 0000:03:00.0 is discrete, Meteor Lake's 0x7D55 at 00:02.0 is not.
"""

from __future__ import annotations

__all__ = ["DISCRETE_ID_RANGES", "INTEL_VENDOR", "is_discrete", "parse_uevent"]

INTEL_VENDOR = 0x8086
#: Inclusive device id ranges of Intel's discrete GPU families (Linux pciids.h, see above).
DISCRETE_ID_RANGES: tuple[tuple[int, int], ...] = (
    (0x4905, 0x4909),  # DG1 (Iris Xe MAX)
    (0x5690, 0x56C2),  # DG2: Arc A-series, ATS-M (Flex)
    (0x0BD0, 0x0BDB),  # PVC: Data Center GPU Max
    (0xE202, 0xE212),  # BMG: Arc B-series (Battlemage)
)
_IGD_SLOT = "0000:00:02.0"


def parse_uevent(text: str) -> dict[str, str]:
    """A sysfs ``uevent`` file (``KEY=value`` lines)."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def is_discrete(device_id: int, slot: str | None) -> bool:
    """Whether an Intel display device is a discrete GPU (see the module's rule)."""
    if slot is not None and slot.lower() == _IGD_SLOT:
        return False
    return any(low <= device_id <= high for low, high in DISCRETE_ID_RANGES)
