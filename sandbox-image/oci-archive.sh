# shellcheck shell=bash
# Sourced by build.sh --oci: writes a root tree as a one-layer container image archive that
# both formats' readers accept, the way `docker save` of Docker 25+ lays it out:
#  - an OCI image layout (oci-layout, index.json, blobs/sha256/...): podman load, skopeo
#    (oci-archive:), containerd (ctr import), and from there any registry;
#  - a docker-archive manifest.json naming the same blobs: docker load of every version.
# The layer stays uncompressed: loading it is what the backends do on every new host, and
# a registry push compresses anyway. Mtimes are kept: the JRE's class data sharing archive
# checks the mtime of the files it was made from.

# write_oci_archive ROOT DEST NAME RECIPE: DEST/sandbox.tar holding ROOT as image NAME, and
# DEST/manifest.json (size and sha256 of sandbox.tar, the image name, the recipe hash)
write_oci_archive() {
    local root=$1 dest=$2 name=$3 recipe=$4 dir layer layer_size config config_size manifest manifest_size now
    dir=$dest/oci-layout.tmp
    mkdir -p "$dir/blobs/sha256"
    # /dev is the runtime's; its nodes in the tree would only be shadowed
    tar -C "$root" --sort=name --numeric-owner --xattrs --xattrs-include='security.capability' \
        --exclude='./dev/*' -cf "$dir/layer.tar" .
    layer=$(sha256sum < "$dir/layer.tar" | cut -d' ' -f1)
    layer_size=$(stat -c %s "$dir/layer.tar")
    mv "$dir/layer.tar" "$dir/blobs/sha256/$layer"
    now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    cat > "$dir/config.json" <<EOF
{"architecture":"amd64","os":"linux","created":"$now",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
  "Entrypoint":["/sandbox/bootstrap/init"],"WorkingDir":"/",
  "Labels":{"dev.microvmsandbox.recipe":"$recipe"}},
 "rootfs":{"type":"layers","diff_ids":["sha256:$layer"]},
 "history":[{"created":"$now","created_by":"microvm-sandbox sandbox-image/build.sh --oci"}]}
EOF
    config=$(sha256sum < "$dir/config.json" | cut -d' ' -f1)
    config_size=$(stat -c %s "$dir/config.json")
    mv "$dir/config.json" "$dir/blobs/sha256/$config"
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
        "$config" "$config_size" "$layer" "$layer_size" > "$dir/manifest.oci"
    manifest=$(sha256sum < "$dir/manifest.oci" | cut -d' ' -f1)
    manifest_size=$(stat -c %s "$dir/manifest.oci")
    mv "$dir/manifest.oci" "$dir/blobs/sha256/$manifest"
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}\n' \
        "$manifest" "$manifest_size" "$name" "$name" > "$dir/index.json"
    printf '{"imageLayoutVersion":"1.0.0"}\n' > "$dir/oci-layout"
    printf '[{"Config":"blobs/sha256/%s","RepoTags":["%s"],"Layers":["blobs/sha256/%s"]}]\n' \
        "$config" "$name" "$layer" > "$dir/manifest.json"
    tar -C "$dir" --sort=name --owner=0 --group=0 --numeric-owner \
        -cf "$dest/sandbox.tar" oci-layout index.json manifest.json blobs
    rm -rf "$dir"
    cat > "$dest/manifest.json" <<EOF
{"hash":"$recipe","image":"$name","builtAt":"$now","buildSeconds":$(( SECONDS - START )),
 "files":{"sandbox.tar":{"bytes":$(stat -c %s "$dest/sandbox.tar"),"sha256":"$(sha256sum < "$dest/sandbox.tar" | cut -d' ' -f1)"}}}
EOF
    log "image archive sandbox.tar ($name, $(( $(stat -c %s "$dest/sandbox.tar") >> 20 )) MiB)"
}
