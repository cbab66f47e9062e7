# Writes base-status: the stanzas of a debootstrap minbase bookworm system
# (Priority required, Essential: yes, apt, and their Depends/Pre-Depends
# closure), verbatim from this machine's /var/lib/dpkg/status.
pk, prov = {}, {}
for s in open('/var/lib/dpkg/status').read().strip().split('\n\n'):
    d = {}
    for l in s.split('\n'):
        if l and l[0] not in ' \t' and ':' in l:
            k, v = l.split(':', 1)
            d[k] = v.strip()
    if d.get('Status', '').endswith(' installed'):
        pk[d['Package']] = (d, s)
for n, (d, s) in pk.items():
    for p in d.get('Provides', '').split(','):
        p = p.strip().split(' ')[0]
        if p:
            prov.setdefault(p, []).append(n)
want = [n for n, (d, s) in pk.items() if d.get('Priority') == 'required' or d.get('Essential') == 'yes'] + ['apt']
seen, q = set(), list(want)
while q:
    n = q.pop()
    if n in seen or n not in pk:
        continue
    seen.add(n)
    for f in ('Depends', 'Pre-Depends'):
        for g in pk[n][0].get(f, '').split(','):
            for a in [a.strip().split(' ')[0].split(':')[0] for a in g.split('|') if a.strip()]:
                if a in pk:
                    q.append(a)
                    break
                if a in prov:
                    q.append(prov[a][0])
                    break
open('base-status', 'w').write('\n\n'.join(pk[n][1] for n in sorted(seen)) + '\n')
