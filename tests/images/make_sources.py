#!/usr/bin/env python3
"""tests/images/make_sources.py - builds the image sources the images suite
imports (issue 14), offline, from a static busybox:

  make_sources.py oci-hostile DIR KIND   an OCI layout whose one layer holds a
                                         hostile entry of KIND (see HOSTILE)
  make_sources.py docker-save FILE BUSYBOX   a `docker save` tarball: layer 1
                                         busybox + files, layer 2 whiteouts
  make_sources.py docker-export FILE BUSYBOX a `docker export` (flat) tarball

The well-formed OCI layout comes from umoci (tests/suites/55-images.sh)."""
import hashlib, io, json, os, sys, tarfile


def tar_bytes(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for info, data in entries:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def entry(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, link="", uid=1000):
    i = tarfile.TarInfo(name)
    i.type, i.mode, i.uid, i.gid, i.linkname = kind, mode, uid, uid, link
    if kind == tarfile.REGTYPE:
        i.size = len(data)
        return i, data
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        i.devmajor, i.devminor = 1, 3
    return i, None


HOSTILE = {
    "absolute": [entry("/etc/evil", data=b"x")],
    "dotdot": [entry("../escape", data=b"x")],
    "whiteout-escape": [entry("etc/", tarfile.DIRTYPE, mode=0o755), entry("etc/.wh...", data=b"")],
    "symlink-outside": [entry("evil", tarfile.SYMTYPE, link="../../../../../../etc")],
    "device": [entry("dev/", tarfile.DIRTYPE, mode=0o755), entry("dev/evil", tarfile.CHRTYPE, mode=0o666)],
    "setuid": [entry("bin/", tarfile.DIRTYPE, mode=0o755), entry("bin/su", data=b"\x7fELF", mode=0o4755)],
    "hardlink-outside": [entry("x", tarfile.LNKTYPE, link="../../etc/passwd")],
}
# what the refusal must say besides the entry's name
WHY = {"absolute": "absolute", "dotdot": "..", "whiteout-escape": "whiteout", "symlink-outside": "outside",
       "device": "device", "setuid": "setuid", "hardlink-outside": "outside"}


def blob(root, data):
    h = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(root, "blobs", "sha256", h), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + h, "size": len(data)}


def oci_layout(root, layers):
    os.makedirs(root, exist_ok=True)
    config = blob(root, json.dumps({"architecture": "amd64", "os": "linux",
                                    "rootfs": {"type": "layers", "diff_ids": []}}).encode())
    config["mediaType"] = "application/vnd.oci.image.config.v1+json"
    ls = []
    for data in layers:
        d = blob(root, data)
        d["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
        ls.append(d)
    manifest = blob(root, json.dumps({"schemaVersion": 2, "config": config, "layers": ls}).encode())
    manifest["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [manifest]}, f)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')


def base_layer(busybox, extra=()):
    with open(busybox, "rb") as f:
        bb = f.read()
    return tar_bytes(list(extra) + [entry("bin/", tarfile.DIRTYPE, mode=0o755),
                      entry("bin/busybox", data=bb, mode=0o700),
                      entry("bin/sh", tarfile.SYMTYPE, link="busybox"),
                      entry("etc/", tarfile.DIRTYPE, mode=0o700),
                      entry("etc/keep", data=b"kept\n", mode=0o600),
                      entry("etc/gone", data=b"whited out\n"),
                      entry("opaque/", tarfile.DIRTYPE, mode=0o755),
                      entry("opaque/old", data=b"lower layer\n")])


def main():
    what, out = sys.argv[1], sys.argv[2]
    if what == "oci-hostile":
        kind = sys.argv[3]
        oci_layout(out, [tar_bytes(HOSTILE[kind])])
        print(WHY[kind])
    elif what in ("docker-save", "docker-export", "docker-export-link"):
        busybox = sys.argv[3]
        if what == "docker-export":
            with open(out, "wb") as f:
                f.write(base_layer(busybox))
            return
        if what == "docker-export-link":
            # NAME an absolute symlink to TARGET: inside the image at run
            # time, but a host path to an importer that followed it
            with open(out, "wb") as f:
                f.write(base_layer(busybox, [entry(sys.argv[4], tarfile.SYMTYPE, link=sys.argv[5])]))
            return
        top = tar_bytes([entry("etc/.wh.gone", data=b""),
                         entry("opaque/", tarfile.DIRTYPE, mode=0o755),
                         entry("opaque/.wh..wh..opq", data=b""),
                         entry("opaque/new", data=b"upper layer\n")])
        cfg = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
        manifest = json.dumps([{"Config": "config.json", "RepoTags": ["t:latest"],
                                "Layers": ["l1/layer.tar", "l2/layer.tar"]}]).encode()
        with open(out, "wb") as f:
            f.write(tar_bytes([entry("l1/", tarfile.DIRTYPE, mode=0o755, uid=0),
                               entry("l1/layer.tar", data=base_layer(busybox), uid=0),
                               entry("l2/", tarfile.DIRTYPE, mode=0o755, uid=0),
                               entry("l2/layer.tar", data=top, uid=0),
                               entry("config.json", data=cfg, uid=0),
                               entry("manifest.json", data=manifest, uid=0)]))
    else:
        sys.exit("usage: make_sources.py oci-hostile DIR KIND | docker-save FILE BUSYBOX | docker-export FILE BUSYBOX"
                 " | docker-export-link FILE BUSYBOX NAME TARGET")


if __name__ == "__main__":
    main()
