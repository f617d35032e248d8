"""``zipback``: a tiny PEP 517 backend (zipfile wheels, tarfile sdists) for build tests.

Served as a test-built wheel from a loopback index, it is a backend pallet does not provide: the
build environment must get it from the index. Its wheel records what it saw (is pip importable,
its own file's inode, a dynamic requirement's value) in ``_seen.json``; ``Generator: zipback`` in
the WHEEL file names it as the wheel's maker.
"""

from __future__ import annotations

__all__ = ["BACKEND"]

BACKEND = '''\
"""zipback: a tiny PEP 517 backend (zipfile wheels, tarfile sdists)."""
import base64, hashlib, importlib.util, io, json, os, sys, tarfile, zipfile

def _data():
    import tomllib
    with open("pyproject.toml", "rb") as f:
        return tomllib.load(f)

def _project():
    return _data()["project"]

def _dynamic():
    return list(_data().get("tool", {}).get("zipback", {}).get("requires", []))

def get_requires_for_build_wheel(config_settings=None):
    return _dynamic()

def get_requires_for_build_sdist(config_settings=None):
    return []

def build_sdist(sdist_directory, config_settings=None):
    p = _project()
    base = f"{p['name'].replace('-', '_')}-{p['version']}"
    path = os.path.join(sdist_directory, base + ".tar.gz")
    with tarfile.open(path, "w:gz") as tar:
        for name in ["pyproject.toml", *sorted(os.listdir("src"))]:
            src = name if name == "pyproject.toml" else os.path.join("src", name)
            tar.add(src, arcname=f"{base}/{src}")
        info = f"Metadata-Version: 2.1\\nName: {p['name']}\\nVersion: {p['version']}\\n".encode()
        member = tarfile.TarInfo(f"{base}/PKG-INFO")
        member.size = len(info)
        tar.addfile(member, io.BytesIO(info))
    return base + ".tar.gz"

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    p = _project()
    dist = f"{p['name'].replace('-', '_')}-{p['version']}"
    seen = {
        "pip": importlib.util.find_spec("pip") is not None,
        "backend": __file__,
        "backend_inode": os.stat(__file__).st_ino,
        "backend_links": os.stat(__file__).st_nlink,
        "python": [sys.version, sys.base_prefix],
    }
    for req in _dynamic():
        mod = __import__(req.split("=")[0].replace("-", "_"))
        seen[req] = mod.VALUE
    files = {f"{name}": open(os.path.join("src", name), "rb").read() for name in os.listdir("src")}
    files["_seen.json"] = json.dumps(seen).encode()
    files[f"{dist}.dist-info/METADATA"] = (
        f"Metadata-Version: 2.1\\nName: {p['name']}\\nVersion: {p['version']}\\n".encode()
    )
    files[f"{dist}.dist-info/WHEEL"] = (
        b"Wheel-Version: 1.0\\nGenerator: zipback\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    )
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = ("\\n".join(record) + "\\n").encode()
    filename = f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as whl:
        for name, data in files.items():
            whl.writestr(name, data)
    return filename
'''
