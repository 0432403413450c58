import csv, json, sys
src, group, value, out = sys.argv[1:5]
totals = {}
for row in csv.DictReader(open(src, newline="")):
    totals[row[group]] = totals.get(row[group], 0.0) + float(row[value])
json.dump({k: round(v, 2) for k, v in sorted(totals.items())}, open(out, "w"), indent=2)
