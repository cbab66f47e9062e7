# Stand-in for gcr.io/distroless/{static,base,cc}-debian12[:nonroot|:debug]:
# the same Debian packages unpacked into an empty image, each recorded in
# /var/lib/dpkg/status.d/ as distroless does, with the same users and layout.
# PKGS picks the flavour (static: base-files netbase tzdata media-types;
# base adds libc6 libssl3; cc adds libgcc-s1 libstdc++6 libgomp1),
# DEBUG=1 adds busybox under /busybox (ENTRYPOINT /busybox/sh).
FROM imgdiff-e2e/bookworm:base AS unpack
ARG PKGS="base-files netbase tzdata media-types"
ARG DEBUG=
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && mkdir -p /out/var/lib/dpkg/status.d /tmp/debs && cd /tmp/debs \
 && apt-get download $PKGS ${DEBUG:+busybox-static} \
 && for d in *.deb; do \
      p=$(dpkg-deb -f "$d" Package); dpkg-deb -x "$d" /out; \
      { dpkg-deb -f "$d" Package; echo "Status: install ok installed"; dpkg-deb -f "$d" | grep -v '^Package:'; } > /out/var/lib/dpkg/status.d/$p; \
    done \
 && if [ -n "$DEBUG" ]; then mkdir -p /out/busybox && mv /out/bin/busybox /out/busybox/busybox \
      && for a in $(/out/busybox/busybox --list); do ln -sf busybox /out/busybox/$a; done; fi \
 && rm -rf /out/usr/share/doc /out/usr/share/man /out/usr/share/lintian \
 && mkdir -p /out/etc/ssl/certs /out/tmp /out/home/nonroot /out/root && chmod 1777 /out/tmp && chmod 700 /out/root \
 && chown 65532:65532 /out/home/nonroot \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /out/etc/passwd \
 && printf 'root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n' > /out/etc/group \
 && printf 'hosts: files dns\n' > /out/etc/nsswitch.conf
FROM scratch
COPY --from=unpack /out/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/busybox SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
