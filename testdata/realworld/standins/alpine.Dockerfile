# Stand-in for alpine:3.x, which cannot be pulled here: Debian's busybox-static
# (its applets linked under /bin, /sbin and /usr/bin: sh, …) in an otherwise
# empty image with Alpine's users; Debian's busybox has no adduser/addgroup:
# small shims with Alpine's options stand in (alpine-shims/). There is no apk:
# a Dockerfile whose final stage runs apk needs its own conversion.
FROM imgdiff-e2e/bookworm:base AS unpack
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && mkdir -p /tmp/debs /out && cd /tmp/debs && apt-get download busybox-static \
 && dpkg-deb -x busybox-static_*.deb /out && rm -rf /out/usr/share \
 && mkdir -p /out/sbin /out/usr/bin /out/usr/sbin /out/etc/ssl/certs /out/tmp /out/root /out/home /out/var \
 && chroot /out /bin/busybox --install -s \
 && chmod 1777 /out/tmp && chmod 700 /out/root \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' > /out/etc/passwd \
 && printf 'root:x:0:root\nnobody:x:65534:\n' > /out/etc/group && touch /out/etc/shadow \
 && printf 'NAME="Alpine Linux (stand-in: Debian busybox-static)"\nID=alpine\n' > /out/etc/os-release
FROM scratch
COPY --from=unpack /out/ /
COPY alpine-shims/addgroup alpine-shims/adduser /usr/sbin/
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/bin/sh"]
