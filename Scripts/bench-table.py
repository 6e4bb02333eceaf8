"""Prints the markdown table of `Scripts/bench ssh` from hyperfine's JSON exports: medians, and how many
times faster Lander was than each peer in the same run."""
import json
import pathlib
import sys

results = pathlib.Path(sys.argv[1])
medians = {}
for path in sorted(results.glob("*.json")):
    for result in json.loads(path.read_text())["results"]:
        tool, workload, _, n = result["command"].split()
        medians[(workload, int(n), tool)] = result["median"]

tools = ["lander", "pyinfra", "ansible", "floor"]
print("| workload | targets | " + " | ".join(tools) + " | pyinfra ÷ lander | floor ÷ lander |")
print("|---|---:|" + "---:|" * (len(tools) + 2))
for workload, n in sorted({(w, n) for (w, n, _) in medians}):
    row = [medians.get((workload, n, tool)) for tool in tools]
    cells = [f"{value:.2f} s" if value is not None else "–" for value in row]
    lander = row[0]
    ratios = [f"{medians[(workload, n, peer)] / lander:.2f}×" if lander and (workload, n, peer) in medians else "–"
              for peer in ("pyinfra", "floor")]
    print(f"| {workload} | {n} | " + " | ".join(cells + ratios) + " |")
