#!/usr/bin/env python3
"""Build small OCI image layouts (no Docker engine needed).

An image = one or two gzip'ed tar layers of generated files + an OCI config + an OCI image
manifest, written as an OCI layout directory (oci-layout, index.json, blobs/sha256/...) that
`skopeo copy oci:DIR:TAG docker://...` reads.

    python3 mkimage.py DIR TAG [SEED]
"""
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def _blob(layout: str, data: bytes) -> str:
    d = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", d)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return "sha256:" + d


def _layer(rng: random.Random, name: str, nfiles: int, size: int):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for i in range(nfiles):
            body = rng.randbytes(size) if i % 2 else ("%s file %d\n" % (name, i)).encode() * (size // 20 + 1)
            ti = tarfile.TarInfo("opt/%s/f%02d.dat" % (name, i))
            ti.size, ti.mtime, ti.mode = len(body), 1700000000, 0o644
            tf.addfile(ti, io.BytesIO(body))
    tar = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(tar)
    return gz.getvalue(), "sha256:" + hashlib.sha256(tar).hexdigest()


def build(layout: str, tag: str, rng: random.Random, name: str, layers: int = 1, size: int = 4096) -> dict:
    """Write an OCI layout holding one image tagged TAG. Returns digests and sizes."""
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    descs, diff_ids = [], []
    for i in range(layers):
        data, diff_id = _layer(rng, "%s-%d" % (name.replace("/", "-"), i), 3, size)
        descs.append({"mediaType": MT_LAYER, "digest": _blob(layout, data), "size": len(data)})
        diff_ids.append(diff_id)
    config = {
        "architecture": "amd64", "os": "linux", "created": "2024-09-18T10:00:00Z",
        "config": {"Cmd": ["/bin/true"], "Labels": {"lab.image": name, "lab.tag": tag, "lab.nonce": "%016x" % rng.getrandbits(64)}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2024-09-18T10:00:00Z", "created_by": "harborwatch lab"}],
    }
    cdata = json.dumps(config, sort_keys=True).encode()
    cdesc = {"mediaType": MT_CONFIG, "digest": _blob(layout, cdata), "size": len(cdata)}
    manifest = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": cdesc, "layers": descs}
    mdata = json.dumps(manifest, indent=3).encode()
    mdigest = _blob(layout, mdata)
    index_path = os.path.join(layout, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    index["manifests"].append({"mediaType": MT_MANIFEST, "digest": mdigest, "size": len(mdata),
                               "annotations": {"org.opencontainers.image.ref.name": tag}})
    with open(index_path, "w") as f:
        json.dump(index, f)
    return {"digest": mdigest, "manifest_size": len(mdata), "config": cdesc["digest"],
            "layers": [d["digest"] for d in descs], "bytes": sum(d["size"] for d in descs) + len(cdata)}


if __name__ == "__main__":
    out = build(sys.argv[1], sys.argv[2], random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1), "demo")
    print(json.dumps(out, indent=1))
