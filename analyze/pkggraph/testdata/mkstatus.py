import sys, subprocess
# usage: mkstatus.py INSTFILE REQUESTED... ; writes status and extended_states for base + INST
inst=[l.split() for l in open(sys.argv[1]) if l.strip()]
req=set(sys.argv[2:])
out=subprocess.run(['apt-cache','show','--no-all-versions']+[f'{n}={v}' for n,v in inst],capture_output=True,text=True,check=True).stdout
keep=['Package','Status','Priority','Section','Installed-Size','Maintainer','Architecture','Multi-Arch','Source','Version','Replaces','Provides','Depends','Pre-Depends','Recommends','Suggests','Breaks','Conflicts','Description','Homepage','Essential']
stz={}
for s in out.strip().split('\n\n'):
    d={}; order=[]
    for l in s.split('\n'):
        if l and l[0] not in ' \t' and ':' in l:
            k,v=l.split(':',1); d[k]=v.strip()
    d['Status']='install ok installed'
    name=d['Package']
    if name in stz: continue
    stz[name]='\n'.join(f'{k}: {d[k]}' for k in keep if k in d)
basenames=set(b.split('\n')[0][9:] for b in open('../base-status').read().strip().split('\n\n'))
base=[b for b in open('../base-status').read().strip().split('\n\n') if b.split('\n')[0][9:] not in stz]
allst=base+[stz[n] for n,v in inst]
open('status','w').write('\n\n'.join(allst)+'\n')
es=[]
for n,v in inst:
    if n in basenames: continue  # an upgrade keeps its (manual) mark
    arch=[l.split(': ')[1] for l in stz[n].split('\n') if l.startswith('Architecture: ')][0]
    if arch=='all': arch='amd64'
    es.append(f'Package: {n}\nArchitecture: {arch}\nAuto-Installed: {0 if n in req else 1}')
open('extended_states','w').write('\n\n'.join(es)+'\n')
print(len(allst), 'stanzas', len(stz), 'installed')
