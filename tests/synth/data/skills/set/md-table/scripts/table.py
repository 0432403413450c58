import json, sys
src, out, title = sys.argv[1:4]
data = json.load(open(src))
lines = [f"# {title}", "", "| key | value |", "| --- | ---: |"]
lines += [f"| {k} | {v:.2f} |" for k, v in data.items()]
lines.append(f"| **Total** | {sum(data.values()):.2f} |")
open(out, "w").write("\n".join(lines) + "\n")
