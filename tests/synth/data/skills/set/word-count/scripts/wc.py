import json, os, sys
folder, out = sys.argv[1:3]
counts = {f: len(open(os.path.join(folder, f)).read().split()) for f in sorted(os.listdir(folder)) if f.endswith(".txt")}
json.dump(dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))), open(out, "w"), indent=2)
