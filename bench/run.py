#!/usr/bin/python3
"""Side-by-side benchmark of adjoint's convolution against PyTorch, float32, on CPU.

Usage: /usr/bin/python3 bench/run.py BUILD/bench/conv_bench [--rounds 3] [--reps 10] [--warmup 3]
           [--threads 1,2] [--case NAME]... [--malloc pinned|default] [--no-memory] [--save FILE]

Builds nothing: it takes the built conv_bench, reads the case list from it (`--list`), and
runs the same cases with torch.nn.functional.conv2d / conv_transpose2d in a worker process
of its own. Both sides run in rounds, alternately, so that load from other work on the
machine hits them alike; each figure is the median over every timed run of all rounds.
Each process gets OPENBLAS_NUM_THREADS and OMP_NUM_THREADS equal to its thread count, and
by default glibc settings that keep freed blocks in the heap (see PINNED_MALLOC).
Memory: one forward+backward per case after warm-up, peak RSS growth over the RSS just
before it, with glibc's mmap threshold set low (MALLOC_MMAP_THRESHOLD_) so that freed big
blocks go back to the OS on both sides. Prints the machine, then the tables (Markdown).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

MMAP_THRESHOLD = "65536"
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
        for _ in range(args.warmup):
            prepare()
            run()
        samples, wall_total, cpu_total = [], 0.0, 0.0
        for _ in range(args.reps):
            prepare()
            w0, c0 = time.perf_counter(), time.process_time()
            run()
            w1, c1 = time.perf_counter(), time.process_time()
            samples.append((w1 - w0) * 1e3)
            wall_total += w1 - w0
            cpu_total += c1 - c0
        return samples, (cpu_total / wall_total if wall_total > 0 else 0.0)

    for spec in cases:
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench", nargs="?", help="path of the built conv_bench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=10, help="timed runs per case per round")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--case", action="append", default=[], help="only these cases (repeatable)")
    parser.add_argument("--malloc", choices=("pinned", "default"), default="pinned",
                        help="glibc settings for the timed runs (see PINNED_MALLOC)")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--save", help="write the raw results here as JSON")
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

    def adjoint_cmd(t, extra):
        return [bench, "--threads", str(t), "--warmup", str(args.warmup), "--reps", str(args.reps)] + case_args + extra

    def torch_cmd(t, extra):
        return [sys.executable, os.path.abspath(__file__), "--torch-worker", "--cases", cases_file,
                "--threads", str(t), "--warmup", str(args.warmup), "--reps", str(args.reps)] + extra

    def thread_env(t, extra=None):
        # torch.set_num_threads does not reach the OpenBLAS pool torch also loads, and an
        # OpenBLAS pool started with more threads than asked spins them for a while; pinning
        # both variables makes each process use t threads and no more. conv_bench also calls
        # kernels::set_num_threads(t), which is what takes effect there (it overrides the
        # variable). OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are passed on untouched.
        return dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t), **(extra or {}))

    phases = [(r, t, side) for r in range(args.rounds) for t in threads for side in ("adjoint", "torch")]
    results = []
    start = time.perf_counter()
    for i, (r, t, side) in enumerate(phases):
        elapsed = time.perf_counter() - start
        eta = elapsed / i * (len(phases) - i) if i else float("nan")
        print(f"[run.py] phase {i + 1}/{len(phases)}: round {r + 1}, {side}, {t} thread(s); "
              f"{elapsed:.0f} s elapsed, ETA {eta:.0f} s, load {load_average()}", file=sys.stderr, flush=True)
        cmd = adjoint_cmd(t, []) if side == "adjoint" else torch_cmd(t, [])
        for rec in run_json_lines(cmd, thread_env(t, PINNED_MALLOC if args.malloc == "pinned" else None)):
            rec["round"] = r
            results.append(rec)

    memory = []
    if not args.no_memory:
        env = thread_env(1, {"MALLOC_MMAP_THRESHOLD_": MMAP_THRESHOLD})
        print("[run.py] memory, 1 thread", file=sys.stderr, flush=True)
        memory += run_json_lines(adjoint_cmd(1, ["--memory"]), env)
        memory += run_json_lines(torch_cmd(1, ["--memory"]), env)
    info["load_after"] = load_average()
    info["malloc_for_timing"] = PINNED_MALLOC if args.malloc == "pinned" else "glibc defaults"
    info["seconds"] = round(time.perf_counter() - start, 1)

    # pool the samples of all rounds
    pooled = {}
    for rec in results:
        key = (rec["case"], rec["threads"], rec["framework"])
        p = pooled.setdefault(key, {"fwd": [], "fwdbwd": [], "fwd_util": [], "fwdbwd_util": [], "round_med": []})
        p["fwd"] += rec["fwd_ms"]
        p["fwdbwd"] += rec["fwdbwd_ms"]
        p["fwd_util"].append(rec["fwd_cpu_per_wall"])
        p["fwdbwd_util"].append(rec["fwdbwd_cpu_per_wall"])
        p["round_med"].append(statistics.median(rec["fwdbwd_ms"]))

    print("## Machine")
    for k, v in info.items():
        print(f"- {k}: {v}")
    print()
    print(f"## Time (float32, median of {args.rounds} rounds x {args.reps} runs after {args.warmup} warm-up runs; "
          "ratio = adjoint / torch, > 1 means adjoint is slower; util = process CPU time / wall time)")
    print()
    print("| case | thr | fwd adjoint ms | fwd torch ms | fwd ratio | f+b adjoint ms | f+b torch ms | f+b ratio "
          "| f+b util adj / torch |")
    print("|---|---|---|---|---|---|---|---|---|")
    stability = []
    for c in cases:
        for t in threads:
            a = pooled.get((c["name"], t, "adjoint"))
            b = pooled.get((c["name"], t, "torch"))
            if not a or not b:
                continue
            fa, fb = statistics.median(a["fwd"]), statistics.median(b["fwd"])
            ba, bb = statistics.median(a["fwdbwd"]), statistics.median(b["fwdbwd"])
            print(f"| {c['name']} | {t} | {fmt_ms(fa)} | {fmt_ms(fb)} | {fa / fb:.2f} | {fmt_ms(ba)} | {fmt_ms(bb)} "
                  f"| {ba / bb:.2f} | {statistics.mean(a['fwdbwd_util']):.2f} / {statistics.mean(b['fwdbwd_util']):.2f} |")
            stability.append((c["name"], t, a["round_med"], b["round_med"]))
    print()
    print("Stability: the lowest and highest per-round (per-process) f+b median, ms")
    print()
    print("| case | thr | adjoint min - max | torch min - max |")
    print("|---|---|---|---|")
    for name, t, ra, rb in stability:
        print(f"| {name} | {t} | {fmt_ms(min(ra))} - {fmt_ms(max(ra))} | {fmt_ms(min(rb))} - {fmt_ms(max(rb))} |")
    if memory:
        print()
        print("## Memory (1 thread; peak RSS growth during one forward+backward after warm-up, "
              f"MALLOC_MMAP_THRESHOLD_={MMAP_THRESHOLD})")
        print()
        print("| case | adjoint MiB | torch MiB | ratio |")
        print("|---|---|---|---|")
        by = {(m["case"], m["framework"]): m["step_peak_extra_kb"] for m in memory}
        for c in cases:
            a, b = by.get((c["name"], "adjoint")), by.get((c["name"], "torch"))
            if a is None or b is None:
                continue
            ratio = f"{a / b:.2f}" if b > 0 else "-"
            print(f"| {c['name']} | {a / 1024:.1f} | {b / 1024:.1f} | {ratio} |")
    print()
    print("Cases:")
    for c in cases:
        grad = "input needs grad" if c["input_grad"] else "input is data"
        print(f"- {c['name']}: N={c['input'][0]}, {c['what']} ({grad})")
    if args.save:
        with open(args.save, "w") as f:
            json.dump({"machine": info, "cases": cases, "time": results, "memory": memory}, f, indent=1)


if __name__ == "__main__":
    main()
