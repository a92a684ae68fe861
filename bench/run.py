#!/usr/bin/python3
"""Side-by-side benchmark of adjoint's convolution against PyTorch, float32, on CPU.

Usage: /usr/bin/python3 bench/run.py BUILD/bench/conv_bench [--rounds 3] [--reps 10] [--warmup 3]
           [--warmup-ms 250] [--budget-ms 1500] [--threads 1,2] [--case NAME]... [--baseline OLD/conv_bench]
           [--no-memory] [--save FILE.jsonl]

Builds nothing: it takes the built conv_bench, reads the case list from it (`--list`), and
runs the same cases with torch.nn.functional.conv2d / conv_transpose2d in a worker process
of its own. Both sides run in rounds, alternately, so that load from other work on the
machine hits them alike; each figure is the median over every timed run of all rounds.
Programs (see `programs` in main): adjoint as users get it, adjoint without this machine's
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, optionally an older conv_bench ("before"), PyTorch
stock (torch.set_num_threads only) and PyTorch best-tuned (glibc pinned, OpenBLAS 1 thread),
and, where bench/libtorch_bench was built (libtorch-dev), libtorch's C++ frontend on the
model cases; where bench/dnnl_floor was built (oneDNN), the conv rows' floor with oneDNN's
kernels (their time and the unavoidable layout copies alone).
Memory: peak RSS growth, glibc defaults on every side. Also measures the FMA peak
(conv_bench --peak) before and after. Prints the machine, then the tables (Markdown).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

# glibc returns big freed blocks to the OS (mmap / heap trimming), so a loop that frees and
# re-allocates a few MB per run pays fresh page faults each time, and whether it does can
# differ from one process to the next. "pinned" keeps every block of these sizes in the heap
# (32 MiB is glibc's largest mmap threshold) so that the timings are of the arithmetic;
# "default" leaves glibc as a user gets it.
PINNED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "1073741824"}


# ---------------------------------------------------------------- torch worker side

def torch_worker(args):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cases = [json.loads(line) for line in open(args.cases)]

    class Net:
        def __init__(self, spec):
            self.spec = spec
            self.params = []
            for layer in spec["layers"]:
                k, g = layer["kernel"], layer["groups"]
                transpose = layer["op"] == "conv_transpose2d"
                wshape = ((layer["in"], layer["out"] // g, k, k) if transpose
                          else (layer["out"], layer["in"] // g, k, k))
                fan_in = (layer["out"] if transpose else layer["in"]) // g * k * k
                bound = 1.0 / fan_in ** 0.5
                w = torch.empty(wshape).uniform_(-bound, bound).requires_grad_()
                b = torch.empty(layer["out"]).uniform_(-bound, bound).requires_grad_()
                self.params.append((w, b))
            self.x = torch.randn(*spec["input"])
            if spec["input_grad"]:
                self.x.requires_grad_()
            with torch.no_grad():
                self.gy = torch.randn(self.forward().shape)

        def forward(self):
            h = self.x
            for i, (layer, (w, b)) in enumerate(zip(self.spec["layers"], self.params)):
                if i > 0:
                    h = F.relu(h)
                if layer["op"] == "conv_transpose2d":
                    h = F.conv_transpose2d(h, w, b, stride=layer["stride"], padding=layer["padding"],
                                           output_padding=layer["output_padding"], groups=layer["groups"])
                else:
                    h = F.conv2d(h, w, b, stride=layer["stride"], padding=layer["padding"],
                                 groups=layer["groups"])
            return h

        def step(self):
            self.forward().backward(self.gy)

        def zero_grad(self):
            for w, b in self.params:
                w.grad = None
                b.grad = None
            self.x.grad = None

    def time_runs(prepare, run):
        last = 0.0
        start, i = time.perf_counter(), 0
        # as conv_bench: at least --warmup runs and --warmup-ms
        while i < max(args.warmup, 1) or (time.perf_counter() - start) * 1e3 < args.warmup_ms:
            i += 1
            prepare()
            w0 = time.perf_counter()
            run()
            last = (time.perf_counter() - w0) * 1e3
        reps = args.reps
        if args.budget_ms > 0 and last > 0:   # as conv_bench: fewer runs for slow cases
            reps = max(3, min(reps, int(args.budget_ms / last)))
        samples, wall_total, cpu_total = [], 0.0, 0.0
        for _ in range(reps):
            prepare()
            w0, c0 = time.perf_counter(), time.process_time()
            run()
            w1, c1 = time.perf_counter(), time.process_time()
            samples.append((w1 - w0) * 1e3)
            wall_total += w1 - w0
            cpu_total += c1 - c0
        return samples, (cpu_total / wall_total if wall_total > 0 else 0.0)

    model_layers = {
        "tinyseg": [(False, 3, 16, 3, 1, 1), (False, 16, 32, 3, 2, 1), (False, 32, 64, 3, 2, 1),
                    (True, 64, 32, 4, 2, 1), (True, 32, 16, 4, 2, 1), (False, 16, 1, 1, 1, 0)],
        "small": [(False, 1, 8, 3, 2, 1), (False, 8, 16, 3, 2, 1), (True, 16, 8, 4, 2, 1), (True, 8, 1, 4, 2, 1)],
    }

    class Model:
        """bench/models.hpp in PyTorch: relu after every layer but the last, BCE with logits, Adam."""
        def __init__(self, spec):
            layers = []
            specs = model_layers[spec["model"]]
            for i, (t, cin, cout, k, st, pd) in enumerate(specs):
                layers.append((torch.nn.ConvTranspose2d if t else torch.nn.Conv2d)(cin, cout, k, stride=st, padding=pd))
                if i + 1 < len(specs):
                    layers.append(torch.nn.ReLU())
            self.net = torch.nn.Sequential(*layers)
            self.x = torch.randn(*spec["input"])
            with torch.no_grad():
                self.target = (torch.rand(self.net(self.x).shape) > 0.5).float()
            self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-3)
            self.loss = torch.nn.BCEWithLogitsLoss()

        def infer(self):
            with torch.no_grad():
                self.net(self.x)

        def train_step(self):
            self.opt.zero_grad(set_to_none=True)
            self.loss(self.net(self.x), self.target).backward()
            self.opt.step()

    for spec in cases:
        if spec.get("model"):
            if args.memory:
                before = status_kb("VmRSS")
                with open("/proc/self/clear_refs", "w") as f:
                    f.write("5")
                m = Model(spec)
                for _ in range(5):
                    m.train_step()
                del m
                print(json.dumps({"framework": "torch", "mode": "memory", "case": spec["name"],
                                  "threads": args.threads, "rss_before_kb": before,
                                  "step_peak_extra_kb": status_kb("VmHWM") - before,
                                  "rss_after_extra_kb": status_kb("VmRSS") - before}), flush=True)
                continue
            m = Model(spec)
            fwd, fwd_util = time_runs(lambda: None, m.infer)
            both, both_util = time_runs(lambda: None, m.train_step)
            print(json.dumps({"framework": "torch", "mode": "time", "case": spec["name"], "threads": args.threads,
                              "torch_threads": torch.get_num_threads(), "fwd_ms": fwd, "fwdbwd_ms": both,
                              "fwd_cpu_per_wall": fwd_util, "fwdbwd_cpu_per_wall": both_util}), flush=True)
            continue
        net = Net(spec)
        if args.memory:
            for _ in range(2):
                net.zero_grad()
                net.step()
            net.zero_grad()
            before = status_kb("VmRSS")
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            net.step()
            peak = status_kb("VmHWM")
            print(json.dumps({"framework": "torch", "mode": "memory", "case": spec["name"],
                              "threads": args.threads, "rss_before_kb": before,
                              "step_peak_extra_kb": peak - before}), flush=True)
            continue
        fwd, fwd_util = time_runs(net.zero_grad, net.forward)
        both, both_util = time_runs(net.zero_grad, net.step)
        print(json.dumps({"framework": "torch", "mode": "time", "case": spec["name"], "threads": args.threads,
                          "torch_threads": torch.get_num_threads(), "fwd_ms": fwd, "fwdbwd_ms": both,
                          "fwd_cpu_per_wall": fwd_util, "fwdbwd_cpu_per_wall": both_util}), flush=True)


def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


# ---------------------------------------------------------------- driver side

def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine(bench):
    info = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    info["logical_cpus"] = os.cpu_count()
    with open("/proc/meminfo") as f:
        info["memory_gib"] = round(int(f.readline().split()[1]) / 2 ** 20, 1)
    try:
        with open("/etc/os-release") as f:
            rel = dict(line.rstrip().split("=", 1) for line in f if "=" in line)
        info["os"] = rel.get("PRETTY_NAME", "?").strip('"')
    except OSError:
        info["os"] = "?"
    try:
        with open("/etc/debian_version") as f:
            info["os"] += " (debian_version " + f.read().strip() + ")"
    except OSError:
        pass
    info["kernel"] = platform.release()
    info.update(json.loads(subprocess.run([bench, "--about"], check=True, capture_output=True,
                                          text=True).stdout))
    torch_about = subprocess.run(
        [sys.executable, "-c", "import torch, json; print(json.dumps({'torch': torch.__version__, "
         "'torch_parallel': torch.__config__.parallel_info().splitlines()[2:5]}))"],
        check=True, capture_output=True, text=True).stdout
    info.update(json.loads(torch_about))
    info["python"] = platform.python_version()
    info["env_inherited"] = {k: v for k, v in sorted(os.environ.items())
                   if k.startswith(("OPENBLAS_", "OMP_", "MKL_", "GOTO", "MALLOC_"))}
    return info


def run_json_lines(cmd, env=None):
    # stderr passes through: the workers' progress lines show on the terminal.
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def fmt_ms(v):
    return f"{v:.2f}" if v < 100 else f"{v:.1f}"


def fit_exponent(points):
    """Least-squares slope of log(time) against log(work): 1.0 means time grows like the work."""
    import math
    xs = [math.log(w) for w, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den > 0 else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench", nargs="?", help="path of the built conv_bench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=10, help="timed runs per case per round (at most)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--warmup-ms", type=float, default=250,
                        help="untimed runs last at least this long (a fresh process starts slower)")
    parser.add_argument("--budget-ms", type=float, default=1500,
                        help="per case and round, fewer runs where --reps would take longer")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--case", action="append", default=[], help="only these cases (repeatable)")
    parser.add_argument("--baseline", help="another conv_bench (an older build) to run alongside, labelled 'before'")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--save", help="write every record here as JSON lines")
    # internal: the torch side runs in a process of its own, like conv_bench
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cases", help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.torch_worker:
        args.threads = int(args.threads)
        torch_worker(args)
        return
    if not args.bench:
        parser.error("give the path of the built conv_bench")
    bench = os.path.abspath(args.bench)
    threads = [int(t) for t in args.threads.split(",")]
    case_args = [a for name in args.case for a in ("--case", name)]

    info = machine(bench)
    info["load_before"] = load_average()
    cases = run_json_lines([bench, "--list"] + case_args)
    cases_file = os.path.join(os.path.dirname(bench), "conv_bench_cases.jsonl")
    with open(cases_file, "w") as f:
        for c in cases:
            f.write(json.dumps(c) + "\n")
    info["fma_peak_before"] = run_json_lines([bench, "--peak", "--threads", str(max(threads))])[0]

    timing_args = ["--warmup", str(args.warmup), "--warmup-ms", str(args.warmup_ms), "--reps", str(args.reps),
                   "--budget-ms", str(args.budget_ms)]

    def one_case_file(name):
        path = os.path.join(os.path.dirname(bench), f"conv_bench_case_{name}.jsonl")
        with open(path, "w") as f:
            f.write(json.dumps(next(c for c in cases if c["name"] == name)) + "\n")
        return path

    # Every case, or (`only`) the one named.
    def adjoint_cmd(exe, t, extra, only=None):
        return [exe, "--threads", str(t)] + timing_args + (["--case", only] if only else case_args) + extra

    def torch_cmd(t, extra, only=None):
        return [sys.executable, os.path.abspath(__file__), "--torch-worker", "--cases",
                one_case_file(only) if only else cases_file, "--threads", str(t)] + timing_args + extra

    base_env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    no_core = {k: v for k, v in base_env.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    # The programs, each as (label, command for t threads, environment for t threads).
    # adjoint: threads through adjoint::set_num_threads only (conv_bench --threads), glibc as
    # users get it. "adjoint (CORETYPE unset)": the same without this machine's
    # OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE. torch stock: torch.set_num_threads(t) only.
    # torch tuned: glibc pinned (PINNED_MALLOC), OMP_NUM_THREADS=t, and OPENBLAS_NUM_THREADS=1
    # so that the OpenBLAS pool torch also loads does not spin beside oneDNN's threads.
    programs = [
        ("adjoint", lambda t, x, only=None: adjoint_cmd(bench, t, x, only), lambda t: dict(base_env)),
        ("adjoint (CORETYPE unset)", lambda t, x, only=None: adjoint_cmd(bench, t, x, only), lambda t: dict(no_core)),
        ("torch stock", torch_cmd, lambda t: dict(base_env)),
        ("torch tuned", torch_cmd,
         lambda t: dict(base_env, OMP_NUM_THREADS=str(t), OPENBLAS_NUM_THREADS="1", **PINNED_MALLOC)),
    ]
    if args.baseline:
        baseline = os.path.abspath(args.baseline)
        programs.insert(1, ("before", lambda t, x, only=None: adjoint_cmd(baseline, t, x, only),
                            lambda t: dict(base_env)))
    # libtorch's C++ frontend on the model cases, where libtorch_bench was built (libtorch-dev):
    # stock (torch::set_num_threads(t) only, glibc as users get it) and tuned as torch tuned.
    libtorch = os.path.join(os.path.dirname(bench), "libtorch_bench")
    if os.path.exists(libtorch):
        def libtorch_cmd(t, extra, only=None):
            return None if extra else [libtorch, "--cases", cases_file, "--threads", str(t)] + timing_args
        programs.append(("libtorch", libtorch_cmd, lambda t: dict(base_env)))
        programs.append(("libtorch tuned", libtorch_cmd,
                         lambda t: dict(base_env, OMP_NUM_THREADS=str(t), OPENBLAS_NUM_THREADS="1", **PINNED_MALLOC)))

    # oneDNN's kernels and the layout copies a plain-in, plain-out row cannot avoid, timed alone
    # (bench/dnnl_floor.cpp), on the conv layer rows it can run: what these rows could take
    # with these kernels, whoever calls them. Where dnnl_floor was built (oneDNN found).
    floor_exe = os.path.join(os.path.dirname(bench), "dnnl_floor")
    if os.path.exists(floor_exe):
        programs.append(("oneDNN floor",
                         lambda t, x, only=None: None if x else [floor_exe, "--threads", str(t)] + case_args,
                         lambda t: dict(base_env)))

    phases = [(r, t, prog) for r in range(args.rounds) for t in threads for prog in programs]
    results = []
    start = time.perf_counter()
    for i, (r, t, (label, cmd, env)) in enumerate(phases):
        elapsed = time.perf_counter() - start
        eta = elapsed / i * (len(phases) - i) if i else float("nan")
        print(f"[run.py] phase {i + 1}/{len(phases)}: round {r + 1}, {label}, {t} thread(s); "
              f"{elapsed:.0f} s elapsed, ETA {eta:.0f} s, load {load_average()}", file=sys.stderr, flush=True)
        command = cmd(t, [])
        for rec in (run_json_lines(command, env(t)) if command else []):
            rec["round"] = r
            rec["program"] = label
            results.append(rec)

    memory = []
    if not args.no_memory:
        print("[run.py] memory, 1 thread, glibc defaults", file=sys.stderr, flush=True)
        for label, cmd, env in programs:
            if label in ("adjoint", "before", "torch stock"):
                # One fresh process per case: in a process that ran the bigger cases first,
                # the memory they left in the allocator's cache (or glibc's heap) serves a
                # later case, whose growth then reads as near zero.
                for c in cases:
                    for rec in run_json_lines(cmd(1, ["--memory"], c["name"]), env(1)):
                        rec["program"] = label
                        memory.append(rec)
    info["fma_peak_after"] = run_json_lines([bench, "--peak", "--threads", str(max(threads))])[0]
    info["load_after"] = load_average()
    info["seconds"] = round(time.perf_counter() - start, 1)

    pooled = {}
    for rec in results:
        key = (rec["case"], rec["threads"], rec["program"])
        p = pooled.setdefault(key, {"fwd": [], "fwdbwd": [], "util": [], "round_med": []})
        p["fwd"] += rec["fwd_ms"]
        p["fwdbwd"] += rec["fwdbwd_ms"]
        p["util"].append(rec["fwdbwd_cpu_per_wall"])
        p["round_med"].append(statistics.median(rec["fwdbwd_ms"]))
    med = {k: {"fwd": statistics.median(v["fwd"]), "fwdbwd": statistics.median(v["fwdbwd"])} for k, v in pooled.items()}
    peak = {1: max(info["fma_peak_before"]["gflops_1"], info["fma_peak_after"]["gflops_1"]),
            max(threads): max(info["fma_peak_before"]["gflops_n"], info["fma_peak_after"]["gflops_n"])}

    print("## Machine")
    for k, v in info.items():
        print(f"- {k}: {v}")
    labels = [p[0] for p in programs]
    for part, title in (("fwd", "forward (models: inference forward, no graph)"),
                        ("fwdbwd", "forward + backward (models: training step with Adam)")):
        print()
        print(f"## {title}: ms, median of {args.rounds} rounds; ratio = adjoint / torch (< 1: adjoint faster); "
              f"GFLOP/s and % of FMA peak are adjoint's (FLOPs = 2 x MACs, backward = 2 x forward)")
        print()
        print("| case | thr | " + " | ".join(labels) + " | ratio stock | ratio tuned | GFLOP/s | % peak |")
        print("|---|---|" + "---|" * (len(labels) + 4))
        for c in cases:
            for t in threads:
                row = [med.get((c["name"], t, label), {}).get(part) for label in labels]
                if row[0] is None:
                    continue
                a = row[0]
                st, tu = med.get((c["name"], t, "torch stock")), med.get((c["name"], t, "torch tuned"))
                flop = c["fwd_flop"] * (3 if part == "fwdbwd" else 1)
                gf = flop / (a * 1e6)
                cells = " | ".join(fmt_ms(v) if v is not None else "-" for v in row)
                print(f"| {c['name']} | {t} | {cells} | {a / st[part]:.2f} | {a / tu[part]:.2f} | {gf:.0f} "
                      f"| {100 * gf / peak.get(t, float('nan')):.0f} |")
    if "oneDNN floor" in labels:
        print()
        print("## The oneDNN floor (f+b): its kernels and unavoidable layout copies alone, ms, median; "
              "a ratio of 0.80 or less needs floor / tuned well below it")
        print()
        print("| case | thr | adjoint | floor | torch tuned | adjoint / tuned | floor / tuned | adjoint - floor |")
        print("|---|---|---|---|---|---|---|---|")
        for c in cases:
            for t in threads:
                a, fl, tu = (med.get((c["name"], t, k)) for k in ("adjoint", "oneDNN floor", "torch tuned"))
                if a and fl and tu:
                    print(f"| {c['name']} | {t} | {fmt_ms(a['fwdbwd'])} | {fmt_ms(fl['fwdbwd'])} "
                          f"| {fmt_ms(tu['fwdbwd'])} | {a['fwdbwd'] / tu['fwdbwd']:.2f} "
                          f"| {fl['fwdbwd'] / tu['fwdbwd']:.2f} | {fmt_ms(a['fwdbwd'] - fl['fwdbwd'])} |")
    if "libtorch" in labels:
        print()
        print("## Against libtorch's C++ frontend (model cases): ms, median; ratio = adjoint / libtorch (stock, tuned)")
        print()
        print("| case | thr | adjoint fwd | libtorch fwd | tuned fwd | ratio fwd | adjoint f+b | libtorch f+b | tuned f+b "
              "| ratio f+b |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for c in cases:
            for t in threads:
                a, ls, lt = (med.get((c["name"], t, k)) for k in ("adjoint", "libtorch", "libtorch tuned"))
                if a and ls and lt:
                    print(f"| {c['name']} | {t} | {fmt_ms(a['fwd'])} | {fmt_ms(ls['fwd'])} | {fmt_ms(lt['fwd'])} "
                          f"| {a['fwd'] / ls['fwd']:.2f}, {a['fwd'] / lt['fwd']:.2f} | {fmt_ms(a['fwdbwd'])} "
                          f"| {fmt_ms(ls['fwdbwd'])} | {fmt_ms(lt['fwdbwd'])} "
                          f"| {a['fwdbwd'] / ls['fwdbwd']:.2f}, {a['fwdbwd'] / lt['fwdbwd']:.2f} |")
    print()
    print("## Spread between fresh processes: lowest - highest per-process median, f+b ms")
    print()
    print("| case | thr | " + " | ".join(labels) + " |")
    print("|---|---|" + "---|" * len(labels))
    for c in cases:
        for t in threads:
            cells = []
            for label in labels:
                p = pooled.get((c["name"], t, label))
                cells.append(f"{fmt_ms(min(p['round_med']))} - {fmt_ms(max(p['round_med']))}" if p else "-")
            print(f"| {c['name']} | {t} | " + " | ".join(cells) + " |")
    if len(threads) > 1:
        t2 = max(threads)
        print()
        print(f"## Speed-up from 1 to {t2} threads (f+b; fwd in brackets)")
        print()
        print("| case | " + " | ".join(labels) + " |")
        print("|---|" + "---|" * len(labels))
        for c in cases:
            cells = []
            for label in labels:
                a, b = med.get((c["name"], 1, label)), med.get((c["name"], t2, label))
                cells.append(f"{a['fwdbwd'] / b['fwdbwd']:.2f} ({a['fwd'] / b['fwd']:.2f})" if a and b else "-")
            print(f"| {c['name']} | " + " | ".join(cells) + " |")
    print()
    print("## Scaling of the TinySeg training step: exponent b of time ~ work^b (fitted over batch and size)")
    print()
    for label in labels:
        for t in threads:
            for axis, pick in (("batch 1-64 at 64x64", lambda c: c["input"][2] == 64),
                               ("size 32-128 at batch 16", lambda c: c["input"][0] == 16)):
                pts = [(c["fwd_flop"], med[(c["name"], t, label)]["fwdbwd"]) for c in cases
                       if c.get("model") == "tinyseg" and pick(c) and (c["name"], t, label) in med]
                if len(pts) >= 2:
                    print(f"- {label}, {t} thread(s), {axis}: b = {fit_exponent(pts):.2f}")
    if memory:
        print()
        print("## Memory (1 thread, glibc defaults, each case in a fresh process): layers: peak RSS growth "
              "over one f+b after warm-up; models: peak RSS growth over building the model and 5 training "
              "steps (and RSS still added after)")
        print()
        progs = sorted({m["program"] for m in memory}, key=labels.index)
        print("| case | " + " | ".join(f"{p} MiB" for p in progs) + " |")
        print("|---|" + "---|" * len(progs))
        by = {(m["case"], m["program"]): m for m in memory}
        for c in cases:
            cells = []
            for p in progs:
                m = by.get((c["name"], p))
                if m is None:
                    cells.append("-")
                elif "rss_after_extra_kb" in m:
                    cells.append(f"{m['step_peak_extra_kb'] / 1024:.1f} ({m['rss_after_extra_kb'] / 1024:.1f})")
                else:
                    cells.append(f"{m['step_peak_extra_kb'] / 1024:.1f}")
            print(f"| {c['name']} | " + " | ".join(cells) + " |")
    print()
    print("Cases:")
    for c in cases:
        grad = "" if c.get("model") else (" (input needs grad)" if c["input_grad"] else " (input is data)")
        names = {"winograd": "oneDNN Winograd", "direct": "oneDNN direct", "none": "im2col + GEMM"}
        per_layer = c.get("onednn") or [l.get("onednn") for l in c["layers"]]
        algos = ", ".join(names.get(a, "?") for a in per_layer)
        kernels = f"; kernels: {algos}" if algos else ""
        print(f"- {c['name']}: {c['what']}{grad}; {c['fwd_flop'] / 1e9:.3f} GFLOP forward{kernels}")
    if args.save:
        with open(args.save, "w") as f:
            f.write(json.dumps({"machine": info}) + "\n")
            for c in cases:
                f.write(json.dumps({"case_spec": c}) + "\n")
            for rec in results + memory:
                f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
